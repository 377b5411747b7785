{#- segment_membership is carried forward from the previous evaluation rather than rewritten:
    at 100M events it holds 8M rows of which a daily evaluation changes a few thousand, and
    rewriting all of them for a new evaluated_at was most of its cost. -#}

{#- The as_of of the previous evaluation when the tables it published can be carried forward:
    it succeeded (so it published, and the spans changed since are this evaluation's), with the
    same definitions (splits included), and this is not --full-refresh. Full evaluations qualify
    too: a daily full evaluation (Customer AI segments) publishes its changes, not every row. -#}
{% macro _segments_previous_evaluation() -%}
    {%- if not (execute and _segments_is_evaluation()) or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
    {%- set log_table = _segments_evaluation_log() -%}
    {%- set rows = run_query(
        "select previous.as_of from " ~ log_table ~ " as this_evaluation, " ~ log_table ~ " as previous"
        ~ " where this_evaluation.evaluation_id = '" ~ invocation_id ~ "'"
        ~ " and previous.evaluation_id <> '" ~ invocation_id ~ "'"
        ~ " and previous.status = 'success' and previous.definitions_hash = this_evaluation.definitions_hash"
        ~ " and previous.started_at = (select max(started_at) from " ~ log_table ~ " where evaluation_id <> '" ~ invocation_id ~ "')"
        ~ " and previous.as_of < this_evaluation.as_of") -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}

{#- The previous evaluation's as_of when segment_membership is the table it left, so that only
    this evaluation's span changes need applying; none when it must be rewritten (a first
    evaluation, changed definitions, a re-run of the latest as_of, a table left by another run). -#}
{% macro _segments_membership_carried_from() -%}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
    {%- set previous = _segments_previous_evaluation() -%}
    {%- if previous is none -%}{{ return(none) }}{%- endif -%}
    {%- set rows = run_query('select min(evaluated_at), max(evaluated_at) from ' ~ this) -%}
    {{ return(previous if rows[0][0] == previous and rows[0][1] == previous else none) }}
{%- endmacro %}

{#- Did this span open or close after `since`? -#}
{% macro _segments_span_changed(spans, since) -%}
    {{ spans }}.entered_at > {{ segments_timestamp(since) }} or {{ spans }}.exited_at > {{ segments_timestamp(since) }}
{%- endmacro %}

{#- pre-hook of segment_membership, in the model's transaction: carried forward, the previous
    evaluation's exits leave, the pairs this evaluation changed are removed (the model inserts
    their new rows) and every other row is a continuing member; otherwise the table is emptied
    and the model inserts every row. -#}
{% macro segments_carry_membership_forward(spans) -%}
    {%- if not (execute and is_incremental()) -%}{{ return('') }}{%- endif -%}
    {%- set carried_from = _segments_membership_carried_from() -%}
    {%- if carried_from is none -%}
        delete from {{ this }}
    {%- else -%}
        {%- set changed_pairs = 'select distinct segment, profile_id from ' ~ spans ~ ' where ' ~ _segments_span_changed(spans, carried_from) -%}
        {{- segments_hook_statements([
            "delete from " ~ this ~ " where status = 'exited'",
            segments_delete_keys_sql(this, ['segment', 'profile_id'], changed_pairs),
            "update " ~ this ~ " set status = 'existing', evaluated_at = " ~ segments_as_of_sql(),
        ]) -}}
    {%- endif -%}
{%- endmacro %}
