{#- raw.profiles rows under their stitched profile_id when profiles are stitched, each with the
    identity and namespace it was recorded under (what the merge policy orders by); the staged
    rows as they are otherwise. A view: nothing is copied. -#}
{{ config(materialized='view') }}
{%- set identity_map = segments_identity_map_relation() -%}
{%- set profile_columns = _segments_columns(ref('stg_raw__profiles')) -%}
{%- set stitched = identity_map is not none and segments_stitching_enabled() %}

with profiles as (
    select * from {{ ref('stg_raw__profiles') }}
),

{%- if stitched %}

moved as (
    {{ _segments_moved_identities(identity_map) }}
),

final as (
    select
        {{ _segments_stitched_columns('profiles', profile_columns) }},
        profiles.profile_id as source_identity,
        {{ segments_row_namespace(profile_columns, 'profiles') }} as source_namespace
    from profiles
    left join moved
        on moved.identity = profiles.profile_id
        and moved.namespace = {{ segments_row_namespace(profile_columns, 'profiles') }}
)
{%- else %}

final as (
    select * from profiles
)
{%- endif %}

select * from final
