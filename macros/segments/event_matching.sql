{#- Event matching, shared by event conditions, sequences and Customer AI: which events a
    matcher selects (types and `where`), the value an event contributes to a metric. -#}

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
    cast(profile.{{ adapter.quote(column) }} as string)
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
