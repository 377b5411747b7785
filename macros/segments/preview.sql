{#- A segment evaluated straight from the warehouse without materializing anything, for
    `seg preview` and `seg explain`: the same macros as the models, composed into one query over
    the staging views and the profile attributes. Works for a draft that was never built. -#}
{% macro segment_preview(segment, aggregates, sequences) -%}
    {{ return(adapter.dispatch('segment_preview', 'segments')(segment, aggregates, sequences)) }}
{%- endmacro %}

{% macro default__segment_preview(segment, aggregates, sequences) -%}
{{ _segments_preview_ctes(aggregates, sequences) }}

final as (
    select
        profile.profile_id,
        {{ _segments_condition(segment.condition) }} as is_member
    from evaluated as profile
)

select * from final
{%- endmacro %}

{#- The evaluated profiles of a preview (CTE `evaluated`, one row per profile, like
    int_profiles__evaluated), with `events` and `profiles` CTEs for the explanations. -#}
{% macro _segments_preview_ctes(aggregates, sequences) -%}
{%- set profile_columns = _segments_columns(ref('int_profiles__deduplicated')) -%}
with profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
    where true {{ segments_profile_filter('profile_id') }}
),

events as (
    select * from {{ ref('stg_raw__events') }}
    where event_ts <= {{ segments_as_of_sql() }}
      {{ segments_profile_filter('profile_id') }}
),

event_conditions as (
    {{ default__aggregate_event_conditions(aggregates) | indent(4) }}
),

sequence_conditions as (
    {{ default__match_sequence_conditions(sequences) | indent(4) }}
),

{{ _segments_evaluated_ctes(profile_columns, aggregates | map(attribute='id') | list, sequences | map(attribute='id') | list) }}
{%- endmacro %}

{#- The CTEs `profile_ids` and `evaluated` over the CTEs profiles, event_conditions and
    sequence_conditions: every evaluated profile with its attributes and condition values (shared
    by int_profiles__evaluated and the previews). -#}
{% macro _segments_evaluated_ctes(profile_columns, event_columns, sequence_columns) -%}
profile_ids as (
    select profile_id from profiles
    where true {{ segments_profile_filter('profile_id') }}
    union
    select profile_id from event_conditions
    where true {{ segments_profile_filter('profile_id') }}
),

evaluated as (
    select
        profile_ids.profile_id
        {%- for name in profile_columns if name != 'profile_id' %},
        profiles.{{ adapter.quote(name) }}
        {%- endfor %}
        {%- for name in event_columns if name != 'profile_id' and not name.startswith('state_') %},
        event_conditions.{{ adapter.quote(name) }}
        {%- endfor %}
        {%- for name in sequence_columns if name != 'profile_id' and not name.startswith('state_') %},
        sequence_conditions.{{ adapter.quote(name) }}
        {%- endfor %}
    from profile_ids
    left join profiles on profiles.profile_id = profile_ids.profile_id
    left join event_conditions on event_conditions.profile_id = profile_ids.profile_id
    left join sequence_conditions on sequence_conditions.profile_id = profile_ids.profile_id
),
{%- endmacro %}

{#- Why a profile is or is not a member: one row with, for every node of the condition tree in
    pre-order, whether it holds (node_<i>) and what was observed (observed_<i>, as text). -#}
{% macro segment_explain(segment, aggregates, sequences) -%}
    {{ return(adapter.dispatch('segment_explain', 'segments')(segment, aggregates, sequences)) }}
{%- endmacro %}

{% macro default__segment_explain(segment, aggregates, sequences) -%}
{%- set event_columns = _segments_columns(ref('stg_raw__events')) -%}
{%- set columns = [] -%}
{%- do _segments_explain_nodes(segment.condition, aggregates, columns) -%}
{{ _segments_preview_ctes(aggregates, sequences) }}
{%- for sequence in sequences %}
{{ _segments_sequence_steps(sequence, event_columns) }}
{%- endfor %}

final as (
    select
        profile.profile_id
        {%- for column in columns %},
        {{ column.holds }} as node_{{ loop.index0 }},
        {{ column.observed }} as observed_{{ loop.index0 }}
        {%- endfor %}
    from evaluated as profile
)

select * from final
{%- endmacro %}

{% macro _segments_text(sql) -%}
    cast({{ sql }} as varchar)
{%- endmacro %}

{% macro _segments_explain_nodes(node, aggregates, columns) -%}
    {%- set observed = 'cast(null as varchar)' -%}
    {%- if node.kind == 'attribute' -%}
        {%- set observed = _segments_text('profile.' ~ adapter.quote(node.column)) -%}
    {%- elif node.kind == 'event' -%}
        {%- set aggregate = (aggregates | selectattr('id', 'equalto', node.aggregate_id) | list)[0] -%}
        {%- set metric = 'profile.' ~ node.aggregate_id -%}
        {%- if node.function in ('count', 'sum', 'count_distinct') -%}{%- set metric = 'coalesce(' ~ metric ~ ', 0)' -%}{%- endif -%}
        {%- set label = node.function ~ (' of ' ~ aggregate.of if aggregate.of else '') ~ ' = ' -%}
        {%- set window = '' -%}
        {%- if aggregate.window is not none -%}
            {%- set bounds = _segments_window_bounds(aggregate.window, segments_as_of()) -%}
            {%- set window = ' in ' ~ ('[' if bounds.lower_inclusive else '(') ~ (bounds.lower or '-inf') ~ ', ' ~ bounds.upper ~ (']' if bounds.upper_inclusive else ')') -%}
        {%- endif -%}
        {%- set observed = segments_string_literal(label) ~ ' || coalesce(' ~ _segments_text(metric) ~ ", 'missing') || " ~ segments_string_literal(window) -%}
    {%- elif node.kind == 'sequence' -%}
        {%- set observed = _segments_sequence_observed(node.sequence_id, node.step_count) -%}
    {%- endif -%}
    {%- do columns.append({'holds': _segments_condition(node), 'observed': observed}) -%}
    {%- for child in node.get('children', []) -%}{%- do _segments_explain_nodes(child, aggregates, columns) -%}{%- endfor -%}
    {%- if node.kind == 'not' -%}{%- do _segments_explain_nodes(node.child, aggregates, columns) -%}{%- endif -%}
{%- endmacro %}

{#- "step 1: 2 events (last 2026-11-20 10:00:00); step 2: none" for a sequence's chain ends. -#}
{% macro _segments_sequence_observed(sequence_id, step_count) -%}
    {%- set parts = [] -%}
    {%- for step in range(1, step_count + 1) -%}
        {%- set cte = sequence_id ~ '__step_' ~ step -%}
        {%- do parts.append("'step " ~ step ~ ": ' || coalesce((select count(distinct step_ts) || ' chain end(s), last ' || cast(max(step_ts) as varchar) from " ~ cte ~ " having count(*) > 0), 'no chain continues here')") -%}
    {%- endfor -%}
    ({{ parts | join(" || '; ' || ") }})
{%- endmacro %}
