{#- Like `unique`, but once an evaluation has succeeded only the rows that arrived since (by
    loaded_at) are checked against all rows: the older ones were checked then. Checking 100M
    event ids at every evaluation cost more than evaluating the segments. -#}
{% test unique_since_last_evaluation(model, column_name) %}
{%- set log_table = _segments_evaluation_log() -%}
{%- set checked_until = none -%}
{%- if execute and adapter.get_relation(log_table.database, log_table.schema, log_table.identifier) is not none -%}
    {%- set rows = run_query("select max(loaded_until) from " ~ log_table ~ " where status = 'success'") -%}
    {%- set checked_until = rows[0][0] if rows | length > 0 else none -%}
{%- endif %}
{%- if checked_until is not none %}
with arrived as (
    select distinct {{ column_name }} as id
    from {{ model }}
    where loaded_at is null or loaded_at >= {{ segments_timestamp(checked_until) }}
)
select arrived.id, count(*) as rows_with_this_id
from {{ model }} as everything
inner join arrived on arrived.id = everything.{{ column_name }}
group by arrived.id
having count(*) > 1
{%- else %}
select {{ column_name }}, count(*) as rows_with_this_id
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{%- endif %}
{% endtest %}
