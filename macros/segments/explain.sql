{#- Why a profile is or is not a member, for `seg explain`: one row with, for every node of the
    condition tree, whether it holds (node_<id>) and what was observed (observed_<id>, as text,
    and observed_<id>__<field>, typed: the value, the window's bounds, each step's chain ends).
    The nodes come numbered from the compiler (segment.nodes: [{id, node}], in pre-order), so
    Python and SQL never count them separately. -#}
{% macro segment_explain(segment, aggregates, sequences) -%}
    {{ return(adapter.dispatch('segment_explain', 'segments')(segment, aggregates, sequences)) }}
{%- endmacro %}

{% macro default__segment_explain(segment, aggregates, sequences) -%}
{%- set event_columns = _segments_columns(ref('int_events__stitched')) -%}
{{ _segments_preview_ctes(aggregates, sequences) }}
{%- for sequence in sequences %}
{{ _segments_sequence_steps(sequence, event_columns) }}
{%- endfor %}

final as (
    select
        profile.profile_id
        {%- for entry in segment.nodes %},
        {{ _segments_condition(entry.node) }} as node_{{ entry.id }},
        {{ _segments_observed(entry.node, aggregates) }} as observed_{{ entry.id }}
        {%- for field in _segments_observed_fields(entry.node, aggregates) %},
        {{ field[1] }} as observed_{{ entry.id }}__{{ field[0] }}
        {%- endfor %}
        {%- endfor %}
    from evaluated as profile
)

select * from final
{%- endmacro %}

{#- What a node observed, as text: one dispatched macro per kind, segments_observed_<kind>. -#}
{% macro _segments_observed(node, aggregates) -%}
    {{- adapter['dispatch']('segments_observed_' ~ node.kind, 'segments')(node, aggregates) -}}
{%- endmacro %}

{#- What a node observed, typed: a list of (field, SQL) pairs, one dispatched macro per kind,
    segments_observed_fields_<kind>. `seg explain --json` shows them in `observed` beside the
    text (window_* fields as `window`, step_<k>_* fields as `steps`). -#}
{% macro _segments_observed_fields(node, aggregates) -%}
    {{- return(adapter['dispatch']('segments_observed_fields_' ~ node.kind, 'segments')(node, aggregates)) -}}
{%- endmacro %}

{% macro default__segments_observed_fields_all(node, aggregates) -%}{{ return([]) }}{%- endmacro %}
{% macro default__segments_observed_fields_any(node, aggregates) -%}{{ return([]) }}{%- endmacro %}
{% macro default__segments_observed_fields_not(node, aggregates) -%}{{ return([]) }}{%- endmacro %}
{% macro default__segments_observed_fields_in_segment(node, aggregates) -%}{{ return([]) }}{%- endmacro %}
{% macro default__segments_observed_fields_propensity(node, aggregates) -%}{{ return([]) }}{%- endmacro %}
{% macro default__segments_observed_fields_sql(node, aggregates) -%}{{ return([]) }}{%- endmacro %}

{% macro default__segments_observed_fields_attribute(node, aggregates) -%}
    {{ return([('value', 'profile.' ~ adapter.quote(node.column))]) }}
{%- endmacro %}

{% macro default__segments_observed_fields_event(node, aggregates) -%}
    {%- set aggregate = (aggregates | selectattr('id', 'equalto', node.aggregate_id) | list)[0] -%}
    {%- set fields = [
        ('function', segments_string_literal(node.function)),
        ('of', segments_string_literal(aggregate.of) if aggregate.of else 'cast(null as string)'),
        ('value', _segments_event_metric(node)),
    ] -%}
    {%- if aggregate.window is not none -%}
        {%- set bounds = _segments_window_bounds(aggregate.window, segments_as_of()) -%}
        {%- do fields.append(('window_lower', segments_timestamp(bounds.lower) if bounds.lower is not none else 'cast(null as timestamp)')) -%}
        {%- do fields.append(('window_lower_inclusive', 'true' if bounds.lower_inclusive else 'false')) -%}
        {%- do fields.append(('window_upper', segments_timestamp(bounds.upper))) -%}
        {%- do fields.append(('window_upper_inclusive', 'true' if bounds.upper_inclusive else 'false')) -%}
    {%- endif -%}
    {{ return(fields) }}
{%- endmacro %}

{% macro default__segments_observed_fields_sequence(node, aggregates) -%}
    {%- set fields = [] -%}
    {%- for step in range(1, node.step_count + 1) -%}
        {%- set cte = node.sequence_id ~ '__step_' ~ step -%}
        {%- do fields.append(('step_' ~ step ~ '_chain_ends', '(select count(distinct step_ts) from ' ~ cte ~ ')')) -%}
        {%- do fields.append(('step_' ~ step ~ '_last', '(select max(step_ts) from ' ~ cte ~ ')')) -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}

{% macro _segments_text(sql) -%}
    cast({{ sql }} as string)
{%- endmacro %}

{#- Containers, references, scores and sql show their verdict only. -#}
{% macro _segments_nothing_observed() -%}
    cast(null as string)
{%- endmacro %}

{% macro default__segments_observed_all(node, aggregates) -%}{{ _segments_nothing_observed() }}{%- endmacro %}
{% macro default__segments_observed_any(node, aggregates) -%}{{ _segments_nothing_observed() }}{%- endmacro %}
{% macro default__segments_observed_not(node, aggregates) -%}{{ _segments_nothing_observed() }}{%- endmacro %}
{% macro default__segments_observed_in_segment(node, aggregates) -%}{{ _segments_nothing_observed() }}{%- endmacro %}
{% macro default__segments_observed_propensity(node, aggregates) -%}{{ _segments_nothing_observed() }}{%- endmacro %}
{% macro default__segments_observed_sql(node, aggregates) -%}{{ _segments_nothing_observed() }}{%- endmacro %}

{% macro default__segments_observed_attribute(node, aggregates) -%}
    {{ _segments_text('profile.' ~ adapter.quote(node.column)) }}
{%- endmacro %}

{#- "count = 6 in (2026-10-01 00:00:00, 2026-11-01 00:00:00]": the metric and its window. -#}
{% macro default__segments_observed_event(node, aggregates) -%}
    {%- set aggregate = (aggregates | selectattr('id', 'equalto', node.aggregate_id) | list)[0] -%}
    {%- set label = node.function ~ (' of ' ~ aggregate.of if aggregate.of else '') ~ ' = ' -%}
    {%- set window = '' -%}
    {%- if aggregate.window is not none -%}
        {%- set bounds = _segments_window_bounds(aggregate.window, segments_as_of()) -%}
        {%- set window = ' in ' ~ ('[' if bounds.lower_inclusive else '(') ~ (bounds.lower or '-inf') ~ ', ' ~ bounds.upper ~ (']' if bounds.upper_inclusive else ')') -%}
    {%- endif -%}
    {{ segments_string_literal(label) }} || coalesce({{ _segments_text(_segments_event_metric(node)) }}, 'missing') || {{ segments_string_literal(window) }}
{%- endmacro %}

{#- "step 1: 2 chain end(s), last 2026-11-20 10:00:00; step 2: no chain continues here". -#}
{% macro default__segments_observed_sequence(node, aggregates) -%}
    {%- set parts = [] -%}
    {%- for step in range(1, node.step_count + 1) -%}
        {%- set cte = node.sequence_id ~ '__step_' ~ step -%}
        {%- do parts.append("'step " ~ step ~ ": ' || coalesce((select count(distinct step_ts) || ' chain end(s), last ' || cast(max(step_ts) as string) from " ~ cte ~ " having count(*) > 0), 'no chain continues here')") -%}
    {%- endfor -%}
    ({{ parts | join(" || '; ' || ") }})
{%- endmacro %}
