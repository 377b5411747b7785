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

{{ _segments_evaluated_ctes(profile_columns, event_columns, sequence_columns) }}

final as (
    select * from evaluated
)

select * from final
