{#- The change log: one row per entry into or exit from a segment, per evaluation. Append-only
    (never rebuilt by --full-refresh); re-running the latest as_of replaces that evaluation's rows. -#}
{{ config(pre_hook="{{ segments_clear_evaluation() }}") }}
{%- set as_of = segments_as_of_sql() %}

with current_members as (
    select * from {{ ref('int_segment_members__unioned') }}
),

history as (
    {%- if is_incremental() %}
    select * from {{ this }}
    where evaluated_at < {{ as_of }}
    {%- else %}
    select
        cast(null as varchar) as profile_id,
        cast(null as varchar) as segment,
        cast(null as varchar) as change,
        cast(null as varchar) as split,
        cast(null as timestamp) as evaluated_at
    where 1 = 0
    {%- endif %}
),

previous_members as (
    {{ _segments_previous_members('history') }}
),

entered as (
    select current_members.profile_id, current_members.segment, 'entered' as change, current_members.split
    from current_members
    left join previous_members
        on previous_members.segment = current_members.segment
        and previous_members.profile_id = current_members.profile_id
    where previous_members.profile_id is null
),

exited as (
    select previous_members.profile_id, previous_members.segment, 'exited' as change, previous_members.split
    from previous_members
    left join current_members
        on current_members.segment = previous_members.segment
        and current_members.profile_id = previous_members.profile_id
    where current_members.profile_id is null
),

final as (
    select profile_id, segment, change, split, {{ as_of }} as evaluated_at from entered
    union all
    select profile_id, segment, change, split, {{ as_of }} as evaluated_at from exited
)

select * from final
