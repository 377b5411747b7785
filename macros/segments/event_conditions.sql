{#- The shared grouped scan: every event condition of every segment is one
    conditional aggregate in a single pass over the events (int_event_conditions__aggregated). -#}

{% macro aggregate_event_conditions(conditions) -%}
    {{ return(adapter.dispatch('aggregate_event_conditions', 'segments')(conditions)) }}
{%- endmacro %}

{#- Counting state: what each metric keeps so that the next evaluation can update it with the
    events that entered and left its window instead of counting again. Each condition's data says
    how (values.Metric, unit-tested there): `state_columns` (count and sum are their own state,
    as exact decimals; avg keeps a sum and a count), `merge` (add the difference; least/greatest
    for min and max over windows that only grow) and `counted_again` (count_distinct, min and max
    over windows that events leave: counted again from the events in their window, for the
    profiles whose moved events change them). -#}
{% macro _segments_exact_sum(value_sql) -%}
    coalesce(sum({{ segments_try_cast(value_sql, 'decimal(38, 9)') }}), 0)
{%- endmacro %}

{#- One condition counted from the events of `events_cte` that pass `filter_sql`, in a pass of
    its own that reads only the condition's window (the zone maps skip what lies before): one row
    per profile with any, `<condition.id>` its value. Every count_distinct is counted this way
    (DuckDB's distinct aggregates inside a wide grouped aggregate cost many times their separate
    cost), and every condition an incremental evaluation counts again. -#}
{% macro _segments_count_one(condition, event_columns, events_cte, filter_sql) -%}
select
    event.profile_id,
    {{ 'count(distinct ' if condition.function == 'count_distinct' else condition.function ~ '(' }}{{ _segments_event_value(condition, event_columns) }}) as {{ condition.id }}
from {{ events_cte }} as event
{{ _segments_profile_join(condition) }}
where {{ filter_sql }}
  and {{ _segments_event_selection(condition, event_columns) }}
group by event.profile_id
{%- endmacro %}

{#- The value one event contributes to a condition at a moment (NULL when it does not count):
    events after the moment never count. -#}
{% macro _segments_value_at(condition, event_columns, moment) -%}
    case when event.event_ts <= {{ segments_timestamp(moment) }} then {{ _segments_event_value(condition, event_columns, moment) }} end
{%- endmacro %}

{#- Where the events a condition can count start, coarsened to a slice: the last 93 days before
    as_of (7-, 30- and 90-day windows, this and last month, this quarter) or all of them (none).
    A grouped pass reads only its slice (the table is in time order: the zone maps skip the
    rest), so a condition on the last 7 days no longer costs a test on every event of the
    history; its own window stays exact. More slices cost more than they save: each is another
    pass holding every profile's aggregates (at 100M, 8/32/93/367 days ran out of 6 GB). -#}
{% macro _segments_slice_start(condition) -%}
    {%- if condition.window is none -%}{{ return(none) }}{%- endif -%}
    {%- set now = segments_as_of() -%}
    {%- set lower = _segments_window_bounds(condition.window, now).lower -%}
    {%- set start = now - modules.datetime.timedelta(days=93) -%}
    {{ return(start if lower is not none and start <= lower else none) }}
{%- endmacro %}

{#- `and event.event_ts >= <start>` for a slice that has a start. -#}
{% macro _segments_slice_filter(start) -%}
    {%- if start is not none %} and event.event_ts >= {{ segments_timestamp(start) }}{% endif -%}
{%- endmacro %}

{#- The state columns of a condition counted in a grouped pass, as `<aggregate> as <column>`. -#}
{% macro _segments_state_aggregates(condition, event_columns) -%}
    {%- set value = _segments_event_value(condition, event_columns) -%}
    {%- if condition.function == 'count' -%}
        {{ return(['count(' ~ value ~ ') as ' ~ condition.id]) }}
    {%- elif condition.function == 'sum' -%}
        {{ return([_segments_exact_sum(value) ~ ' as ' ~ condition.id]) }}
    {%- elif condition.function == 'avg' -%}
        {{ return([_segments_exact_sum(value) ~ ' as ' ~ condition.id ~ '__sum', 'count(' ~ value ~ ') as ' ~ condition.id ~ '__count']) }}
    {%- endif -%}
    {{ return([condition.function ~ '(' ~ value ~ ') as ' ~ condition.id]) }}
{%- endmacro %}

{#- Every condition's state counted from all the events of `events_cte` that pass `filter_sql`,
    as CTEs named <prefix>...; the last one, <prefix>counted, has one row per profile. The plain
    aggregates are counted in one grouped pass per slice of time (the first, over every event,
    also counts the events and lists every profile); each count_distinct is its own pass. -#}
{% macro _segments_count_events(conditions, event_columns, events_cte, filter_sql, prefix) -%}
{%- set slices = {'all': {'start': none, 'conditions': []}} -%}
{%- for condition in conditions if condition.function != 'count_distinct' -%}
    {%- set start = _segments_slice_start(condition) -%}
    {%- set key = 'all' if start is none else 'from_' ~ start.strftime('%Y%m%d%H%M%S') -%}
    {%- if key not in slices -%}{%- do slices.update({key: {'start': start, 'conditions': []}}) -%}{%- endif -%}
    {%- do slices[key].conditions.append(condition) -%}
{%- endfor -%}
{%- for key, slice in slices.items() %}
{{ prefix }}plain_{{ key }} as (
    select
        event.profile_id,
        {%- for condition in slice.conditions %}
        {{ _segments_state_aggregates(condition, event_columns) | join(',\n        ') }},
        {%- endfor %}
        count(*) as events{{ '_until_as_of' if key == 'all' else '_in_slice' }}
    from {{ events_cte }} as event
    {{ _segments_profile_join(slice.conditions) }}
    where {{ filter_sql }}{{ _segments_slice_filter(slice.start) }}
    group by event.profile_id
),
{%- endfor %}
{#- every profile with events is in the first slice: the others add their columns (counts and
    sums of no events are 0, extremes NULL) -#}
{{ prefix }}plain as (
    select
        {{ prefix }}plain_all.*
        {%- for key, slice in slices.items() if key != 'all' %}
        {%- for condition in slice.conditions %}
        {%- for column in condition.state_columns %},
        {{ 'coalesce(' ~ prefix ~ 'plain_' ~ key ~ '.' ~ column ~ ', 0)' if condition.function not in ('min', 'max') else prefix ~ 'plain_' ~ key ~ '.' ~ column }} as {{ column }}
        {%- endfor %}
        {%- endfor %}
        {%- endfor %}
    from {{ prefix }}plain_all
    {%- for key, slice in slices.items() if key != 'all' %}
    left join {{ prefix }}plain_{{ key }} on {{ prefix }}plain_{{ key }}.profile_id = {{ prefix }}plain_all.profile_id
    {%- endfor %}
),
{%- for condition in conditions if condition.function == 'count_distinct' %}
{{ prefix }}{{ condition.id }} as (
    {{ _segments_count_one(condition, event_columns, events_cte, filter_sql) | indent(4) }}
),
{%- endfor %}
{{ prefix }}counted as (
    select
        {{ prefix }}plain.*
        {%- for condition in conditions if condition.function == 'count_distinct' %},
        coalesce({{ prefix }}{{ condition.id }}.{{ condition.id }}, 0) as {{ condition.id }}
        {%- endfor %}
    from {{ prefix }}plain
    {%- for condition in conditions if condition.function == 'count_distinct' %}
    left join {{ prefix }}{{ condition.id }} on {{ prefix }}{{ condition.id }}.profile_id = {{ prefix }}plain.profile_id
    {%- endfor %}
),
{%- endmacro %}

{#- The shared scan: every event condition of every segment in one grouped pass (each
    count_distinct in a pass of its own: distinct aggregates inside a wide grouped aggregate cost
    DuckDB many times their separate cost). A full evaluation counts all events; an incremental
    one updates the baseline's state with the events that arrived since and those whose place in
    a window moved (one-day bands for daily runs: the table is in time order, so these reads skip
    most of it), counts the conditions no difference updates again for the profiles those events
    touch, and counts everything again only for the profiles whose events the baseline may not
    have seen or, when conditions compare events with attributes, whose attributes changed. -#}
{% macro default__aggregate_event_conditions(conditions) -%}
{%- set events_relation = ref('int_events__stitched') -%}
{%- set event_columns = _segments_columns(events_relation) -%}
{%- set needs_profiles = _segments_uses_attributes(conditions) -%}
{%- set evaluation = segments_evaluation() -%}
{%- set now = segments_as_of() -%}
{%- set loaded_until = evaluation.loaded_until -%}
{#- a state another evaluation can update: every profile, the events of a known load -#}
{%- set complete = loaded_until is not none and var('segments_sample_percent', none) is none and var('segments_explain_profile', none) is none -%}
{%- set updating = _segments_state_is_baseline(evaluation) if execute else false -%}
{%- set counted_events = 'event.event_ts <= ' ~ segments_timestamp(now) ~ (' and (event.loaded_at <= ' ~ segments_timestamp(loaded_until) ~ ' or event.loaded_at is null)' if loaded_until is not none else '') %}
with events as {{ segments_not_materialized() }} (
    select * from {{ events_relation }}
),
{%- if needs_profiles %}
profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),
{%- endif %}
{%- if not updating %}
{{ _segments_count_events(conditions, event_columns, 'events', counted_events ~ ' ' ~ segments_profile_filter('event.profile_id', changed_only=false), '') }}
{%- else %}
{%- set before = evaluation.baseline_as_of -%}
{%- set baseline_loaded = segments_timestamp(evaluation.baseline_loaded_until) -%}
{%- set recount_filter = 'arrival_uncertain' ~ (' or attributes_changed' if needs_profiles else '') -%}
{%- set changed = ref('int_profiles__changed') -%}
{%- set recounting = run_query('select count(*) from ' ~ changed ~ ' where ' ~ recount_filter).columns[0].values()[0] > 0 %}
previous as (
    select
        profile_id,
        {%- for condition in conditions %}
        {%- for column in condition.state_columns %}
        {{ column if column == condition.id else 'state_' ~ column ~ ' as ' ~ column }},
        {%- endfor %}
        {%- endfor %}
        events_until_as_of
    from {{ this }}
),
recounted_profiles as (
    select profile_id from {{ changed }}
    where {{ recount_filter }}
),
{%- if recounting %}
recounted_events as (
    select * from events
    where profile_id in (select profile_id from recounted_profiles)
),
{{ _segments_count_events(conditions, event_columns, 'recounted_events', counted_events, 'recounted_') }}
{%- endif %}
{#- read once: the moved bands feed every condition's update #}
moved_events as (
    select * from events
    where loaded_at > {{ baseline_loaded }} and loaded_at <= {{ segments_timestamp(loaded_until) }}
    {{- _segments_band_slices('select * from events', _segments_moved_event_bands(conditions, before, now), 'loaded_at <= ' ~ baseline_loaded) }}
),
{#- each moved event adds what it counts for now and takes away what it counted for at the
    baseline (if the baseline had it); a condition counted again is touched by a moved event
    whose value for it differs between the two moments (an event in the window at both moments
    changes nothing) #}
{%- set counted_before = 'event.loaded_at <= ' ~ baseline_loaded %}
moved as (
    select
        event.profile_id,
        {%- for condition in conditions %}
        {%- set now_value = _segments_value_at(condition, event_columns, now) %}
        {%- set before_value = 'case when ' ~ counted_before ~ ' then ' ~ _segments_value_at(condition, event_columns, before) ~ ' end' %}
        {%- if condition.counted_again %}
        bool_or(({{ now_value }}) is distinct from ({{ before_value }})) as {{ condition.id }}__touched,
        {%- elif condition.function == 'count' %}
        count({{ now_value }}) - count({{ before_value }}) as {{ condition.id }},
        {%- elif condition.function == 'sum' %}
        {{ _segments_exact_sum(now_value) }} - {{ _segments_exact_sum(before_value) }} as {{ condition.id }},
        {%- elif condition.function == 'avg' %}
        {{ _segments_exact_sum(now_value) }} - {{ _segments_exact_sum(before_value) }} as {{ condition.id }}__sum,
        count({{ now_value }}) - count({{ before_value }}) as {{ condition.id }}__count,
        {%- else %}
        {#- a window that only grows: events enter it, none leave #}
        {{ condition.function }}({{ now_value }}) as {{ condition.id }},
        {%- endif %}
        {%- endfor %}
        count(case when event.event_ts <= {{ segments_timestamp(now) }} then 1 end)
            - count(case when {{ counted_before }} and event.event_ts <= {{ segments_timestamp(before) }} then 1 end) as events_until_as_of
    from moved_events as event
    {{ _segments_profile_join(conditions) }}
    where event.profile_id not in (select profile_id from recounted_profiles)
    group by event.profile_id
),
{%- for condition in conditions if condition.counted_again %}
{{ condition.id }}__counted_again as (
    {{ _segments_count_one(condition, event_columns, 'events', counted_events ~ ' and event.profile_id in (select profile_id from moved where ' ~ condition.id ~ '__touched)') | indent(4) }}
),
{%- endfor %}
updated as (
    select
        coalesce(previous.profile_id, moved.profile_id) as profile_id,
        {%- for condition in conditions if not condition.counted_again %}
        {%- for column in condition.state_columns %}
        {%- if condition.merge in ('least', 'greatest') %}
        {{ condition.merge }}(previous.{{ column }}, moved.{{ column }}) as {{ column }},
        {%- else %}
        coalesce(previous.{{ column }}, 0) + coalesce(moved.{{ column }}, 0) as {{ column }},
        {%- endif %}
        {%- endfor %}
        {%- endfor %}
        {%- for condition in conditions if condition.counted_again %}
        case
            when moved.{{ condition.id }}__touched then {{ condition.id }}__counted_again.{{ condition.id }}
            else previous.{{ condition.id }}
        end as {{ condition.id }},
        {%- endfor %}
        coalesce(previous.events_until_as_of, 0) + coalesce(moved.events_until_as_of, 0) as events_until_as_of
    from previous
    full join moved on moved.profile_id = previous.profile_id
    {%- for condition in conditions if condition.counted_again %}
    left join {{ condition.id }}__counted_again on {{ condition.id }}__counted_again.profile_id = moved.profile_id
    {%- endfor %}
    where coalesce(previous.profile_id, moved.profile_id) not in (select profile_id from recounted_profiles)
),
{#- the same columns on both sides, listed (Spark has no union by name) #}
{%- set counted_columns = ['profile_id'] %}
{%- for condition in conditions %}{% do counted_columns.extend(condition.state_columns) %}{% endfor %}
{%- do counted_columns.append('events_until_as_of') %}
counted as (
    select {{ counted_columns | join(', ') }} from updated
    {%- if recounting %}
    union all
    select {{ counted_columns | join(', ') }} from recounted_counted
    {%- endif %}
),
{%- endif %}
final as (
    select
        profile_id,
        {%- for condition in conditions %}
        {%- if condition.function == 'avg' %}
        {{ condition.id }}__sum / nullif({{ condition.id }}__count, 0) as {{ condition.id }},
        {%- elif condition.function == 'count_distinct' %}
        coalesce({{ condition.id }}, 0) as {{ condition.id }},
        {%- else %}
        {{ condition.id }},
        {%- endif %}
        {%- endfor %}
        events_until_as_of,
        {%- for condition in conditions %}
        {%- for column in condition.state_columns if column != condition.id %}
        {{ column }} as state_{{ column }},
        {%- endfor %}
        {%- endfor %}
        {{ segments_timestamp(now) if complete else 'cast(null as timestamp)' }} as state_as_of,
        {{ segments_timestamp(loaded_until) if complete else 'cast(null as timestamp)' }} as state_loaded_until
    from counted
    where events_until_as_of > 0
)
select * from final
{%- endmacro %}

