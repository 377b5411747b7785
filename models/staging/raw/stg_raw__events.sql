{#- Renames and casts only. Optional contract columns that the source lacks become typed NULLs;
    any extra typed columns pass through and are addressable as event properties. -#}
{%- set source_relation = source('raw', 'events') -%}
{%- set source_columns = _segments_columns(source_relation) -%}
{%- set required = {'event_id': 'string', 'profile_id': 'string', 'event_type': 'string', 'event_ts': 'timestamp'} -%}
{%- set optional = {'properties': segments_json_type(), 'session_id': 'string', 'loaded_at': 'timestamp'} -%}
{%- set selected = [] -%}
{%- for name, sql_type in required.items() -%}
    {%- do selected.append('cast(' ~ name ~ ' as ' ~ sql_type ~ ') as ' ~ name) -%}
{%- endfor -%}
{%- for name, sql_type in optional.items() -%}
    {%- do selected.append(('cast(' ~ name ~ ' as ' ~ sql_type ~ ')' if name in source_columns else 'cast(null as ' ~ sql_type ~ ')') ~ ' as ' ~ name) -%}
{%- endfor -%}
{%- for name in source_columns if name not in required and name not in optional -%}
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
