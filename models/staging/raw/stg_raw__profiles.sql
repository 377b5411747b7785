{#- Renames and casts only: every attribute column passes through as it is typed in the source. -#}
{%- set source_relation = source('raw', 'profiles') -%}
{%- set source_columns = _segments_columns(source_relation) -%}
{%- set selected = ['cast(profile_id as string) as profile_id'] -%}
{%- do selected.append('cast(updated_at as timestamp) as updated_at' if 'updated_at' in source_columns else 'cast(null as timestamp) as updated_at') -%}
{%- for name in source_columns if name not in ('profile_id', 'updated_at') -%}
    {%- do selected.append(adapter.quote(name)) -%}
{%- endfor -%}

with source as (
    select * from {{ source_relation }}
),

renamed as (
    select
        {{ selected | join(',\n        ') }}
    from source
)

select * from renamed
