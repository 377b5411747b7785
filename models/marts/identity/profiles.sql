{#- The profile of every profile id segments see: with stitched profiles, one row per stitched
    profile, its attributes merged per merge_policy; otherwise the latest raw.profiles row of
    each profile. -#}

with profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),

final as (
    select * from profiles
)

select * from final
