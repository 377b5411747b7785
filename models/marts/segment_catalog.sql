{#- Also publishes segments.<segment> for every row (see the published_segments materialization). -#}
{{ config(materialized='published_segments', tables_schema='segments', members_from='segment_membership') }}
-- depends_on: {{ ref('segment_membership') }}

with definitions as (
    select * from {{ ref('int_segment_definitions') }}
),

versions as (
    select * from {{ ref('segment_definition_versions') }}
),

summary as (
    select * from {{ ref('segment_summary') }}
    where evaluated_at = {{ segments_as_of_sql() }}
),

version_numbers as (
    select
        segment,
        definition_hash,
        first_evaluated_at,
        row_number() over (partition by segment order by first_evaluated_at, definition_hash) as version
    from versions
),

final as (
    select
        definitions.segment,
        definitions.description,
        definitions.owner,
        definitions.tags,
        definitions.definition,
        definitions.definition_hash,
        cast(version_numbers.version as bigint) as definition_version,
        version_numbers.first_evaluated_at as definition_changed_at,
        definitions.depends_on,
        definitions.source_file,
        cast(coalesce(summary.size, 0) as bigint) as size,
        cast(coalesce(summary.entered, 0) as bigint) as entered,
        cast(coalesce(summary.exited, 0) as bigint) as exited,
        {{ segments_as_of_sql() }} as evaluated_at
    from definitions
    left join version_numbers
        on version_numbers.segment = definitions.segment
        and version_numbers.definition_hash = definitions.definition_hash
    left join summary on summary.segment = definitions.segment
)

select * from final
