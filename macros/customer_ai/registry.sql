{#- The registry of propensity models: their definitions with this run's cutoff, and the training
    runs and scores of every model unioned (typed empty tables when there is no model). -#}

{% macro propensity_definitions(models) -%}
{%- set as_of = segments_as_of() -%}
with definitions as (
    {%- for row in models %}
    select
        {{ segments_string_literal(row.model) }} as model,
        {{ segments_string_literal(row.description) }} as description,
        cast({{ segments_literal(row.owner) }} as string) as owner,
        {{ segments_string_literal(row.direction) }} as direction,
        {{ segments_string_literal(row.prediction_window) }} as prediction_window,
        {{ segments_timestamp(as_of - modules.datetime.timedelta(seconds=row.prediction_window_seconds)) }} as cutoff,
        {{ segments_timestamp(as_of) }} as scored_at,
        {{ segments_string_literal(row.definition) }} as definition,
        {{ segments_string_literal(row.definition_hash) }} as definition_hash,
        {{ segments_string_literal(row.source_file) }} as source_file
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as string) as model,
        cast(null as string) as description,
        cast(null as string) as owner,
        cast(null as string) as direction,
        cast(null as string) as prediction_window,
        cast(null as timestamp) as cutoff,
        cast(null as timestamp) as scored_at,
        cast(null as string) as definition,
        cast(null as string) as definition_hash,
        cast(null as string) as source_file
    where 1 = 0
    {%- endfor %}
)
select * from definitions
{%- endmacro %}

{#- The columns of a training run that leave the intermediate layer (not the serialized model). -#}
{% macro _propensity_training_columns() -%}
    {{ return({
        'model': 'string',
        'status': 'string',
        'message': 'string',
        'trained_at': 'timestamp',
        'training_seconds': 'double',
        'examples': 'bigint',
        'positives': 'bigint',
        'holdout_examples': 'bigint',
        'holdout_positives': 'bigint',
        'auc': 'double',
        'average_precision': 'double',
        'top_decile_lift': 'double',
        'deciles': 'struct(decile integer, profiles bigint, positives bigint, positive_rate double, lift double, cumulative_gain double)[]',
        'trees': 'integer',
        'parameters': 'string',
        'features': 'string[]',
        'feature_importance': 'struct(feature string, gain double)[]',
    }) }}
{%- endmacro %}

{% macro _propensity_score_columns() -%}
    {{ return({
        'model': 'string',
        'profile_id': 'string',
        'probability': 'double',
        'log_odds': 'double',
        'base_value': 'double',
        'contributions': 'double[]',
        'factors': 'struct(feature string, value string, contribution double)[]',
    }) }}
{%- endmacro %}

{#- Each model's table: its dbt Python model's, or on Spark (which runs no Python models) the
    one `scripts/seg models train --target spark` wrote. -#}
{% macro propensity_model_relation(name) -%}
    {{ return(adapter.dispatch('propensity_model_relation', 'segments')(name)) }}
{%- endmacro %}

{% macro default__propensity_model_relation(name) -%}
    {{ return(ref(name)) }}
{%- endmacro %}

{% macro spark__propensity_model_relation(name) -%}
    {{ return(source('customer_ai', name) if target.type == 'spark' else ref(name)) }}
{%- endmacro %}

{% macro _propensity_union(prefix, names, columns) -%}
with unioned as (
    {%- for name in names %}
    select {{ columns.keys() | join(', ') }}
    from {{ propensity_model_relation(prefix ~ name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        {%- for column, sql_type in columns.items() %}
        cast(null as {{ sql_type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endfor %}
)
select * from unioned
{%- endmacro %}

{% macro union_propensity_training(names) -%}
    {{ _propensity_union('int_propensity_training__', names, _propensity_training_columns()) }}
{%- endmacro %}

{% macro union_propensity_scores(names) -%}
    {{ _propensity_union('int_propensity_scores__', names, _propensity_score_columns()) }}
{%- endmacro %}
