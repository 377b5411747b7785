{#- on-run-start: refuse to build when a generated model is stale, missing or orphaned, i.e. when a
    definition in segments/ changed after scripts/seg generate last ran. The definitions are hashed
    by the warehouse itself (read_text + md5), and compared with the hashes the generator wrote
    into the models' meta (source_file/source_hash of a propensity model, segment_sources of
    int_segment_definitions). -#}
{% macro check_generated_models() -%}
    {{ return(adapter.dispatch('check_generated_models', 'segments')()) }}
{%- endmacro %}

{% macro default__check_generated_models() -%}
    {{ log("check_generated_models: the freshness check of generated segment models runs on DuckDB and Spark only; run scripts/seg generate --check in CI", info=true) }}
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
    {%- do _segments_compare_definition_hashes(on_disk) -%}
{%- endmacro %}

{#- The definition files on disk, {relative path: md5}, against what the generator recorded. -#}
{% macro _segments_compare_definition_hashes(on_disk) -%}
    {%- set folder = var('segments_path', 'segments') -%}
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

{#- Spark reads the definition files with its text source, one row per whole file. Spark
    resolves a relative path against the working directory its JVM started in, which is not
    always the project (one JVM serves several projects in-process): the project comes from
    DBT_PROJECT_DIR when set, else it is the directory dbt runs in. -#}
{% macro _segments_definition_hashes_on_spark() -%}
    {%- set folder = var('segments_path', 'segments') -%}
    {%- set root = env_var('DBT_PROJECT_DIR', '') | replace('\\', '/') -%}
    {%- set root = root.rstrip('/') if root else '' -%}
    {%- set path = (root ~ '/' if root else '') ~ folder -%}
    {%- set on_disk = {} -%}
    {%- do run_query("create or replace temporary view segments_definition_files using text options (path '" ~ path ~ "', recursiveFileLookup 'true', pathGlobFilter '*.{yml,yaml}', wholetext 'true')") -%}
    {%- for row in run_query("select input_file_name(), md5(value) from segments_definition_files") -%}
        {%- set file = row[0] | replace('file://', '') | replace('file:', '') -%}
        {%- set start = file.find(root ~ '/') + root | length + 1 if root else file.rfind('/' ~ folder ~ '/') + 1 -%}
        {%- do on_disk.update({file[start:]: row[1]}) -%}
    {%- endfor -%}
    {{ return(on_disk) }}
{%- endmacro %}

{#- Spark: the same freshness check, reading the files with Spark. And dbt-spark runs no Python
    models outside Databricks, so Customer AI's training and scoring run before the build
    (`scripts/seg models train --target spark`, same code, same as_of) and the build reads their
    tables; a build that needs them stops here, building nothing, unless they were made for this
    as_of. (dbt-databricks, which also reads the spark__ macros, runs the Python models: nothing
    to check there.) -#}
{% macro spark__check_generated_models() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.enabled and (node.config.meta or {}).get('propensity_model') -%}
        {%- do models.append(node.config.meta['propensity_model']) -%}
    {%- endfor -%}
    {%- set builds_scores = 'model.segments.int_propensity_scores__unioned' in selected_resources
                            or 'model.segments.int_propensity_training__unioned' in selected_resources -%}
    {%- do _segments_compare_definition_hashes(_segments_definition_hashes_on_spark()) -%}
    {%- if models and builds_scores and target.type == 'spark' -%}
        {%- do _segments_check_trained_on_spark(models | sort) -%}
    {%- endif -%}
{%- endmacro %}

{% macro _segments_check_trained_on_spark(models) -%}
    {%- set as_of = segments_as_of() -%}
    {%- set what_to_do = "run scripts/seg models train --target spark with SEGMENTS_AS_OF=" ~ as_of.isoformat() ~ " first, then this build with the same SEGMENTS_AS_OF (docs/spark.md). Nothing was built." -%}
    {%- set relation = adapter.get_relation(database=none, schema='customer_ai', identifier='trained_for') -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error("Customer AI's models (" ~ models | join(', ') ~ ") are trained and scored outside dbt on Spark, and have not been yet: " ~ what_to_do) }}
    {%- endif -%}
    {%- set trained = {} -%}
    {%- for row in run_query("select model, as_of from " ~ relation) -%}
        {%- do trained.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set stale = [] -%}
    {%- for model in models if trained.get(model) != as_of -%}
        {%- do stale.append(model ~ " (scored for " ~ (trained.get(model) or "no as_of") ~ ")") -%}
    {%- endfor -%}
    {%- if stale -%}
        {{ exceptions.raise_compiler_error("Customer AI's scores on Spark are not for this evaluation's as_of " ~ as_of ~ ": " ~ stale | join(', ') ~ ". " ~ what_to_do) }}
    {%- endif -%}
{%- endmacro %}
