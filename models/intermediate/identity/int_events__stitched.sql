{#- raw.events as segments read them: each event's profile_id is its stitched profile when
    profiles are stitched (an event on any device of a customer counts for the customer), the
    staged events as they are otherwise. A view: nothing is copied. -#}
{{ config(materialized='view') }}
{%- set identity_map = segments_identity_map_relation() -%}
{%- set event_columns = _segments_columns(ref('stg_raw__events')) -%}
{%- set stitched = identity_map is not none and segments_stitching_enabled() %}

with events as (
    select * from {{ ref('stg_raw__events') }}
),

{%- if stitched %}

moved as (
    {{ _segments_moved_identities(identity_map) }}
),

final as (
    select {{ _segments_stitched_columns('events', event_columns) }}
    from events
    left join moved
        on moved.identity = events.profile_id
        and moved.namespace = {{ segments_row_namespace(event_columns, 'events') }}
)
{%- else %}

final as (
    select * from events
)
{%- endif %}

select * from final
