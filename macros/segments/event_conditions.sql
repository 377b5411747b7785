{#- Event matching and the shared grouped scan: every event condition of every segment is one
    conditional aggregate in a single pass over the events (int_event_conditions__aggregated). -#}

{#- The columns of a relation as {name: data_type} (empty while dbt parses). -#}
{% macro _segments_columns(relation) -%}
    {%- set columns = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do columns.update({column.name: column.dtype | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- SQL for an event property: a virtual property, a typed column, or a path in `properties`. -#}
{% macro _segments_event_property(name, family, event_columns) -%}
    {%- set ts = 'event.event_ts' -%}
    {%- if name == 'event_date' -%}
        {{ return('cast(' ~ ts ~ ' as date)') }}
    {%- elif name == 'event_week' -%}
        {{ return(segments_date_trunc('week', ts)) }}
    {%- elif name == 'event_month' -%}
        {{ return(segments_date_trunc('month', ts)) }}
    {%- elif name == 'event_hour' -%}
        {{ return(segments_hour(ts)) }}
    {%- elif name == 'event_dow' -%}
        {{ return(segments_iso_dow(ts)) }}
    {%- elif name == 'session' -%}
        {{ return('event.session_id') }}
    {%- elif name in event_columns -%}
        {{ return('event.' ~ adapter.quote(name)) }}
    {%- endif -%}
    {%- set text = segments_json_text('event.properties', name) -%}
    {%- if family == 'number' -%}
        {{ return(segments_try_cast(text, 'double')) }}
    {%- elif family == 'boolean' -%}
        {{ return(segments_try_cast(text, 'boolean')) }}
    {%- elif family in ('date', 'timestamp') -%}
        {{ return(segments_try_cast(text, family)) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{% macro _segments_where(node, event_columns) -%}
    {%- if node.kind in ('all', 'any') -%}
        {%- set parts = [] -%}
        {%- for child in node.children -%}{%- do parts.append(_segments_where(child, event_columns)) -%}{%- endfor -%}
        ({{ parts | join(' and ' if node.kind == 'all' else ' or ') }})
    {%- elif node.kind == 'not' -%}
        (not {{ _segments_where(node.child, event_columns) }})
    {%- elif node.kind == 'property' -%}
        {%- set family = node.family -%}
        {%- set attribute_sql = _segments_attribute_reference -%}
        {%- set first = node.value[0] if node.value is sequence and node.value is not string and node.value is not mapping else node.value -%}
        {%- if first is mapping and 'attribute' in first and node.property not in event_columns -%}
            {#- JSON text compared with a profile column: read both as text. -#}
            {%- set attribute_sql = _segments_attribute_reference_as_text -%}
        {%- endif -%}
        {{ _segments_predicate(_segments_event_property(node.property, family, event_columns), node, attribute_sql) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("_segments_where: unknown node kind '" ~ node.kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{% macro _segments_attribute_reference(column) -%}
    profile.{{ adapter.quote(column) }}
{%- endmacro %}

{% macro _segments_attribute_reference_as_text(column) -%}
    cast(profile.{{ adapter.quote(column) }} as varchar)
{%- endmacro %}

{#- Does this event match the matcher (types and where)? -#}
{% macro _segments_event_match(matcher, event_columns) -%}
    {%- set parts = [] -%}
    {%- if matcher.event_types is not none -%}
        {%- set types = [] -%}
        {%- for event_type in matcher.event_types -%}{%- do types.append(segments_string_literal(event_type)) -%}{%- endfor -%}
        {%- do parts.append('event.event_type in (' ~ types | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- if matcher.where is not none -%}
        {%- do parts.append(_segments_where(matcher.where, event_columns)) -%}
    {%- endif -%}
    ({{ parts | join(' and ') if parts else 'true' }})
{%- endmacro %}

{#- The join that gives event predicates the profile's attributes, when `node` compares with any. -#}
{% macro _segments_profile_join(node) -%}
    {%- if _segments_uses_attributes(node) -%}
        left join profiles as profile on profile.profile_id = event.profile_id
    {%- endif -%}
{%- endmacro %}

{% macro _segments_uses_attributes(node) -%}
    {%- if node is mapping -%}
        {%- if 'attribute' in node and node | length == 1 -%}{{ return(true) }}{%- endif -%}
        {%- for value in node.values() -%}
            {%- if _segments_uses_attributes(value) -%}{{ return(true) }}{%- endif -%}
        {%- endfor -%}
    {%- elif node is sequence and node is not string -%}
        {%- for value in node -%}
            {%- if _segments_uses_attributes(value) -%}{{ return(true) }}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}

{#- The cheap tests of one event condition (event type, window) as a predicate, 'true' when it
    has neither. -#}
{% macro _segments_event_selection(condition, event_columns, as_of=none) -%}
    {%- set selected = [] -%}
    {%- if condition.event_types is not none -%}
        {%- do selected.append(_segments_event_match({'event_types': condition.event_types, 'where': none}, event_columns)) -%}
    {%- endif -%}
    {%- if condition.window is not none -%}
        {%- do selected.append(_segments_window_predicate(condition.window, 'event.event_ts', as_of)) -%}
    {%- endif -%}
    {{ selected | join(' and ') if selected else 'true' }}
{%- endmacro %}

{#- What one event condition aggregates, per event: the value (1 for count) of the events that
    match, NULL for the others. The cheap tests (event type, window) select the rows first and the
    `where` (often JSON) is evaluated only on those. -#}
{% macro _segments_event_value(condition, event_columns, as_of=none) -%}
    {%- set value = '1' if condition.function == 'count' else _segments_event_property(condition.of, condition.of_family, event_columns) -%}
    {%- if condition.where is not none -%}
        {%- set value = 'case when ' ~ _segments_where(condition.where, event_columns) ~ ' then ' ~ value ~ ' end' -%}
    {%- endif -%}
    case when {{ _segments_event_selection(condition, event_columns, as_of) }} then {{ value }} end
{%- endmacro %}

{#- The metric of one event condition as a conditional aggregate. -#}
{% macro _segments_event_aggregate(condition, event_columns, as_of=none) -%}
    {%- set value = _segments_event_value(condition, event_columns, as_of) -%}
    {%- if condition.function == 'count' -%}
        count({{ value }})
    {%- elif condition.function == 'count_distinct' -%}
        count(distinct {{ value }})
    {%- else -%}
        {{ condition.function }}({{ value }})
    {%- endif -%}
{%- endmacro %}

{% macro aggregate_event_conditions(conditions) -%}
    {{ return(adapter.dispatch('aggregate_event_conditions', 'segments')(conditions)) }}
{%- endmacro %}

{#- Counting state: what each metric keeps so that the next evaluation can update it with the
    events that entered and left its window instead of counting again. count and sum are their
    own state (sums are exact decimals, so an updated sum equals a recounted one); avg keeps a sum
    and a count; min and max over windows that only grow (none, before, range) are their own
    state too. count_distinct, and min and max over windows that events leave, cannot be updated
    from the moved events alone (a value's last event leaving the window, the extreme leaving):
    an incremental evaluation counts them again from the events in their window, for the
    profiles whose moved events change them. -#}
{% macro _segments_counted_again(condition) -%}
    {{ return(condition.function == 'count_distinct' or (condition.function in ('min', 'max') and condition.window is not none and condition.window.kind not in ('before', 'range'))) }}
{%- endmacro %}

{% macro _segments_state_columns(condition) -%}
    {%- if condition.function == 'avg' -%}
        {{ return([condition.id ~ '__sum', condition.id ~ '__count']) }}
    {%- endif -%}
    {{ return([condition.id]) }}
{%- endmacro %}

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
        {%- for column in _segments_state_columns(condition) %},
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

{#- [lower, upper] bands (closed) holding every event whose place in some window, or relative to
    as_of, differs between the baseline's as_of and this one. -#}
{% macro _segments_moved_event_bands(conditions, before, now) -%}
    {%- set bands = [[before, now]] -%}
    {%- for condition in conditions if condition.window is not none -%}
        {%- do bands.extend(_segments_moved_bands(condition.window, before, now)) -%}
    {%- endfor -%}
    {{ return(bands) }}
{%- endmacro %}

{#- Closed [lower, upper] bands, overlapping ones merged, in order. -#}
{% macro _segments_merged_bands(bands) -%}
    {%- set merged = [] -%}
    {%- set open = namespace(lower=none, upper=none) -%}
    {%- for band in bands | sort -%}
        {%- if open.lower is not none and band[0] <= open.upper -%}
            {%- set open.upper = [open.upper, band[1]] | max -%}
        {%- else -%}
            {%- if open.lower is not none -%}{%- do merged.append([open.lower, open.upper]) -%}{%- endif -%}
            {%- set open.lower = band[0] -%}
            {%- set open.upper = band[1] -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do merged.append([open.lower, open.upper]) -%}
    {{ return(merged) }}
{%- endmacro %}

{#- Can this evaluation update the previous state (built by the baseline evaluation, from the
    events it had loaded) rather than count again? -#}
{% macro _segments_state_is_baseline(evaluation) -%}
    {%- if evaluation.mode != 'incremental' -%}{{ return(false) }}{%- endif -%}
    {%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if previous is none or 'state_as_of' not in _segments_columns(previous) -%}{{ return(false) }}{%- endif -%}
    {%- set rows = run_query('select state_as_of, state_loaded_until from ' ~ previous ~ ' limit 1') -%}
    {{ return(rows | length == 1 and rows[0][0] == evaluation.baseline_as_of and rows[0][1] == evaluation.baseline_loaded_until) }}
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
{%- set events_relation = ref('stg_raw__events') -%}
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
        {%- for column in _segments_state_columns(condition) %}
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
        {%- if _segments_counted_again(condition) %}
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
{%- for condition in conditions if _segments_counted_again(condition) %}
{{ condition.id }}__counted_again as (
    {{ _segments_count_one(condition, event_columns, 'events', counted_events ~ ' and event.profile_id in (select profile_id from moved where ' ~ condition.id ~ '__touched)') | indent(4) }}
),
{%- endfor %}
updated as (
    select
        coalesce(previous.profile_id, moved.profile_id) as profile_id,
        {%- for condition in conditions if not _segments_counted_again(condition) %}
        {%- for column in _segments_state_columns(condition) %}
        {%- if condition.function in ('min', 'max') %}
        {{ 'least' if condition.function == 'min' else 'greatest' }}(previous.{{ column }}, moved.{{ column }}) as {{ column }},
        {%- else %}
        coalesce(previous.{{ column }}, 0) + coalesce(moved.{{ column }}, 0) as {{ column }},
        {%- endif %}
        {%- endfor %}
        {%- endfor %}
        {%- for condition in conditions if _segments_counted_again(condition) %}
        case
            when moved.{{ condition.id }}__touched then {{ condition.id }}__counted_again.{{ condition.id }}
            else previous.{{ condition.id }}
        end as {{ condition.id }},
        {%- endfor %}
        coalesce(previous.events_until_as_of, 0) + coalesce(moved.events_until_as_of, 0) as events_until_as_of
    from previous
    full join moved on moved.profile_id = previous.profile_id
    {%- for condition in conditions if _segments_counted_again(condition) %}
    left join {{ condition.id }}__counted_again on {{ condition.id }}__counted_again.profile_id = moved.profile_id
    {%- endfor %}
    where coalesce(previous.profile_id, moved.profile_id) not in (select profile_id from recounted_profiles)
),
counted as (
    select * from updated
    {%- if recounting %}
    union all by name
    select * from recounted_counted
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
        {%- for column in _segments_state_columns(condition) if column != condition.id %}
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

{#- `alias."a", alias."b"` for the given columns, or `alias.*` while dbt parses. -#}
{% macro _segments_select_list(alias, columns) -%}
    {%- if not columns -%}
        {{ alias }}.*
    {%- else -%}
        {%- set quoted = [] -%}
        {%- for name in columns -%}{%- do quoted.append(alias ~ '.' ~ adapter.quote(name)) -%}{%- endfor -%}
        {{ quoted | join(', ') }}
    {%- endif -%}
{%- endmacro %}
