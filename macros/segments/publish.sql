{#- The segment catalog publishes the tables it lists: one table per segment, segments.<name>
    (current members with qualified_at, evaluated_at and split), written by this one node in the
    catalog's transaction. One dbt node per segment table cost ~0.1 s of dbt's own work each,
    i.e. most of a build with hundreds of segments; here all of them take one statement batch.

    The catalog and every table are replaced together or not at all: a failed run leaves the
    previous tables and catalog as they were. Tables of segments that are no longer defined (they
    were in the previous catalog) are dropped; other tables in the schema are never touched. -#}
{% materialization published_segments, adapter='duckdb' %}
    {%- set tables_schema = config.require('tables_schema') -%}
    {%- set membership = ref(config.require('members_from')) -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target = this.incorporate(type='table') -%}
    {%- set intermediate = make_intermediate_relation(target) -%}
    {%- set backup = make_backup_relation(target, 'table') -%}
    {{ drop_relation_if_exists(load_cached_relation(intermediate)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup)) }}

    {%- set previously = [] -%}
    {%- if existing is not none -%}
        {%- set previously = run_query('select segment from ' ~ existing).columns[0].values() | list -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {#- the catalog itself, with its contract -#}
    {% call statement('main') -%}
        {{ create_table_as(False, intermediate, sql) }}
    {%- endcall %}

    {%- set listed = run_query('select segment, description from ' ~ intermediate ~ ' order by segment') -%}
    {%- set published = listed.columns[0].values() | list -%}
    {% call statement('publish_segment_tables') -%}
        create schema if not exists {{ api.Relation.create(database=target.database, schema=tables_schema) }};
        {%- for row in listed %}
        {{ _segments_publish_table(api.Relation.create(database=target.database, schema=tables_schema, identifier=row[0]), membership, row[0], row[1]) }}
        {%- endfor %}
        {%- for segment in previously if segment not in published %}
        drop table if exists {{ api.Relation.create(database=target.database, schema=tables_schema, identifier=segment) }};
        {%- endfor %}
    {%- endcall %}

    {% if existing is not none %}
        {{ adapter.rename_relation(existing, backup) }}
    {% endif %}
    {{ adapter.rename_relation(intermediate, target) }}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target, model) %}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}

{#- One published table: its columns and types are a contract dashboards rely on (declared here,
    NOT NULL enforced by the database), its description a table comment BI tools show. -#}
{% macro _segments_publish_table(relation, membership, segment, description) -%}
        create or replace table {{ relation }} (
            profile_id varchar not null,
            qualified_at timestamp not null,
            evaluated_at timestamp not null,
            split varchar
        );
        insert into {{ relation }}
        select profile_id, qualified_at, evaluated_at, split
        from {{ membership }}
        where segment = {{ segments_string_literal(segment) }}
          and status in ('realized', 'existing');
        comment on table {{ relation }} is {{ segments_string_literal(description or '') }};
        comment on column {{ relation }}.profile_id is 'A current member of the segment (unique).';
        comment on column {{ relation }}.qualified_at is 'The evaluation (as_of) at which the current membership streak began.';
        comment on column {{ relation }}.evaluated_at is 'The as_of of the evaluation that produced this table.';
        comment on column {{ relation }}.split is 'The member''s split (e.g. treatment / holdout), NULL without splits.';
{%- endmacro %}
