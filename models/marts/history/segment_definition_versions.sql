{#- Every version of every definition, with the evaluation at which it was first evaluated.
    Append-only: changing a definition adds a version; history rows are never rewritten. -#}

with definitions as (
    select * from {{ ref('int_segment_definitions') }}
),

new_versions as (
    select
        definitions.segment,
        definitions.definition_hash,
        definitions.definition,
        {{ segments_as_of_sql() }} as first_evaluated_at
    from definitions
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as known
        where known.segment = definitions.segment
          and known.definition_hash = definitions.definition_hash
    )
    {%- endif %}
)

select * from new_versions
