{#- Every link of raw.identities that stitching did not apply, with why: incomplete, touching a
    blocklisted value, or skipped because it would have given a profile more identities of a
    namespace than identity_limits allows. Nothing is dropped silently. -#}

with links as (
    select * from {{ ref('int_identity_links__ordered') }}
),

nodes as (
    select * from {{ ref('int_identity_nodes__linked') }}
),

skipped as (
    select * from {{ ref('int_identity_graph__resolved') }}
    where item = 'skipped_link'
),

refused as (
    select link_order, rejected_reason as reason
    from links
    where rejected_reason is not null
),

over_limit as (
    select
        skipped.item_id as link_order,
        'over identity_limits: would give profile ' || nodes.identity || ' more than '
            || cast(skipped.namespace_limit as string) || ' ' || skipped.limited_namespace
            || ' identit' || case when skipped.namespace_limit = 1 then 'y' else 'ies' end as reason
    from skipped
    inner join nodes on nodes.node_id = skipped.profile_node_id
),

rejected as (
    select * from refused
    union all
    select * from over_limit
),

final as (
    select
        links.link_order,
        links.namespace,
        links.identity,
        links.linked_namespace,
        links.linked_identity,
        links.observed_at,
        rejected.reason
    from rejected
    inner join links on links.link_order = rejected.link_order
)

select * from final
