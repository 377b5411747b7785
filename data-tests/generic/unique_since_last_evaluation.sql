{#- Like `unique`, but once an evaluation has succeeded only the rows that arrived since (by
    loaded_at) are checked: the older ones were checked then. Checking 100M event ids at every
    evaluation cost more than evaluating the segments. The arrivals are checked among themselves
    and, when int_event_ids__checked holds the ids of the baseline, against those ids' hashes
    (8 bytes a row, not the text ids); only an arrival whose hash is there is compared with the
    rows by its id, so a hash collision is never reported. Otherwise they are compared with
    every row. -#}
{% test unique_since_last_evaluation(model, column_name) %}
{%- set checked_until = _segments_latest_successful_evaluation('loaded_until') %}
{%- set state = ref('int_event_ids__checked') %}
{%- set arrived_filter = 'loaded_at is null or loaded_at >= ' ~ (segments_timestamp(checked_until) if checked_until is not none else 'null') %}
{%- if checked_until is none %}
{{ segments_repeated_keys(model, [column_name], column_name ~ ' is not null') }}
{%- elif _segments_event_ids_checked_until(state, checked_until) %}
{%- set candidates = run_query(
    'select count(*) from ' ~ model ~ ' where (' ~ arrived_filter ~ ') and ' ~ segments_key_hash(column_name) ~ ' in '
    ~ '(select key_hash from ' ~ state ~ ' where key_hash is not null and checked_until <= ' ~ segments_timestamp(checked_until) ~ ')'
).columns[0].values()[0] if execute else 0 %}
with arrived as (
    select {{ column_name }} as id
    from {{ model }}
    where ({{ arrived_filter }}) and {{ column_name }} is not null
),

among_arrivals as (
    select id, count(*) as rows_with_this_id
    from arrived
    group by id
    having count(*) > 1
)
{%- if candidates > 0 %},

{#- rare: true repeats, or a hash shared by two ids -#}
candidate_ids as (
    select id from arrived
    where {{ segments_key_hash('id') }} in (
        select key_hash from {{ state }}
        where key_hash is not null and checked_until <= {{ segments_timestamp(checked_until) }}
    )
),

repeated as (
    select {{ column_name }} as id, count(*) as rows_with_this_id
    from {{ model }}
    where {{ column_name }} in (select id from candidate_ids)
    group by {{ column_name }}
    having count(*) > 1
)

select * from among_arrivals where id not in (select id from repeated)
union all
select * from repeated
{%- else %}

select * from among_arrivals
{%- endif %}
{%- else %}
with arrived as (
    select distinct {{ column_name }} as id
    from {{ model }}
    where {{ arrived_filter }}
)
select arrived.id, count(*) as rows_with_this_id
from {{ model }} as everything
inner join arrived on arrived.id = everything.{{ column_name }}
group by arrived.id
having count(*) > 1
{%- endif %}
{% endtest %}
