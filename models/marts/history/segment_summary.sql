{#- Per segment per evaluation: size, entered, exited. Append-only like the history. -#}
{{ config(pre_hook="{{ segments_clear_evaluation() }}") }}
{%- set as_of = segments_as_of_sql() %}

with definitions as (
    select * from {{ ref('int_segment_definitions') }}
),

current_members as (
    select * from {{ ref('int_segment_members__unioned') }}
),

changes as (
    select * from {{ ref('segment_membership_history') }}
    where evaluated_at = {{ as_of }}
),

sizes as (
    select segment, count(*) as size from current_members group by segment
),

changed as (
    select
        segment,
        sum(case when change = 'entered' then 1 else 0 end) as entered,
        sum(case when change = 'exited' then 1 else 0 end) as exited
    from changes
    group by segment
),

final as (
    select
        definitions.segment,
        cast(coalesce(sizes.size, 0) as bigint) as size,
        cast(coalesce(changed.entered, 0) as bigint) as entered,
        cast(coalesce(changed.exited, 0) as bigint) as exited,
        {{ as_of }} as evaluated_at
    from definitions
    left join sizes on sizes.segment = definitions.segment
    left join changed on changed.segment = definitions.segment
)

select * from final
