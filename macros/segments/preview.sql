{#- A segment evaluated straight from the warehouse without materializing anything, for
    `seg preview` and `seg explain`: the same macros as the models, composed into one query over
    the staging views and the profile attributes. Works for a draft that was never built. -#}
{% macro segment_preview(segment, aggregates, sequences) -%}
    {{ return(adapter.dispatch('segment_preview', 'segments')(segment, aggregates, sequences)) }}
{%- endmacro %}

{% macro default__segment_preview(segment, aggregates, sequences) -%}
{%- set profile_columns = _segments_columns(ref('int_profiles__deduplicated')) -%}
with profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
    where true {{ segments_profile_filter('profile_id') }}
),

event_conditions as (
    {{ default__aggregate_event_conditions(aggregates) | indent(4) }}
),

sequence_conditions as (
    {{ default__match_sequence_conditions(sequences) | indent(4) }}
),

profile_ids as (
    select profile_id from profiles
    union
    select profile_id from event_conditions
),

evaluated as (
    select
        profile_ids.profile_id
        {%- for name in profile_columns if name != 'profile_id' %},
        profiles.{{ adapter.quote(name) }}
        {%- endfor %}
        {%- for item in aggregates %},
        event_conditions.{{ item.id }}
        {%- endfor %}
        {%- for item in sequences %},
        sequence_conditions.{{ item.id }}
        {%- endfor %}
    from profile_ids
    left join profiles on profiles.profile_id = profile_ids.profile_id
    left join event_conditions on event_conditions.profile_id = profile_ids.profile_id
    left join sequence_conditions on sequence_conditions.profile_id = profile_ids.profile_id
),

final as (
    select
        profile.profile_id,
        {{ _segments_condition(segment.condition) }} as is_member
    from evaluated as profile
)

select * from final
{%- endmacro %}
