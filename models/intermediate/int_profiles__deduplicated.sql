{#- One attribute row per profile: the latest by updated_at when raw.profiles holds several. With
    stitched profiles, the latest row of each identity, merged per merge_policy: `timestamp` -
    each attribute's non-null value from the row updated last; `priority` - from the row whose
    namespace comes first in identity_namespaces (ties: updated last). -#}
{%- set stitched_columns = _segments_columns(ref('int_profiles__stitched')) -%}
{%- set stitched = 'source_identity' in stitched_columns -%}
{%- set settings = segments_identity_settings() -%}
with profiles as (
    select * from {{ ref('int_profiles__stitched') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by {{ 'source_namespace, source_identity' if stitched else 'profile_id' }}
            order by updated_at desc nulls last
        ) as version_rank
    from profiles
),

{%- if stitched %}
{%- set rank = segments_namespace_rank('source_namespace') -%}
{%- set latest_first = 'updated_at desc nulls last, ' ~ rank ~ ', source_namespace, source_identity' -%}
{%- set priority_first = rank ~ ', source_namespace, updated_at desc nulls last, source_identity' -%}
{%- set order_by = priority_first if settings.merge_policy == 'priority' else latest_first %}

final as (
    select
        profile_id,
        max(updated_at) as updated_at
        {%- for name in stitched_columns if name not in ('profile_id', 'updated_at', 'source_identity', 'source_namespace') %},
        {{ segments_first_non_null(adapter.quote(name), order_by) }} as {{ adapter.quote(name) }}
        {%- endfor %}
    from ranked
    where version_rank = 1
    group by profile_id
)

select * from final
{%- else %}

final as (
    select * from ranked
    where version_rank = 1
)

select {{ _segments_select_list('final', _segments_columns(ref('stg_raw__profiles'))) }}
from final
{%- endif %}
