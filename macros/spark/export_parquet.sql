{#- `seg publish --target spark --parquet DIR`: every relation of the published schemas written
    as one Parquet file in a folder of its own, <folder>/<schema>.<relation>/part-*.parquet (one
    task writes it, so it is one file); the caller renames each file to its place. -#}
{% macro segments_export_parquet(folder, schemas) -%}
    {%- for schema in schemas -%}
        {%- for row in run_query('show tables in ' ~ schema) if not row[2] -%}
            {% do run_query(
                "insert overwrite directory '" ~ folder ~ "/" ~ schema ~ "." ~ row[1] ~ "' using parquet "
                ~ "select /*+ coalesce(1) */ * from " ~ segments_relation(schema, row[1])
            ) %}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}
