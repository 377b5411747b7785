{#- The segment catalog on Spark: the catalog is one Delta table (replaced atomically) and each
    segments.<name> is a view of the members in segment_membership, the one members table. A view
    costs a metastore call, not a Spark job, so 500 segments are 500 catalog entries over one
    table rather than 500 jobs each writing a table; the views are created only for segments new
    to the catalog and dropped with their segment, so a daily run touches none of them. -#}
{% materialization published_segments, adapter='spark' %}
    {%- set tables_schema = config.require('tables_schema') -%}
    {%- set membership = ref(config.require('members_from')) -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target = this.incorporate(type='table') -%}
    {%- set previously = run_query('select segment from ' ~ existing).columns[0].values() | list if existing is not none else [] -%}
    {%- set schema_views = [] -%}
    {%- if existing is not none -%}
        {%- for row in run_query('show views in ' ~ segments_relation(tables_schema)) -%}
            {%- do schema_views.append(row[1]) -%}
        {%- endfor -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks) }}
    {% call statement('main') -%}
        create or replace table {{ target }} using delta as {{ sql }}
    {%- endcall %}

    {%- set listed = run_query('select segment, description from ' ~ target ~ ' order by segment') -%}
    {%- set published = listed.columns[0].values() | list -%}
    {%- do run_query('create schema if not exists ' ~ segments_relation(tables_schema)) -%}
    {%- for row in listed if row[0] not in schema_views or row[0] not in previously -%}
        {%- set view = segments_relation(tables_schema, row[0]) -%}
        {% do run_query(
            'create or replace view ' ~ view
            ~ ' (profile_id comment ' ~ segments_string_literal('A current member of the segment (unique).')
            ~ ', qualified_at comment ' ~ segments_string_literal('The evaluation (as_of) at which the current membership streak began.')
            ~ ', evaluated_at comment ' ~ segments_string_literal('The as_of of the latest evaluation.')
            ~ ', split comment ' ~ segments_string_literal('The member\'s split (e.g. treatment / holdout), NULL without splits.') ~ ')'
            ~ ' comment ' ~ segments_string_literal(row[1] or '')
            ~ ' as select profile_id, qualified_at, evaluated_at, split from ' ~ membership
            ~ ' where segment = ' ~ segments_string_literal(row[0]) ~ " and status in ('realized', 'existing')"
        ) %}
    {%- endfor -%}
    {%- for segment in previously if segment not in published -%}
        {% do run_query('drop view if exists ' ~ segments_relation(tables_schema, segment)) %}
    {%- endfor -%}

    {{ run_hooks(post_hooks) }}
    {% do persist_docs(target, model) %}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}
