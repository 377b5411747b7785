{#- Like `unique`, but once an evaluation has succeeded only the rows that arrived since (by
    loaded_at) are checked against all rows: the older ones were checked then. Checking 100M
    event ids at every evaluation cost more than evaluating the segments. -#}
{% test unique_since_last_evaluation(model, column_name) %}
{%- set checked_until = _segments_latest_successful_evaluation('loaded_until') %}
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
{{ segments_repeated_keys(model, [column_name], column_name ~ ' is not null') }}
{%- endif %}
{% endtest %}
