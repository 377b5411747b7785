{#- segment_membership is carried forward from the previous evaluation rather than rewritten:
    at 100M events it holds 8M rows of which a daily evaluation changes a few thousand, and
    rewriting all of them for a new evaluated_at was most of its cost. -#}

{#- The baseline's as_of when segment_membership, as left by the baseline evaluation, only needs
    this evaluation's span changes applied; none when it must be rewritten (first or full
    evaluations, a re-run of the latest as_of, a table left by another evaluation). -#}
{% macro _segments_membership_baseline() -%}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
    {%- set evaluation = segments_evaluation() -%}
    {%- if evaluation.mode != 'incremental' or evaluation.baseline_as_of >= segments_as_of() -%}{{ return(none) }}{%- endif -%}
    {%- set rows = run_query('select min(evaluated_at), max(evaluated_at) from ' ~ this) -%}
    {%- if rows[0][0] == evaluation.baseline_as_of and rows[0][1] == evaluation.baseline_as_of -%}
        {{ return(evaluation.baseline_as_of) }}
    {%- endif -%}
    {{ return(none) }}
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
    {%- set baseline = _segments_membership_baseline() -%}
    {%- if baseline is none -%}
        delete from {{ this }}
    {%- else -%}
        delete from {{ this }}
        where status = 'exited'
           or (segment, profile_id) in (select segment, profile_id from {{ spans }} where {{ _segments_span_changed(spans, baseline) }});
        update {{ this }} set status = 'existing', evaluated_at = {{ segments_as_of_sql() }}
    {%- endif -%}
{%- endmacro %}
