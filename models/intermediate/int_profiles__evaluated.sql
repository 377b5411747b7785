{#- Every profile evaluated at as_of (a raw.profiles row, or an event at or before as_of), with its
    attributes and the value of every shared event and sequence condition: one row each. During
    an incremental evaluation, only the profiles in int_profiles__changed. -#}
{%- set profile_columns = _segments_columns(ref('int_profiles__deduplicated')) -%}
{%- set event_columns = _segments_columns(ref('int_event_conditions__aggregated')) -%}
{%- set sequence_columns = _segments_columns(ref('int_sequence_conditions__matched')) -%}

with profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),

event_conditions as (
    select * from {{ ref('int_event_conditions__aggregated') }}
),

sequence_conditions as (
    select * from {{ ref('int_sequence_conditions__matched') }}
),

profile_ids as (
    select profile_id from profiles
    where true {{ segments_profile_filter('profile_id') }}
    union
    select profile_id from event_conditions
),

final as (
    select
        profile_ids.profile_id
        {%- for name in profile_columns if name != 'profile_id' %},
        profiles.{{ adapter.quote(name) }}
        {%- endfor %}
        {%- for name in event_columns if name != 'profile_id' %},
        event_conditions.{{ adapter.quote(name) }}
        {%- endfor %}
        {%- for name in sequence_columns if name != 'profile_id' %},
        sequence_conditions.{{ adapter.quote(name) }}
        {%- endfor %}
    from profile_ids
    left join profiles on profiles.profile_id = profile_ids.profile_id
    left join event_conditions on event_conditions.profile_id = profile_ids.profile_id
    left join sequence_conditions on sequence_conditions.profile_id = profile_ids.profile_id
)

select * from final
