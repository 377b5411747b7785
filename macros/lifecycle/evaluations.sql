{#- Evaluations: each `dbt build` / `dbt run` with an as_of is one evaluation of every segment.
    on-run-start refuses an as_of earlier than the latest evaluation and records the evaluation
    in segmentation.evaluation_log; on-run-end records how it ended. -#}

{% macro _segments_is_evaluation() -%}
    {{ return(execute and flags.WHICH in ('build', 'run')) }}
{%- endmacro %}

{% macro _segments_evaluation_log() -%}
    {{ return(api.Relation.create(database=target.database, schema='segmentation', identifier='evaluation_log')) }}
{%- endmacro %}

{% macro begin_evaluation() -%}
    {{ return(adapter.dispatch('begin_evaluation', 'segments')()) }}
{%- endmacro %}

{% macro default__begin_evaluation() -%}
    {%- if not _segments_is_evaluation() -%}{{ return('') }}{%- endif -%}
    {%- set log_table = _segments_evaluation_log() -%}
    {%- set as_of = segments_as_of() -%}
    {% call statement('create_evaluation_log') %}
        create schema if not exists {{ log_table.database }}.segmentation;
        create table if not exists {{ log_table }} (
            evaluation_id varchar,
            as_of timestamp,
            started_at timestamp,
            finished_at timestamp,
            mode varchar,
            segments_evaluated integer,
            profiles_evaluated bigint,
            status varchar,
            error_message varchar
        );
    {% endcall %}
    {%- set latest = run_query("select max(as_of) from " ~ log_table ~ " where status = 'success'").columns[0].values()[0] -%}
    {%- if latest is not none and as_of < latest -%}
        {{ exceptions.raise_compiler_error("as_of " ~ as_of ~ " is earlier than the latest evaluation (" ~ latest ~ "): evaluations only move forward, so nothing was changed. Evaluate at " ~ latest ~ " or later, or rebuild history over past dates with scripts/seg backfill.") }}
    {%- endif -%}
    {% call statement('record_evaluation_start') %}
        delete from {{ log_table }} where as_of = {{ segments_timestamp(as_of) }};
        insert into {{ log_table }} values (
            '{{ invocation_id }}', {{ segments_timestamp(as_of) }}, current_timestamp::timestamp, null,
            'full', null, null, 'running', null
        );
    {% endcall %}
    {#- the hook's own transaction is rolled back by dbt: keep the log row -#}
    {%- do adapter.commit() -%}
{%- endmacro %}

{% macro finish_evaluation(results) -%}
    {{ return(adapter.dispatch('finish_evaluation', 'segments')(results)) }}
{%- endmacro %}

{% macro default__finish_evaluation(results) -%}
    {%- if not _segments_is_evaluation() -%}{{ return('') }}{%- endif -%}
    {%- set failures = [] -%}
    {%- set segments_done = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail') -%}
            {%- do failures.append(result.node.name ~ ': ' ~ (result.message or result.status)) -%}
        {%- elif result.node.resource_type == 'model' and (result.node.config.meta or {}).get('published_segment') -%}
            {%- do segments_done.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set profiles = adapter.get_relation(target.database, 'intermediate', 'int_profiles__evaluated') -%}
    {%- set profiles_sql = '(select count(*) from ' ~ profiles ~ ')' if profiles is not none and not failures else 'null' -%}
    {% call statement('record_evaluation_end') %}
        update {{ _segments_evaluation_log() }}
        set finished_at = current_timestamp::timestamp,
            segments_evaluated = {{ segments_done | length }},
            profiles_evaluated = {{ profiles_sql }},
            status = {{ "'error'" if failures else "'success'" }},
            error_message = {{ segments_string_literal(failures | join('; ')) if failures else 'null' }}
        where evaluation_id = '{{ invocation_id }}';
    {% endcall %}
    {%- do adapter.commit() -%}
{%- endmacro %}

{#- pre-hook of the append-only state models: re-running the latest as_of replaces its rows. -#}
{% macro segments_clear_evaluation(column='evaluated_at') -%}
    {%- if execute and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        delete from {{ this }} where {{ column }} >= {{ segments_as_of_sql() }}
    {%- endif -%}
{%- endmacro %}

{#- Members of a segment as of a past moment, from the change history (for analyses). -#}
{% macro segments_members_as_of(segment_name, moment) -%}
    select profile_id, split
    from {{ ref('segment_membership_spans') }}
    where segment = {{ segments_string_literal(segment_name) }}
      and entered_at <= {{ segments_timestamp(moment) if moment is not string else 'cast(' ~ segments_string_literal(moment) ~ ' as timestamp)' }}
      and (exited_at is null or exited_at > {{ segments_timestamp(moment) if moment is not string else 'cast(' ~ segments_string_literal(moment) ~ ' as timestamp)' }})
{%- endmacro %}
