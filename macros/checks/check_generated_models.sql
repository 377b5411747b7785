{#- on-run-start: refuse to build when a generated model is stale, missing or orphaned, i.e. when a
    definition in segments/ changed after scripts/seg generate last ran. The definitions are hashed
    by the warehouse itself (read_text + md5), and compared with the hashes the generator wrote
    into the models' meta (source_file/source_hash of a propensity model, segment_sources of
    int_segment_definitions). -#}
{% macro check_generated_models() -%}
    {{ return(adapter.dispatch('check_generated_models', 'segments')()) }}
{%- endmacro %}

{% macro default__check_generated_models() -%}
    {{ log("check_generated_models: the freshness check of generated segment models runs on DuckDB only; run scripts/seg generate --check in CI", info=true) }}
{%- endmacro %}

{% macro duckdb__check_generated_models() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set folder = var('segments_path', 'segments') -%}
    {%- set patterns = "['" ~ folder ~ "/**/*.yml', '" ~ folder ~ "/**/*.yaml']" -%}
    {%- set files_found = run_query("select count(*) from glob(" ~ patterns ~ ")").columns[0].values()[0] -%}
    {%- set on_disk = {} -%}
    {%- if files_found > 0 -%}
        {%- set rows = run_query("select filename, md5(content) from read_text(" ~ patterns ~ ") order by filename") -%}
        {%- for row in rows -%}{%- do on_disk.update({row[0]: row[1]}) -%}{%- endfor -%}
    {%- endif -%}
    {%- set generated = {} -%}
    {%- set shared_hashes = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- set meta = node.config.meta or {} -%}
        {%- if meta.get('source_file') -%}
            {%- do generated.update({meta['source_file']: [node.original_file_path, meta.get('source_hash')]}) -%}
        {%- endif -%}
        {%- for file, digest in (meta.get('segment_sources') or {}).items() -%}
            {%- do generated.update({file: [node.original_file_path, digest]}) -%}
        {%- endfor -%}
        {%- if meta.get('segments_sources_hash') -%}
            {%- do shared_hashes.append([node.name, meta['segments_sources_hash']]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- for file, digest in on_disk.items() -%}
        {%- if file not in generated -%}
            {%- do problems.append(file ~ ": no generated model (new definition)") -%}
        {%- elif generated[file][1] != digest -%}
            {%- do problems.append(file ~ ": changed since " ~ generated[file][0] ~ " was generated") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for file, model in generated.items() if file not in on_disk -%}
        {%- do problems.append(model[0] ~ ": its definition " ~ file ~ " is gone") -%}
    {%- endfor -%}
    {%- if not problems -%}
        {%- set parts = [] -%}
        {%- for file, digest in on_disk.items() | sort -%}{%- do parts.append(file ~ ':' ~ digest) -%}{%- endfor -%}
        {%- set expected = local_md5(parts | join(',')) -%}
        {%- for name, digest in shared_hashes if digest != expected -%}
            {%- do problems.append(name ~ ".sql: generated from other definitions than those in " ~ folder ~ "/") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Generated segment models are out of date; run scripts/seg generate (it validates the definitions) and build again. Nothing was built.\n  " ~ problems | join("\n  ")) }}
    {%- endif -%}
{%- endmacro %}

{#- Spark: dbt-spark runs no Python models outside Databricks, so a project with Customer AI
    models stops here, saying what to do, instead of at the first Python model's error
    (dbt-databricks, which also reads the spark__ macros, runs them: it passes). -#}
{% macro spark__check_generated_models() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set python_models = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.language == 'python' and node.config.enabled -%}
        {%- do python_models.append(node.name) -%}
    {%- endfor -%}
    {%- if python_models and target.type == 'spark' -%}
        {{ exceptions.raise_compiler_error("Customer AI's models are dbt Python models, which dbt-spark does not run outside Databricks (dbt-databricks does). Nothing was built. Remove the propensity models (and the segments on them) from " ~ var('segments_path', 'segments') ~ "/ to evaluate the other segments on Spark, or use the DuckDB target or a databricks target (docs/spark.md).\n  " ~ python_models | sort | join("\n  ")) }}
    {%- endif -%}
    {{ log("check_generated_models: the freshness check of generated segment models runs on DuckDB only; run scripts/seg generate --check first", info=true) }}
{%- endmacro %}
