{#- The given columns together identify a row. With `checked_since`, a timestamp column of the
    key in an append-only state table (an evaluation's as_of), only the rows stamped after the
    latest successful evaluation are checked (at or after it when this run re-evaluates that
    as_of, replacing its rows): no older row can share their key, and the older rows were checked
    when they were written. So the evaluation after a store's first does not read the first
    one's whole log again (62M rows with 500 segments at 100M events). The query is
    segments_repeated_keys (macros/checks/repeated_keys.sql). -#}
{% test unique_combination(model, columns, checked_since=none) %}
{%- if columns is string or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error("unique_combination: argument 'columns' must be a non-empty list of column names, got " ~ columns) }}
{%- endif %}
{%- if checked_since is not none and checked_since not in columns -%}
    {{ exceptions.raise_compiler_error("unique_combination: argument 'checked_since' must be one of the key's columns " ~ columns ~ ", got " ~ checked_since) }}
{%- endif %}
{%- set since = _segments_latest_successful_evaluation('as_of') if checked_since is not none else none %}
{%- set since_where = none %}
{%- if since is not none %}
{%- set since_where = checked_since ~ (' > ' if since < segments_as_of() else ' >= ') ~ segments_timestamp(since) %}
{%- endif %}
{{ segments_repeated_keys(model, columns, since_where) }}
{% endtest %}
