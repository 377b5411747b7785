{#- The registry of segments: their definitions (for the catalog) and their members unioned. -#}

{% macro segments_array_literal(items) -%}
    {{ return(adapter.dispatch('segments_array_literal', 'segments')(items)) }}
{%- endmacro %}
{% macro default__segments_array_literal(items) -%}
    {%- set quoted = [] -%}
    {%- for item in items -%}{%- do quoted.append(segments_string_literal(item)) -%}{%- endfor -%}
    cast([{{ quoted | join(', ') }}] as string[])
{%- endmacro %}
{% macro spark__segments_array_literal(items) -%}
    {%- set quoted = [] -%}
    {%- for item in items -%}{%- do quoted.append(segments_string_literal(item)) -%}{%- endfor -%}
    cast(array({{ quoted | join(', ') }}) as array<string>)
{%- endmacro %}

{% macro segment_definitions(definitions) -%}
    {{ return(adapter.dispatch('segment_definitions', 'segments')(definitions)) }}
{%- endmacro %}

{% macro default__segment_definitions(definitions) -%}
with definitions as (
    {%- for row in definitions %}
    select
        {{ segments_string_literal(row.segment) }} as segment,
        {{ segments_string_literal(row.description) }} as description,
        cast({{ segments_literal(row.owner) }} as string) as owner,
        {{ segments_array_literal(row.tags) }} as tags,
        {{ segments_string_literal(row.definition) }} as definition,
        {{ segments_string_literal(row.definition_hash) }} as definition_hash,
        {{ segments_array_literal(row.depends_on) }} as depends_on,
        {{ segments_string_literal(row.source_file) }} as source_file
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as string) as segment,
        cast(null as string) as description,
        cast(null as string) as owner,
        {{ segments_array_literal([]) }} as tags,
        cast(null as string) as definition,
        cast(null as string) as definition_hash,
        {{ segments_array_literal([]) }} as depends_on,
        cast(null as string) as source_file
    where 1 = 0
    {%- endfor %}
)
select * from definitions
{%- endmacro %}

