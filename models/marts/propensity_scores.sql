{#- Customer AI scores: one row per eligible profile per trained propensity model. -#}
{{ config(enabled=segments_customer_ai_enabled()) }}

with ranked as (
    select * from {{ ref('int_propensity_scores__ranked') }}
),

final as (
    select
        profile_id,
        model,
        probability,
        score,
        percentile,
        bucket,
        factors,
        base_value,
        log_odds,
        scored_at
    from ranked
)

select * from final
