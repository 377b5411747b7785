{#- Every link this run stitches (int_identity_links__pending) in the order links apply:
    (observed_at nulls first, namespace, identity, linked_namespace, linked_identity), numbered; with its two nodes, and why it is rejected
    before stitching (incomplete, or touching a blocklisted value). -#}
{%- set settings = segments_identity_settings() -%}
{%- set blocked = [] -%}
{%- for value in settings.blocklist -%}{%- do blocked.append(segments_string_literal(value)) -%}{%- endfor -%}
{%- set blocklist_sql = blocked | join(', ') if blocked else 'null' %}

with links as (
    select * from {{ ref('int_identity_links__pending') }}
),

nodes as (
    select * from {{ ref('int_identity_nodes__linked') }}
),

ordered as (
    select
        row_number() over (
            order by observed_at nulls first, namespace, identity, linked_namespace, linked_identity
        ) as link_order,
        namespace,
        identity,
        linked_namespace,
        linked_identity,
        observed_at,
        case
            when identity is null or namespace is null or linked_identity is null or linked_namespace is null
                then 'incomplete link: an identity or a namespace is missing'
            when identity in ({{ blocklist_sql }}) then 'blocklisted identity: ' || identity
            when linked_identity in ({{ blocklist_sql }}) then 'blocklisted identity: ' || linked_identity
        end as rejected_reason
    from links
),

final as (
    select
        ordered.*,
        source_node.node_id as source_node_id,
        target_node.node_id as target_node_id
    from ordered
    left join nodes as source_node
        on source_node.namespace = ordered.namespace and source_node.identity = ordered.identity
    left join nodes as target_node
        on target_node.namespace = ordered.linked_namespace and target_node.identity = ordered.linked_identity
)

select * from final
