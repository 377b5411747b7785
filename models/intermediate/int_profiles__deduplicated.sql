{#- One attribute row per profile: the latest by updated_at when raw.profiles holds several. -#}
with profiles as (
    select * from {{ ref('stg_raw__profiles') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by profile_id
            order by updated_at desc nulls last
        ) as version_rank
    from profiles
),

final as (
    select * from ranked
    where version_rank = 1
)

select {{ _segments_select_list('final', _segments_columns(ref('stg_raw__profiles'))) }}
from final
