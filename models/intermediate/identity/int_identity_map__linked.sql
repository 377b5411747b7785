{#- The identity map of every linked identity: the profile it is stitched into, next to the
    profile it was stitched into by the previous run (NULL: it was not linked, so it was its own
    profile). An incremental evaluation re-evaluates both profiles of every identity that moved:
    merges, splits, identities joining a profile. The previous map is this table as the last
    run left it; it counts only when that run was the baseline evaluation (the plan goes full
    otherwise), and identities no longer linked are dropped from the next one. -#}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none %}

with nodes as (
    select * from {{ ref('int_identity_nodes__linked') }}
),

resolved as (
    select * from {{ ref('int_identity_graph__resolved') }}
    where item = 'node'
),

current_map as (
    select
        nodes.namespace,
        nodes.identity,
        profile_nodes.identity as profile_id
    from resolved
    inner join nodes on nodes.node_id = resolved.item_id
    inner join nodes as profile_nodes on profile_nodes.node_id = resolved.profile_node_id
),

previous_map as (
    {%- if previous is not none %}
    select namespace, identity, profile_id from {{ this }}
    where profile_id is not null
    {%- else %}
    select cast(null as string) as namespace, cast(null as string) as identity, cast(null as string) as profile_id
    where 1 = 0
    {%- endif %}
),

final as (
    select
        coalesce(current_map.namespace, previous_map.namespace) as namespace,
        coalesce(current_map.identity, previous_map.identity) as identity,
        current_map.profile_id,
        previous_map.profile_id as previous_profile_id,
        {{ segments_as_of_sql() }} as stitched_at
    from current_map
    full join previous_map
        on previous_map.namespace = current_map.namespace
        and previous_map.identity = current_map.identity
)

select * from final
