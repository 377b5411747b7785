{#- Every (profile, segment) at the latest evaluation: realized (entered now), existing (member
    now and at the previous evaluation) or exited (member at the previous evaluation, not now),
    read from the membership spans this evaluation left open or closed.

    Carried forward when the table is the previous evaluation's (macros/lifecycle/membership.sql):
    the pre-hook retires the previous exits and marks every other row existing, and only the
    pairs whose span this evaluation opened or closed are written again. Otherwise every row is
    written. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ segments_carry_membership_forward(ref('segment_membership_spans')) }}",
) }}
{%- set as_of = segments_as_of_sql() %}
{%- set carried_from = _segments_membership_carried_from() %}

{%- if carried_from is not none %}

with spans as (
    select * from {{ ref('segment_membership_spans') }}
),

{#- a pair whose span changed has no other open span: its row now is the changed span, if it
    is open or closed now -#}
changed_now as (
    select
        profile_id,
        segment,
        case
            when exited_at is not null then 'exited'
            when entered_at < {{ as_of }} then 'existing'
            else 'realized'
        end as status,
        entered_at as qualified_at,
        exited_at,
        split
    from spans
    where ({{ _segments_span_changed('spans', carried_from) }})
      and (exited_at is null or exited_at = {{ as_of }})
),

final as (
    select *, {{ as_of }} as evaluated_at from changed_now
)

{%- else %}

with current_members as (
    select * from {{ ref('int_segment_members__unioned') }}
),

spans as (
    select * from {{ ref('segment_membership_spans') }}
    where exited_at is null or exited_at = {{ as_of }}
),

members_now as (
    select
        current_members.profile_id,
        current_members.segment,
        case when spans.entered_at < {{ as_of }} then 'existing' else 'realized' end as status,
        coalesce(spans.entered_at, {{ as_of }}) as qualified_at,
        cast(null as timestamp) as exited_at,
        current_members.split
    from current_members
    left join spans
        on spans.segment = current_members.segment
        and spans.profile_id = current_members.profile_id
        and spans.exited_at is null
),

exited_now as (
    select
        profile_id,
        segment,
        'exited' as status,
        entered_at as qualified_at,
        exited_at,
        split
    from spans
    where exited_at = {{ as_of }}
),

final as (
    select *, {{ as_of }} as evaluated_at from members_now
    union all
    select *, {{ as_of }} as evaluated_at from exited_now
)

{%- endif %}

select profile_id, segment, status, qualified_at, exited_at, evaluated_at, split from final
