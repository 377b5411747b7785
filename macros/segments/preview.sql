{#- A segment evaluated straight from the warehouse without materializing anything, for
    `seg preview` and `seg explain`: the same macros as the models, composed into one query over
    the staging views and the profile attributes. Works for a draft that was never built.
    With `segment.nodes` (the compiler's numbered nodes, as for explain) each node's verdict is a
    column node_<id> too: the preview counts how many profiles every condition keeps. -#}
{% macro segment_preview(segment, aggregates, sequences) -%}
    {{ return(adapter.dispatch('segment_preview', 'segments')(segment, aggregates, sequences)) }}
{%- endmacro %}

{% macro default__segment_preview(segment, aggregates, sequences) -%}
{{ _segments_preview_ctes(aggregates, sequences) }}

final as (
    select
        profile.profile_id,
        {{ _segments_condition(segment.condition) }} as is_member
        {%- for entry in segment.get('nodes', []) %},
        {{ _segments_condition(entry.node) }} as node_{{ entry.id }}
        {%- endfor %}
    from evaluated as profile
)

select * from final
{%- endmacro %}

{#- `seg preview` in one row and one pass over the preview: members, profiles evaluated, the first
    `examples` members by id and, for a sampled preview, the population it estimates (every
    profile with a profile row or an event at or before as_of); with `segment.nodes`, the profiles
    each node holds for (node_<id>). -#}
{% macro segment_preview_summary(segment, aggregates, sequences, examples, count_population) -%}
with preview as (
    {{ segment_preview(segment, aggregates, sequences) | indent(4) }}
)

select
    count(case when is_member then 1 end) as members,
    count(*) as evaluated,
    {%- for entry in segment.get('nodes', []) %}
    count(case when node_{{ entry.id }} then 1 end) as node_{{ entry.id }},
    {%- endfor %}
    {{ segments_smallest_values('case when is_member then profile_id end', examples) }} as examples,
    {%- if count_population %}
    (
        select count(*) from (
            select profile_id from {{ ref('int_profiles__stitched') }}
            union
            select profile_id from {{ ref('int_events__stitched') }}
            where event_ts <= {{ segments_as_of_sql() }}
        ) as population_ids
    ) as population
    {%- else %}
    cast(null as bigint) as population
    {%- endif %}
from preview
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
    select * from {{ ref('int_events__stitched') }}
    where event_ts <= {{ segments_as_of_sql() }}
      {{ segments_profile_filter('profile_id') }}
),

event_conditions as (
    {{ aggregate_event_conditions(aggregates) | indent(4) }}
),

sequence_conditions as (
    {{ match_sequence_conditions(sequences) | indent(4) }}
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
