{#- Every (profile, segment) at the latest evaluation: realized (entered now), existing (member
    now and at the previous evaluation) or exited (member at the previous evaluation, not now). -#}
{%- set as_of = segments_as_of_sql() %}

with history as (
    select * from {{ ref('segment_membership_history') }}
    where evaluated_at <= {{ as_of }}
),

current_members as (
    select * from {{ ref('int_segment_members__unioned') }}
),

previous_members as (
    {{ _segments_previous_members('history') }}
),

members_now as (
    select
        current_members.profile_id,
        current_members.segment,
        case when previous_members.profile_id is null then 'realized' else 'existing' end as status,
        case
            when previous_members.profile_id is null then {{ as_of }}
            else previous_members.entered_at
        end as qualified_at,
        cast(null as timestamp) as exited_at,
        current_members.split
    from current_members
    left join previous_members
        on previous_members.segment = current_members.segment
        and previous_members.profile_id = current_members.profile_id
),

exited_now as (
    select
        previous_members.profile_id,
        previous_members.segment,
        'exited' as status,
        previous_members.entered_at as qualified_at,
        {{ as_of }} as exited_at,
        previous_members.split
    from previous_members
    left join current_members
        on current_members.segment = previous_members.segment
        and current_members.profile_id = previous_members.profile_id
    where current_members.profile_id is null
),

final as (
    select *, {{ as_of }} as evaluated_at from members_now
    union all
    select *, {{ as_of }} as evaluated_at from exited_now
)

select profile_id, segment, status, qualified_at, exited_at, evaluated_at, split from final
