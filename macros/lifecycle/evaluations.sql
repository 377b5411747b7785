{#- Evaluations: each `dbt build` / `dbt run` with an as_of is one evaluation of every segment.
    on-run-start refuses an as_of earlier than the latest evaluation and records the evaluation
    in segmentation.evaluation_log; on-run-end records how it ended. -#}

{#- A run is an evaluation when it builds the change log (a plain `dbt build` / `dbt run`);
    a run of a few selected models is not, and is neither logged nor used as a baseline. -#}
{% macro _segments_is_evaluation() -%}
    {{ return(execute and flags.WHICH in ('build', 'run')
              and 'model.segments.segment_membership_history' in selected_resources) }}
{%- endmacro %}

{% macro _segments_evaluation_log() -%}
    {{ return(segments_relation('segmentation', 'evaluation_log')) }}
{%- endmacro %}

{% macro begin_evaluation() -%}
    {{ return(adapter.dispatch('begin_evaluation', 'segments')()) }}
{%- endmacro %}

{% macro default__begin_evaluation() -%}
    {%- if not _segments_is_evaluation() -%}{{ return('') }}{%- endif -%}
    {%- set log_table = _segments_evaluation_log() -%}
    {%- set as_of = segments_as_of() -%}
    {%- set columns = [
        ['evaluation_id', 'string'], ['as_of', 'timestamp'], ['started_at', 'timestamp'],
        ['finished_at', 'timestamp'], ['mode', 'string'], ['segments_evaluated', 'integer'],
        ['profiles_evaluated', 'bigint'], ['status', 'string'], ['error_message', 'string'],
        ['mode_reason', 'string'], ['definitions_hash', 'string'], ['loaded_until', 'timestamp'],
        ['profiles_updated_until', 'timestamp'], ['baseline_as_of', 'timestamp'],
        ['baseline_loaded_until', 'timestamp'], ['baseline_profiles_updated_until', 'timestamp'],
        ['loaded_until_rows', 'bigint'], ['profiles_updated_until_rows', 'bigint'],
        ['loads_at_baseline_stamp', 'boolean'], ['updates_at_baseline_stamp', 'boolean'],
        ['loaded_before_rows', 'bigint'], ['unstamped_rows', 'bigint'],
    ] -%}
    {%- do segments_create_table_if_missing(log_table, columns) -%}
    {#- a run that is still 'running' when the next one starts (DuckDB lets one writer in at
        a time) was killed: say so, so that nobody waits for it -#}
    {%- do segments_execute([
        "update " ~ log_table ~ " set status = 'interrupted', error_message = 'the run ended without recording how (killed, or the machine stopped)' where status = 'running'"
    ]) -%}
    {%- set latest = run_query("select max(as_of) from " ~ log_table ~ " where status = 'success'").columns[0].values()[0] -%}
    {%- if latest is not none and as_of < latest -%}
        {{ exceptions.raise_compiler_error("as_of " ~ as_of ~ " is earlier than the latest evaluation (" ~ latest ~ "): evaluations only move forward, so nothing was changed. Evaluate at " ~ latest ~ " or later, or rebuild history over past dates with scripts/seg backfill.") }}
    {%- endif -%}
    {%- set plan = _segments_plan_evaluation(log_table) -%}
    {%- set record_start %}
        insert into {{ log_table }} (
            evaluation_id, as_of, started_at, mode, status, mode_reason, definitions_hash,
            loaded_until, loaded_until_rows, profiles_updated_until, profiles_updated_until_rows,
            baseline_as_of, baseline_loaded_until, baseline_profiles_updated_until,
            loads_at_baseline_stamp, updates_at_baseline_stamp, loaded_before_rows, unstamped_rows
        )
        select
            '{{ invocation_id }}', {{ segments_timestamp(as_of) }}, current_timestamp::timestamp,
            '{{ plan.mode }}', 'running', {{ segments_string_literal(plan.reason) }},
            '{{ plan.definitions_hash }}',
            {{ plan.loaded_until_sql }}, {{ _segments_rows_at(plan.events, 'loaded_at', plan.loaded_until_sql) }},
            {{ plan.updated_until_sql }}, {{ _segments_rows_at(plan.profiles, 'updated_at', plan.updated_until_sql) }},
            {{ plan.baseline.as_of }}, {{ plan.baseline.loaded_until }},
            {{ plan.baseline.profiles_updated_until }}, {{ plan.baseline.loads_at_stamp }},
            {{ plan.baseline.updates_at_stamp }},
            loaded.loaded_before_rows, loaded.unstamped_rows
        from {{ _segments_loaded_rows(plan.events, plan.loaded_until_sql) }} as loaded
    {%- endset -%}
    {%- do segments_execute(["delete from " ~ log_table ~ " where as_of = " ~ segments_timestamp(as_of), record_start]) -%}
    {#- the hook's own transaction is rolled back by dbt: keep the log row -#}
    {%- do adapter.commit() -%}
    {#- dbt listed the relations before this hook created the log: tell its cache, so that the
        first evaluation's models find the log (and stamp their state with its loaded_until) -#}
    {%- do adapter.cache_added(log_table.incorporate(type='table')) -%}
{%- endmacro %}

{#- Full or incremental? Incremental re-evaluates only the profiles whose membership can have
    changed since the baseline: the latest evaluation, when it succeeded with the same
    definitions and the store tells arrival (loaded_at) and attribute change (updated_at) times. -#}
{% macro _segments_plan_evaluation(log_table) -%}
    {%- set sources = [] -%}
    {%- set full_only = [] -%}
    {%- for node in graph.nodes.values() if (node.config.meta or {}).get('segments_sources_hash') -%}
        {%- do sources.append(node.config.meta['segments_sources_hash']) -%}
        {%- do full_only.extend(node.config.meta.get('segments_full_only') or []) -%}
    {%- endfor -%}
    {%- set definitions_hash = sources[0] if sources else '' -%}
    {%- set events = source('raw', 'events') -%}
    {%- set profiles = source('raw', 'profiles') -%}
    {%- set event_columns = _segments_columns(events) -%}
    {%- set profile_columns = _segments_columns(profiles) -%}
    {%- set loaded_until_sql = "(select max(loaded_at) from " ~ events ~ ")" if 'loaded_at' in event_columns else 'null' -%}
    {%- set updated_until_sql = "(select max(updated_at) from " ~ profiles ~ ")" if 'updated_at' in profile_columns else 'null' -%}
    {%- set rows = run_query("select status, definitions_hash, as_of, loaded_until, profiles_updated_until, loaded_until_rows, profiles_updated_until_rows, loaded_before_rows, unstamped_rows from " ~ log_table ~ " order by started_at desc limit 1") -%}
    {%- set none_baseline = {'as_of': 'null', 'loaded_until': 'null', 'profiles_updated_until': 'null', 'loads_at_stamp': 'null', 'updates_at_stamp': 'null'} -%}
    {%- set reason = none -%}
    {%- if _segments_full_evaluation_asked() -%}{%- set reason = "asked for (full_evaluation)" -%}
    {%- elif flags.FULL_REFRESH -%}{%- set reason = "--full-refresh" -%}
    {%- elif rows | length == 0 -%}{%- set reason = "first evaluation" -%}
    {%- elif rows[0][0] != 'success' -%}{%- set reason = "the previous evaluation did not succeed" -%}
    {%- elif rows[0][1] != definitions_hash -%}{%- set reason = "definitions changed since the previous evaluation" -%}
    {%- elif 'loaded_at' not in event_columns -%}{%- set reason = "raw.events has no loaded_at column" -%}
    {%- elif rows[0][3] is none -%}{%- set reason = "the previous evaluation saw no loaded_at" -%}
    {%- elif full_only -%}{%- set reason = "every run re-evaluates " ~ full_only | join('; ') -%}
    {%- else -%}{%- set reason = _segments_unseen_changes(events, rows[0]) -%}
    {%- endif -%}
    {%- if reason is not none -%}
        {{ return({'mode': 'full', 'reason': reason, 'definitions_hash': definitions_hash, 'events': events, 'profiles': profiles, 'loaded_until_sql': loaded_until_sql, 'updated_until_sql': updated_until_sql, 'baseline': none_baseline}) }}
    {%- endif -%}
    {%- set baseline = {
        'as_of': segments_timestamp(rows[0][2]),
        'loaded_until': segments_timestamp(rows[0][3]),
        'profiles_updated_until': segments_timestamp(rows[0][4]) if rows[0][4] is not none else 'null',
        'loads_at_stamp': _segments_rows_arrived_at(events, 'loaded_at', rows[0][3], rows[0][5]),
        'updates_at_stamp': _segments_rows_arrived_at(profiles, 'updated_at', rows[0][4], rows[0][6]),
    } -%}
    {{ return({'mode': 'incremental', 'reason': 'only profiles that can have changed', 'definitions_hash': definitions_hash, 'events': events, 'profiles': profiles, 'loaded_until_sql': loaded_until_sql, 'updated_until_sql': updated_until_sql, 'baseline': baseline}) }}
{%- endmacro %}

{#- Why the baseline cannot be updated by what arrived since, or none: events it counted were
    deleted or rewritten, events arrived stamped before it (it could not have seen them, and an
    update would miss them), or the profile fingerprints or the identity map are not its own. -#}
{% macro _segments_unseen_changes(events, baseline) -%}
    {%- if baseline[7] is none -%}
        {{ return("the previous evaluation recorded no event counts") }}
    {%- endif -%}
    {%- set stamp = segments_timestamp(baseline[3]) -%}
    {%- set counts = run_query("select loaded_before_rows, unstamped_rows, at_stamp_rows from " ~ _segments_loaded_rows(events, stamp)).rows[0] -%}
    {#- (more rows at the baseline's own stamp are a later load with the same coarse stamp) -#}
    {%- if counts[0] < baseline[7] or counts[1] < baseline[8] or counts[2] < baseline[5] -%}
        {{ return("events the previous evaluation counted were deleted or rewritten") }}
    {%- elif counts[0] > baseline[7] -%}
        {{ return("events arrived with a loaded_at before the previous evaluation's") }}
    {%- endif -%}
    {%- set node = graph.nodes['model.segments.int_profiles__fingerprinted'] -%}
    {%- set fingerprints = adapter.get_relation(node.database, node.schema, node.alias) -%}
    {#- (an empty table was taken of an empty raw.profiles: every row now is new to it) -#}
    {%- set taken = run_query("select count(*), max(fingerprinted_at) from " ~ fingerprints).rows[0] if fingerprints is not none else none -%}
    {%- if taken is none or (taken[0] > 0 and taken[1] != baseline[2]) -%}
        {{ return("the profile fingerprints are not the previous evaluation's") }}
    {%- endif -%}
    {#- (the map keeps rows of earlier runs: the stitch plan says which run stitched last) -#}
    {%- set plan_node = graph.nodes.get('model.segments.int_identity_stitch__planned') -%}
    {%- set stitch_plan = adapter.get_relation(plan_node.database, plan_node.schema, plan_node.alias) if plan_node is not none and plan_node.config.enabled else none -%}
    {%- set stitched = run_query("select links, stitched_at from " ~ stitch_plan).rows[0] if stitch_plan is not none else none -%}
    {%- if stitched is not none and stitched[0] > 0 and stitched[1] != baseline[2] -%}
        {{ return("the identity map is not the previous evaluation's") }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- The events loaded before `until`, without loaded_at, and at `until`, counted in one scan (a
    subquery with one row): recorded with each evaluation, so that the next can tell counted
    events deleted or rewritten, and events stamped as if they had arrived before it. -#}
{% macro _segments_loaded_rows(events, until_sql) -%}
    {%- if until_sql == 'null' -%}
        (select null as loaded_before_rows, null as unstamped_rows, null as at_stamp_rows)
    {%- else -%}
        (select
            count(*) filter (where loaded_at < {{ until_sql }}) as loaded_before_rows,
            count(*) filter (where loaded_at is null) as unstamped_rows,
            count(*) filter (where loaded_at = {{ until_sql }}) as at_stamp_rows
        from {{ events }})
    {%- endif -%}
{%- endmacro %}

{#- full_evaluation (var or SEGMENTS_FULL_EVALUATION): true / false, 1 / 0, yes / no. -#}
{% macro _segments_full_evaluation_asked() -%}
    {%- set given = segments_run_setting('full_evaluation') -%}
    {%- set text = given | string | trim | lower -%}
    {%- if given is not none and text not in ['true', 'false', '1', '0', 'yes', 'no'] -%}
        {{ exceptions.raise_compiler_error("full_evaluation (var or SEGMENTS_FULL_EVALUATION): expected true or false, got '" ~ given ~ "'") }}
    {%- endif -%}
    {{ return(given is not none and text in ['true', '1', 'yes']) }}
{%- endmacro %}

{#- Rows carrying the latest stamp (loaded_at, updated_at): recorded with each evaluation, so that
    the next one can tell whether rows with the same (coarse) stamp arrived after it started. -#}
{% macro _segments_rows_at(relation, column, until_sql) -%}
    {%- if until_sql == 'null' -%}null{%- else -%}(select count(*) from {{ relation }} where {{ column }} = {{ until_sql }}){%- endif -%}
{%- endmacro %}

{#- 'true' when rows stamped with the baseline's latest stamp arrived after the baseline (or it
    cannot be told), 'false' otherwise. -#}
{% macro _segments_rows_arrived_at(relation, column, stamp, recorded_rows) -%}
    {%- if stamp is none -%}{{ return('false') }}{%- endif -%}
    {%- set rows_now = run_query('select count(*) from ' ~ relation ~ ' where ' ~ column ~ ' = ' ~ segments_timestamp(stamp)).columns[0].values()[0] -%}
    {{ return('false' if recorded_rows is not none and recorded_rows == rows_now else 'true') }}
{%- endmacro %}

{#- This run's plan, as recorded by begin_evaluation: {mode, loaded_until} and, when incremental,
    {baseline_as_of, baseline_loaded_until, baseline_profiles_updated_until,
    loads_at_baseline_stamp, updates_at_baseline_stamp}. Full (loaded_until none) outside evaluations (compile, docs)
    and while parsing. -#}
{% macro segments_evaluation() -%}
    {%- set full = {'mode': 'full', 'loaded_until': none} -%}
    {%- if not _segments_is_evaluation() -%}{{ return(full) }}{%- endif -%}
    {%- set log_table = _segments_evaluation_log() -%}
    {%- if adapter.get_relation(log_table.database, log_table.schema, log_table.identifier) is none -%}{{ return(full) }}{%- endif -%}
    {%- set rows = run_query("select mode, loaded_until, baseline_as_of, baseline_loaded_until, baseline_profiles_updated_until, loads_at_baseline_stamp, updates_at_baseline_stamp, mode_reason from " ~ log_table ~ " where evaluation_id = '" ~ invocation_id ~ "'") -%}
    {%- if rows | length == 0 -%}{{ return(full) }}{%- endif -%}
    {%- if rows[0][0] != 'incremental' -%}{{ return({'mode': 'full', 'loaded_until': rows[0][1], 'reason': rows[0][7]}) }}{%- endif -%}
    {{ return({'mode': 'incremental', 'loaded_until': rows[0][1], 'baseline_as_of': rows[0][2], 'baseline_loaded_until': rows[0][3], 'baseline_profiles_updated_until': rows[0][4], 'loads_at_baseline_stamp': rows[0][5], 'updates_at_baseline_stamp': rows[0][6]}) }}
{%- endmacro %}

{% macro finish_evaluation(results) -%}
    {{ return(adapter.dispatch('finish_evaluation', 'segments')(results)) }}
{%- endmacro %}

{% macro default__finish_evaluation(results) -%}
    {%- if not _segments_is_evaluation() -%}{{ return('') }}{%- endif -%}
    {%- set failures = [] -%}
    {%- set segments_done = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail') -%}
            {%- do failures.append(result.node.name ~ ': ' ~ (result.message or result.status)) -%}
        {%- elif result.status == 'success' and result.node.resource_type == 'model' and result.node.config.materialized == 'published_segments' -%}
            {%- do segments_done.append(result.node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set profiles = load_relation(segments_relation('intermediate', 'int_profiles__evaluated')) -%}
    {#- counted first: an UPDATE with subqueries is not portable (Delta rejects it) -#}
    {%- set segments_count = run_query('select count(*) from ' ~ segments_done[0].relation_name)[0][0] if segments_done else 0 -%}
    {%- set profiles_count = run_query('select count(*) from ' ~ profiles)[0][0] if profiles is not none and not failures else none -%}
    {%- do segments_execute([
        "update " ~ _segments_evaluation_log()
        ~ " set finished_at = current_timestamp::timestamp"
        ~ ", segments_evaluated = " ~ segments_count
        ~ ", profiles_evaluated = " ~ (profiles_count if profiles_count is not none else 'null')
        ~ ", status = " ~ ("'error'" if failures else "'success'")
        ~ ", error_message = " ~ (segments_string_literal(failures | join('; ')) if failures else 'null')
        ~ " where evaluation_id = '" ~ invocation_id ~ "'"
    ]) -%}
    {%- do adapter.commit() -%}
{%- endmacro %}

{#- A column (as_of, loaded_until) of the latest successful evaluation; none before the first
    or outside a run. For tests that check only what was written since. -#}
{% macro _segments_latest_successful_evaluation(column) -%}
    {%- set log_table = _segments_evaluation_log() -%}
    {%- if not execute or adapter.get_relation(log_table.database, log_table.schema, log_table.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select max(" ~ column ~ ") from " ~ log_table ~ " where status = 'success'") -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}

{#- pre-hook of the append-only state models: re-running the latest as_of replaces its rows. -#}
{% macro segments_clear_evaluation(column='evaluated_at') -%}
    {%- if execute and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        delete from {{ this }} where {{ column }} >= {{ segments_as_of_sql() }}
    {%- endif -%}
{%- endmacro %}

{#- pre-hook of the membership spans: re-running the latest as_of first undoes it, removing the
    spans it opened and reopening the ones it closed. -#}
{% macro segments_reopen_evaluation() -%}
    {%- if execute and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        {{- segments_hook_statements([
            'delete from ' ~ this ~ ' where entered_at >= ' ~ segments_as_of_sql(),
            'update ' ~ this ~ ' set exited_at = null where exited_at >= ' ~ segments_as_of_sql(),
        ]) -}}
    {%- endif -%}
{%- endmacro %}

{#- Members of a segment as of a past moment, from the change history (for analyses). -#}
{% macro segments_members_as_of(segment_name, moment) -%}
    select profile_id, split
    from {{ ref('segment_membership_spans') }}
    where segment = {{ segments_string_literal(segment_name) }}
      and entered_at <= {{ segments_timestamp(moment) if moment is not string else 'cast(' ~ segments_string_literal(moment) ~ ' as timestamp)' }}
      and (exited_at is null or exited_at > {{ segments_timestamp(moment) if moment is not string else 'cast(' ~ segments_string_literal(moment) ~ ' as timestamp)' }})
{%- endmacro %}
