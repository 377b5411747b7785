{#- Every identity named by a complete link this run stitches (int_identity_links__pending),
    numbered in the order that chooses a profile's id: namespace priority (identity_namespaces,
    then namespaces not listed, by name), then the identity value. Stitching numbers nodes so that a component's id is its smallest node.
    `namespace_limit` is identity_limits' limit for the namespace (NULL: no limit). -#}
{%- set settings = segments_identity_settings() %}

with links as (
    select * from {{ ref('int_identity_links__pending') }}
    where identity is not null and namespace is not null
      and linked_identity is not null and linked_namespace is not null
),

endpoints as (
    select namespace, identity from links
    union
    select linked_namespace as namespace, linked_identity as identity from links
),

ranked as (
    select
        namespace,
        identity,
        {{ segments_namespace_rank('namespace') }} as namespace_rank
    from endpoints
),

final as (
    select
        row_number() over (order by namespace_rank, namespace, identity) - 1 as node_id,
        namespace,
        identity,
        namespace_rank,
        {%- if settings.limits %}
        case namespace
            {%- for name, limit in settings.limits.items() %}
            when {{ segments_string_literal(name) }} then {{ limit | int }}
            {%- endfor %}
        end as namespace_limit
        {%- else %}
        cast(null as integer) as namespace_limit
        {%- endif %}
    from ranked
)

select * from final
