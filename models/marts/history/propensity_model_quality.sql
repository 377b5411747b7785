{#- Every training run of every propensity model: what it learned from and how well it ranks the
    profiles held out of training. Append-only; re-running an as_of replaces its rows. -#}
{{ config(pre_hook="{{ propensity_clear_runs() }}", enabled=segments_customer_ai_enabled()) }}

with definitions as (
    select * from {{ ref('int_propensity_definitions') }}
),

runs as (
    select * from {{ ref('int_propensity_training__unioned') }}
),

final as (
    select
        runs.model,
        definitions.scored_at,
        runs.trained_at,
        definitions.cutoff,
        definitions.prediction_window,
        definitions.direction,
        runs.status,
        runs.message,
        case
            when runs.status <> 'trained' then 'not_trained'
            when runs.auc is null or runs.auc < 0.65 then 'poor'
            else 'good'
        end as quality,
        runs.examples,
        runs.positives,
        runs.positives / nullif(runs.examples, 0) as base_rate,
        runs.holdout_examples,
        runs.holdout_positives,
        runs.auc,
        runs.average_precision,
        runs.top_decile_lift,
        runs.deciles,
        runs.trees,
        runs.training_seconds,
        runs.parameters,
        definitions.definition_hash
    from runs
    inner join definitions on definitions.model = runs.model
)

select * from final
