{#- The distinct links this run stitches: every link when int_identity_stitch__planned says
    full; otherwise the new links and every stitched link of a component they touch (a link
    sharing an identity with a new one names its component). Components are independent, so
    stitching these alone gives their nodes what stitching everything would. -#}
{%- set state = segments_stitched_links_relation() %}

with plan as (
    select * from {{ ref('int_identity_stitch__planned') }}
),

links as (
    select namespace, identity, linked_namespace, linked_identity, observed_at
    from {{ ref('stg_raw__identities') }}
    {%- if not segments_stitching_enabled() %}
    where 1 = 0
    {%- endif %}
),

stitched as (
    {%- if state is not none %}
    select * from {{ state }}
    where (select mode from plan) = 'incremental'
    {%- else %}
    select *, cast(null as string) as component_namespace, cast(null as string) as component_identity
    from links where 1 = 0
    {%- endif %}
),

{#- (distinct: a link may be listed twice) -#}
new_links as (
    select distinct * from links
    where (select mode from plan) = 'full'
       or not exists (select 1 from stitched where {{ segments_same_link('stitched', 'links') }})
),

new_endpoints as (
    select namespace, identity from new_links
    union
    select linked_namespace, linked_identity from new_links
),

touched_components as (
    select stitched.component_namespace, stitched.component_identity
    from stitched
    inner join new_endpoints
        on new_endpoints.namespace = stitched.namespace and new_endpoints.identity = stitched.identity
    where stitched.component_identity is not null
    union
    select stitched.component_namespace, stitched.component_identity
    from stitched
    inner join new_endpoints
        on new_endpoints.namespace = stitched.linked_namespace and new_endpoints.identity = stitched.linked_identity
    where stitched.component_identity is not null
),

touched_links as (
    select stitched.namespace, stitched.identity, stitched.linked_namespace, stitched.linked_identity, stitched.observed_at
    from stitched
    inner join touched_components
        on touched_components.component_namespace = stitched.component_namespace
        and touched_components.component_identity = stitched.component_identity
),

final as (
    select * from new_links
    union all
    select * from touched_links
)

select * from final
