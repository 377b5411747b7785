{#- Copies the loader's Parquet export into the Spark raw tables (scripts/seg load --target spark):
    each table is replaced in one Delta transaction, so a reader sees the previous rows or the
    new ones, never a half-written table. The `absent` tables, which the warehouse does not have,
    are dropped. -#}
{% macro segments_replace_raw_tables(folder, tables, absent=[]) -%}
    {% do run_query('create schema if not exists raw') %}
    {%- for table in tables %}
        {% do run_query("create or replace table raw." ~ table ~ " using delta as select * from parquet.`" ~ folder ~ "/" ~ table ~ ".parquet`") %}
    {%- endfor %}
    {%- for table in absent %}
        {% do run_query("drop table if exists raw." ~ table) %}
    {%- endfor %}
{%- endmacro %}

{#- Drops schemas with everything in them (the Spark tests share one metastore per run). -#}
{% macro segments_drop_schemas(schemas) -%}
    {%- for schema in schemas %}
        {% do run_query('drop schema if exists ' ~ schema ~ ' cascade') %}
    {%- endfor %}
{%- endmacro %}
