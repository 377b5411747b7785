{#- Why a profile is or is not a member, for `seg explain`: one row with, for every node of the
    condition tree, whether it holds (node_<id>) and what was observed (observed_<id>, as text).
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
        {%- endfor %}
    from evaluated as profile
)

select * from final
{%- endmacro %}

{#- What a node observed, as text: one dispatched macro per kind, segments_observed_<kind>. -#}
{% macro _segments_observed(node, aggregates) -%}
    {{- adapter['dispatch']('segments_observed_' ~ node.kind, 'segments')(node, aggregates) -}}
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
