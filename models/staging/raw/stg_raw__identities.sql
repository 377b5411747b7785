{#- Renames and casts only; an empty typed table when the store has no raw.identities (then
    nothing is stitched). -#}
{%- set source_relation = source('raw', 'identities') -%}
{%- set present = execute and adapter.get_relation(source_relation.database, source_relation.schema, source_relation.identifier) is not none -%}

with source as (
    {%- if present %}
    select * from {{ source_relation }}
    {%- else %}
    select
        cast(null as string) as identity,
        cast(null as string) as namespace,
        cast(null as string) as linked_identity,
        cast(null as string) as linked_namespace,
        cast(null as timestamp) as observed_at
    where 1 = 0
    {%- endif %}
),

renamed as (
    select
        cast(identity as string) as identity,
        cast(namespace as string) as namespace,
        cast(linked_identity as string) as linked_identity,
        cast(linked_namespace as string) as linked_namespace,
        cast(observed_at as timestamp) as observed_at
    from source
)

select * from renamed
