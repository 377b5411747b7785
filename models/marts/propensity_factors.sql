{#- What drives each propensity model: the mean absolute SHAP contribution of every feature over
    all scored profiles (bucket = 'all') and within each bucket, ranked; mean_contribution keeps
    the sign (positive pushes towards the goal's predicted outcome). -#}
{{ config(enabled=segments_customer_ai_enabled()) }}

with scores as (
    select * from {{ ref('int_propensity_scores__ranked') }}
),

runs as (
    select * from {{ ref('int_propensity_training__unioned') }}
    where status = 'trained'
),

contributions as (
    select
        scores.model,
        scores.bucket,
        {{ segments_unnest_zipped(['runs.features', 'scores.contributions'], ['feature', 'contribution']) }}
    from scores
    inner join runs on runs.model = scores.model
),

overall as (
    select
        model,
        'all' as bucket,
        feature,
        avg(abs(contribution)) as importance,
        avg(contribution) as mean_contribution,
        count(*) as profiles
    from contributions
    group by model, feature
),

per_bucket as (
    select
        model,
        bucket,
        feature,
        avg(abs(contribution)) as importance,
        avg(contribution) as mean_contribution,
        count(*) as profiles
    from contributions
    group by model, bucket, feature
),

combined as (
    select * from overall
    union all
    select * from per_bucket
),

final as (
    select
        model,
        bucket,
        cast(row_number() over (partition by model, bucket order by importance desc, feature) as integer) as rank,
        feature,
        importance,
        mean_contribution,
        profiles
    from combined
)

select * from final
