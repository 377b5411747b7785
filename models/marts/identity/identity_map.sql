{#- The identity map: one row per identity of the store (every identity of raw.events,
    raw.profiles and raw.identities) with the stitched profile it belongs to. Empty when
    profiles are not stitched. -#}
{%- set stitched = segments_stitching_enabled() -%}
{%- set event_columns = _segments_columns(ref('stg_raw__events')) -%}
{%- set profile_columns = _segments_columns(ref('stg_raw__profiles')) %}

with linked as (
    select * from {{ ref('int_identity_map__linked') }}
    where profile_id is not null
),

events as (
    select * from {{ ref('stg_raw__events') }}
),

profiles as (
    select * from {{ ref('stg_raw__profiles') }}
),

recorded as (
    {%- if stitched %}
    select distinct {{ segments_row_namespace(event_columns) }} as namespace, profile_id as identity
    from events
    union
    select {{ segments_row_namespace(profile_columns) }} as namespace, profile_id as identity
    from profiles
    {%- else %}
    select cast(null as string) as namespace, cast(null as string) as identity
    where 1 = 0
    {%- endif %}
),

unlinked as (
    select recorded.namespace, recorded.identity, recorded.identity as profile_id
    from recorded
    left join linked
        on linked.namespace = recorded.namespace and linked.identity = recorded.identity
    where linked.identity is null
),

final as (
    select namespace, identity, profile_id from linked
    union all
    select namespace, identity, profile_id from unlinked
)

select * from final
