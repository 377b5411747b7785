with definitions as (
    select * from {{ ref('int_segment_definitions') }}
),

members as (
    select * from {{ ref('int_segment_members__unioned') }}
),

sizes as (
    select
        segment,
        count(*) as size
    from members
    group by segment
),

final as (
    select
        definitions.segment,
        definitions.description,
        definitions.owner,
        definitions.tags,
        definitions.definition,
        definitions.definition_hash,
        definitions.depends_on,
        definitions.source_file,
        coalesce(sizes.size, 0) as size,
        {{ segments_as_of_sql() }} as evaluated_at
    from definitions
    left join sizes on sizes.segment = definitions.segment
)

select * from final
