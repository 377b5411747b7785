{#- Membership streaks: one row per (segment, profile, entry), with the evaluation at which the
    streak ended (NULL while it lasts). The members of a segment as of T are the spans with
    entered_at <= T and (exited_at is null or exited_at > T). -#}
with history as (
    select * from {{ ref('segment_membership_history') }}
),

sequenced as (
    select
        *,
        lead(evaluated_at) over (partition by segment, profile_id order by evaluated_at) as next_change_at
    from history
),

final as (
    select
        segment,
        profile_id,
        evaluated_at as entered_at,
        next_change_at as exited_at,
        split
    from sequenced
    where change = 'entered'
)

select * from final
