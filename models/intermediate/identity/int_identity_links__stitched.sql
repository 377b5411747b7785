{#- Every distinct link of raw.identities as stitching left it: why it was not applied (NULL:
    applied) and the component it belongs to - the first identity, by namespace priority, of
    the nodes it connects through links applied or skipped (NULL for links refused before
    stitching, which connect nothing). This is the state the next run starts from: its new
    links are the rows of raw.identities missing here, and the components they touch are
    stitched again from these rows. Written after int_identity_map__linked, so that a run
    killed in between finds its new links still new, and stitches them again. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ segments_forget_restitched_links() }}",
) }}
-- depends_on: {{ ref('int_identity_map__linked') }}
-- depends_on: {{ ref('int_identity_stitch__planned') }}
-- depends_on: {{ ref('int_identity_links__pending') }}

with links as (
    select * from {{ ref('int_identity_links__ordered') }}
),

nodes as (
    select * from {{ ref('int_identity_nodes__linked') }}
),

resolved as (
    select * from {{ ref('int_identity_graph__resolved') }}
),

resolved_nodes as (
    select resolved.item_id as node_id, components.namespace as component_namespace, components.identity as component_identity
    from resolved
    inner join nodes as components on components.node_id = resolved.component_node_id
    where resolved.item = 'node'
),

over_limit as (
    select
        resolved.item_id as link_order,
        'over identity_limits: would give profile ' || profiles.identity || ' more than '
            || cast(resolved.namespace_limit as string) || ' ' || resolved.limited_namespace
            || ' identit' || case when resolved.namespace_limit = 1 then 'y' else 'ies' end as reason
    from resolved
    inner join nodes as profiles on profiles.node_id = resolved.profile_node_id
    where resolved.item = 'skipped_link'
),

final as (
    select
        links.namespace,
        links.identity,
        links.linked_namespace,
        links.linked_identity,
        links.observed_at,
        coalesce(links.rejected_reason, over_limit.reason) as reason,
        case when links.rejected_reason is null then resolved_nodes.component_namespace end as component_namespace,
        case when links.rejected_reason is null then resolved_nodes.component_identity end as component_identity,
        {{ segments_as_of_sql() }} as stitched_at
    from links
    left join over_limit on over_limit.link_order = links.link_order
    left join resolved_nodes on resolved_nodes.node_id = links.source_node_id
)

select * from final
