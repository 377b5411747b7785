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

{#- A relation in one of the project's schemas. Spark has no database level (its "database" is
    the schema), so the target's database is named only where it exists. -#}
{% macro segments_relation(schema, identifier=none) -%}
    {%- set database = target.database if target.database is defined else none -%}
    {{ return(api.Relation.create(database=database, schema=schema, identifier=identifier)) }}
{%- endmacro %}

{#- Run several statements, in order: one call where the engine takes a script (DuckDB, in one
    transaction), one call each where it takes one statement at a time (Spark). -#}
{% macro segments_execute(statements) -%}
    {{ return(adapter.dispatch('segments_execute', 'segments')(statements)) }}
{%- endmacro %}
{% macro default__segments_execute(statements) -%}
    {% call statement('segments_execute') %}{{ statements | reject('none') | join(';\n') }}{% endcall %}
{%- endmacro %}
{% macro spark__segments_execute(statements) -%}
    {%- for sql in statements | reject('none') -%}{% do run_query(sql) %}{%- endfor -%}
{%- endmacro %}

{#- The text of a hook that runs several statements: the script itself where the engine runs one
    (in the model's transaction), or nothing after running them one by one (Spark, which has no
    transactions: each Delta statement is atomic on its own). -#}
{% macro segments_hook_statements(statements) -%}
    {{ return(adapter.dispatch('segments_hook_statements', 'segments')(statements)) }}
{%- endmacro %}
{% macro default__segments_hook_statements(statements) -%}
    {{ return(statements | reject('none') | join(';\n')) }}
{%- endmacro %}
{% macro spark__segments_hook_statements(statements) -%}
    {%- do segments_execute(statements) -%}
    {{ return('') }}
{%- endmacro %}

{#- A state table the hooks write (not a model): created with its columns [[name, type], ...] when
    missing; the columns added after the first release are added to older tables. -#}
{% macro segments_create_table_if_missing(relation, columns) -%}
    {%- set existing = load_relation(relation) -%}
    {%- if existing is none -%}
        {%- set listed = [] -%}
        {%- for name, type in columns -%}{%- do listed.append(name ~ ' ' ~ type) -%}{%- endfor -%}
        {%- do segments_execute([
            'create schema if not exists ' ~ segments_relation(relation.schema),
            segments_create_table_sql(relation, listed | join(', ')),
        ]) -%}
    {%- else -%}
        {%- set present = _segments_columns(existing) -%}
        {%- set missing = [] -%}
        {%- for name, type in columns if name not in present -%}
            {%- do missing.append(segments_add_column_sql(relation, name, type)) -%}
        {%- endfor -%}
        {%- do segments_execute(missing) if missing -%}
    {%- endif -%}
{%- endmacro %}

{% macro segments_create_table_sql(relation, columns_sql) -%}
    {{ return(adapter.dispatch('segments_create_table_sql', 'segments')(relation, columns_sql)) }}
{%- endmacro %}
{% macro default__segments_create_table_sql(relation, columns_sql) -%}
    create table if not exists {{ relation }} ({{ columns_sql }})
{%- endmacro %}
{% macro spark__segments_create_table_sql(relation, columns_sql) -%}
    create table if not exists {{ relation }} ({{ columns_sql }}) using delta
{%- endmacro %}

{% macro segments_add_column_sql(relation, name, type) -%}
    {{ return(adapter.dispatch('segments_add_column_sql', 'segments')(relation, name, type)) }}
{%- endmacro %}
{% macro default__segments_add_column_sql(relation, name, type) -%}
    alter table {{ relation }} add column {{ name }} {{ type }}
{%- endmacro %}
{% macro spark__segments_add_column_sql(relation, name, type) -%}
    alter table {{ relation }} add columns ({{ name }} {{ type }})
{%- endmacro %}

{#- A statement deleting the rows of `relation` whose key is among the rows of a query. Delta
    rejects subqueries in DELETE: a merge that deletes the matches does it there. -#}
{% macro segments_delete_keys_sql(relation, columns, keys_sql) -%}
    {{ return(adapter.dispatch('segments_delete_keys_sql', 'segments')(relation, columns, keys_sql)) }}
{%- endmacro %}
{% macro default__segments_delete_keys_sql(relation, columns, keys_sql) -%}
    delete from {{ relation }} where ({{ columns | join(', ') }}) in ({{ keys_sql }})
{%- endmacro %}
{% macro spark__segments_delete_keys_sql(relation, columns, keys_sql) -%}
    {%- set matches = [] -%}
    {%- for name in columns -%}{%- do matches.append('target.' ~ name ~ ' = keys.' ~ name) -%}{%- endfor -%}
    merge into {{ relation }} as target using ({{ keys_sql }}) as keys
    on {{ matches | join(' and ') }}
    when matched then delete
{%- endmacro %}
