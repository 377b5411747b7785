{#- on-run-end: say what each propensity model's training run did, so that a model left untrained
    for lack of data is reported in the run's output rather than found later as an empty table. -#}
{% macro report_propensity_models(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- for result in results if result.node.name == 'propensity_model_quality' and result.status == 'success' -%}
        {%- set relation = api.Relation.create(database=result.node.database, schema=result.node.schema, identifier=result.node.alias) -%}
        {%- set rows = run_query(
            "select model, status, message, quality, auc, top_decile_lift from " ~ relation
            ~ " where scored_at = (select max(scored_at) from " ~ relation ~ ") order by model") -%}
        {%- for row in rows -%}
            {%- if row[1] == 'trained' -%}
                {{ log("Customer AI: " ~ row[0] ~ " trained, held-out AUC " ~ '%.3f' | format(row[4] or 0) ~ " (" ~ row[3] ~ "), top-decile lift " ~ '%.2f' | format(row[5] or 0) ~ "x", info=true) }}
            {%- else -%}
                {{ log("Customer AI: WARNING " ~ row[0] ~ " was not trained and scores no one: " ~ row[2], info=true) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}

{#- pre-hook of propensity_model_quality: re-running an as_of replaces that run's rows (the runs
    being appended carry the scored_at of int_propensity_definitions, not necessarily this run's). -#}
{% macro propensity_clear_runs() -%}
    {%- if execute and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        {#- a literal: Delta refuses subqueries in DELETE -#}
        delete from {{ this }}
        where scored_at >= {{ segments_timestamp(segments_as_of()) }}
    {%- endif -%}
{%- endmacro %}
