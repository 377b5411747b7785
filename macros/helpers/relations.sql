{#- Relation helpers shared by every macro folder. -#}

{#- The columns of a relation as {name: data_type} (empty while dbt parses). -#}
{% macro _segments_columns(relation) -%}
    {%- set columns = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do columns.update({column.name: column.dtype | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- `alias."a", alias."b"` for the given columns, or `alias.*` while dbt parses. -#}
{% macro _segments_select_list(alias, columns) -%}
    {%- if not columns -%}
        {{ alias }}.*
    {%- else -%}
        {%- set quoted = [] -%}
        {%- for name in columns -%}{%- do quoted.append(alias ~ '.' ~ adapter.quote(name)) -%}{%- endfor -%}
        {{ quoted | join(', ') }}
    {%- endif -%}
{%- endmacro %}
