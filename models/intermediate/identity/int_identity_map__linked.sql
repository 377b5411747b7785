{#- The identity map of every linked identity: the profile it is stitched into, next to the
    profile it was stitched into before (NULL: it was not linked, so it was its own profile),
    and the run that stitched it (stitched_at). Each run writes the rows of the identities it
    stitches - all of them when int_identity_stitch__planned says full, else those of the
    components new links touch - and keeps the others, so the identities that moved in a run
    are its rows whose profile changed: an incremental evaluation re-evaluates both profiles of
    each (merges, splits, identities joining a profile). A full stitch drops the identities no
    longer linked from the next run's map. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['namespace', 'identity'],
    on_schema_change='fail',
    pre_hook="{{ segments_forget_unlinked_identities() }}",
) }}

with plan as (
    select * from {{ ref('int_identity_stitch__planned') }}
),

nodes as (
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
    {%- if is_incremental() %}
    select previous.namespace, previous.identity, previous.profile_id
    from {{ this }} as previous
    where previous.profile_id is not null
      and (
          (select mode from plan) = 'full'
          or exists (
              select 1 from nodes
              where nodes.namespace = previous.namespace and nodes.identity = previous.identity
          )
      )
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
