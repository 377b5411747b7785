{#- Schemas are exact names (segments, segmentation, staging, intermediate), never prefixed with the
    target schema: BI tools and users address them as segments.<name>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
