{#- Condition nodes over one row of int_profiles__evaluated (alias `profile`), one macro per kind. -#}

{% macro _segments_condition(node) -%}
    {%- if node.kind == 'all' -%}{{ _segments_condition_all(node) }}
    {%- elif node.kind == 'any' -%}{{ _segments_condition_any(node) }}
    {%- elif node.kind == 'not' -%}{{ _segments_condition_not(node) }}
    {%- elif node.kind == 'attribute' -%}{{ _segments_condition_attribute(node) }}
    {%- elif node.kind == 'event' -%}{{ _segments_condition_event(node) }}
    {%- elif node.kind == 'sequence' -%}{{ _segments_condition_sequence(node) }}
    {%- elif node.kind == 'in_segment' -%}{{ _segments_condition_in_segment(node) }}
    {%- elif node.kind == 'sql' -%}{{ _segments_condition_sql(node) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("_segments_condition: unknown condition kind '" ~ node.kind ~ "' (expected all, any, not, attribute, event, sequence, in_segment or sql)") }}
    {%- endif -%}
{%- endmacro %}

{% macro _segments_condition_all(node) -%}
    {%- set parts = [] -%}
    {%- for child in node.children -%}{%- do parts.append(_segments_condition(child)) -%}{%- endfor -%}
    ({{ parts | join('\n        and ') }})
{%- endmacro %}

{% macro _segments_condition_any(node) -%}
    {%- set parts = [] -%}
    {%- for child in node.children -%}{%- do parts.append(_segments_condition(child)) -%}{%- endfor -%}
    ({{ parts | join('\n        or ') }})
{%- endmacro %}

{% macro _segments_condition_not(node) -%}
    (not {{ _segments_condition(node.child) }})
{%- endmacro %}

{% macro _segments_condition_attribute(node) -%}
    {{ _segments_predicate('profile.' ~ adapter.quote(node.column), node) }}
{%- endmacro %}

{#- count, sum and count_distinct over no matching events are 0; avg, min and max are missing. -#}
{% macro _segments_condition_event(node) -%}
    {%- set metric = 'profile.' ~ node.aggregate_id -%}
    {%- if node.function in ('count', 'sum', 'count_distinct') -%}
        {%- set metric = 'coalesce(' ~ metric ~ ', 0)' -%}
    {%- endif -%}
    {{ _segments_predicate(metric, node) }}
{%- endmacro %}

{% macro _segments_condition_sequence(node) -%}
    coalesce(profile.{{ node.sequence_id }}, false)
{%- endmacro %}

{% macro _segments_condition_in_segment(node) -%}
    (profile.profile_id in (select profile_id from {{ ref('int_segment_members__' ~ node.segment) }}))
{%- endmacro %}

{% macro _segments_condition_sql(node) -%}
    {%- set rendered = node.sql.get(target.type, node.sql['duckdb']) -%}
    coalesce(({{ rendered }}), false)
{%- endmacro %}
