{#- Condition nodes over one row of int_profiles__evaluated (alias `profile`): one dispatched
    macro per kind, segments_condition_<kind>, found by the node's kind (kinds.py declares them).
    `as_of` (default: the run's) is the moment windows are relative to; Customer AI passes its
    training cutoff. -#}

{#- `adapter['dispatch']` is `adapter.dispatch` by a name dbt's parser does not read ahead of
    time: it reads only literal macro names there, and this one is the node's kind. -#}
{% macro _segments_condition(node, as_of=none) -%}
    {{- adapter['dispatch']('segments_condition_' ~ node.kind, 'segments')(node, as_of) -}}
{%- endmacro %}

{% macro default__segments_condition_all(node, as_of=none) -%}
    {%- set parts = [] -%}
    {%- for child in node.children -%}{%- do parts.append(_segments_condition(child, as_of)) -%}{%- endfor -%}
    ({{ parts | join('\n        and ') }})
{%- endmacro %}

{% macro default__segments_condition_any(node, as_of=none) -%}
    {%- set parts = [] -%}
    {%- for child in node.children -%}{%- do parts.append(_segments_condition(child, as_of)) -%}{%- endfor -%}
    ({{ parts | join('\n        or ') }})
{%- endmacro %}

{% macro default__segments_condition_not(node, as_of=none) -%}
    (not {{ _segments_condition(node.child, as_of) }})
{%- endmacro %}

{% macro default__segments_condition_attribute(node, as_of=none) -%}
    {{ _segments_predicate('profile.' ~ adapter.quote(node.column), node, as_of=as_of) }}
{%- endmacro %}

{#- count, sum and count_distinct over no matching events are 0; avg, min and max are missing. -#}
{% macro _segments_event_metric(node) -%}
    {%- set metric = 'profile.' ~ node.aggregate_id -%}
    {%- if node.function in ('count', 'sum', 'count_distinct') -%}
        {%- set metric = 'coalesce(' ~ metric ~ ', 0)' -%}
    {%- endif -%}
    {{ return(metric) }}
{%- endmacro %}

{% macro default__segments_condition_event(node, as_of=none) -%}
    {{ _segments_predicate(_segments_event_metric(node), node, as_of=as_of) }}
{%- endmacro %}

{% macro default__segments_condition_sequence(node, as_of=none) -%}
    coalesce(profile.{{ node.sequence_id }}, false)
{%- endmacro %}

{#- In the evaluation of every segment, the referenced segment's verdict is a column of the same
    row (it is evaluated in an earlier layer); elsewhere (preview, explain, compile of one segment)
    its members are read from the last evaluation. -#}
{% macro default__segments_condition_in_segment(node, as_of=none) -%}
    {%- if node.get('layered') -%}
        coalesce(profile.{{ _segments_verdict_column(node.segment) }}, false)
    {%- else -%}
        (profile.profile_id in (
            select profile_id from {{ ref('int_segment_members__unioned') }}
            where segment = {{ segments_string_literal(node.segment) }}
        ))
    {%- endif -%}
{%- endmacro %}

{#- Scores come from this run's Customer AI model; a model that was not trained scores no one. -#}
{% macro default__segments_condition_propensity(node, as_of=none) -%}
    (profile.profile_id in (
        select profile_id from {{ ref('int_propensity_scores__ranked') }}
        where model = {{ segments_string_literal(node.model) }}
          and {{ _segments_predicate(node.field, node) }}
    ))
{%- endmacro %}

{% macro default__segments_condition_sql(node, as_of=none) -%}
    {%- set rendered = node.sql.get(target.type, node.sql['duckdb']) -%}
    coalesce(({{ rendered }}), false)
{%- endmacro %}
