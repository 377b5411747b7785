{#- Every score of every propensity model with its place among the model's scores:
    score = round(100 x probability); percentile = ceil(100 x the share of the model's scored
    profiles with a probability at or below this one), so 100 is the most likely and ties share a
    percentile; bucket on score: high >= 75, medium 25-74, low < 25. -#}
{{ config(enabled=segments_customer_ai_enabled()) }}

with scores as (
    select * from {{ ref('int_propensity_scores__unioned') }}
),

definitions as (
    select * from {{ ref('int_propensity_definitions') }}
),

counted as (
    select
        *,
        count(*) over (partition by model) as scored_profiles,
        count(*) over (
            partition by model
            order by probability
            range between unbounded preceding and current row
        ) as at_or_below
    from scores
),

final as (
    select
        counted.profile_id,
        counted.model,
        counted.probability,
        cast(round(100 * counted.probability) as integer) as score,
        {#- the ceiling in integers, written so that both engines read it (Spark has no //):
            floor of a double quotient is exact here, its distance to the next integer (>= 1/n)
            being far above a double's error #}
        cast(floor((100 * counted.at_or_below + counted.scored_profiles - 1) / counted.scored_profiles) as integer) as percentile,
        case
            when round(100 * counted.probability) >= 75 then 'high'
            when round(100 * counted.probability) >= 25 then 'medium'
            else 'low'
        end as bucket,
        counted.log_odds,
        counted.base_value,
        counted.contributions,
        counted.factors,
        definitions.scored_at
    from counted
    inner join definitions on definitions.model = counted.model
)

select * from final
