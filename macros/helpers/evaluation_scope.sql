{#- Which profiles and events an evaluation reads: the changed profiles only during an
    incremental one, the arrivals since the baseline, and whether a state is the baseline's. -#}

{#- The profiles a run evaluates, as `and <column> ...` filters: during an incremental evaluation
    only the changed profiles (unless changed_only is false); in a sampled preview (var segments_sample_percent) only a stable
    random sample of profiles; in an explanation (var segments_explain_profile) one profile. -#}
{% macro segments_profile_filter(profile_column, changed_only=true) -%}
    {%- set changed = ref('int_profiles__changed') -%}
    {%- if changed_only and segments_evaluation().mode == 'incremental' -%}
        and {{ profile_column }} in (select profile_id from {{ changed }})
    {%- endif -%}
    {%- set explained = var('segments_explain_profile', none) -%}
    {%- if explained is not none -%}
        {%- set ids = [explained] if explained is string else explained -%}
        {%- set literals = [] -%}
        {%- for id in ids -%}{%- do literals.append(segments_string_literal(id | string)) -%}{%- endfor -%}
        and {{ profile_column }} in ({{ literals | join(', ') }})
    {%- endif -%}
    {%- set sample = var('segments_sample_percent', none) -%}
    {%- if sample is not none -%}
        {%- set salt = 'sample:' ~ var('segments_sample_seed', 0) ~ ':' -%}
        and {{ segments_sample_bucket(segments_string_literal(salt) ~ ' || ' ~ profile_column) }} < {{ (sample * 100) | int }}
    {%- endif -%}
{%- endmacro %}

{#- Events that arrived since the baseline: after its latest loaded_at, at it when more rows with
    that stamp arrived after it started, or (unless unstamped is false: a plain range the zone
    maps can skip by) with no loaded_at at all. -#}
{% macro _segments_arrived(loaded_at_sql, evaluation, unstamped=true) -%}
    {{ loaded_at_sql ~ ' is null or ' if unstamped }}{{ loaded_at_sql }} {{ '>=' if evaluation.loads_at_baseline_stamp else '>' }} {{ segments_timestamp(evaluation.baseline_loaded_until) }}
{%- endmacro %}

{#- Can this evaluation update the previous state (built by the baseline evaluation, from the
    events it had loaded) rather than count again? -#}
{% macro _segments_state_is_baseline(evaluation) -%}
    {%- if evaluation.mode != 'incremental' -%}{{ return(false) }}{%- endif -%}
    {%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if previous is none or 'state_as_of' not in _segments_columns(previous) -%}{{ return(false) }}{%- endif -%}
    {%- set rows = run_query('select state_as_of, state_loaded_until from ' ~ previous ~ ' limit 1') -%}
    {{ return(rows | length == 1 and rows[0][0] == evaluation.baseline_as_of and rows[0][1] == evaluation.baseline_loaded_until) }}
{%- endmacro %}

{#- Whether this evaluation appends to int_event_ids__checked (the ids loaded since the latest
    successful evaluation), or rebuilds it: it rebuilds when the table does not hold that
    evaluation's ids (no marker of it: first build, a failed or foreign run, --full-refresh) or
    when counted events were deleted or rewritten (their hashes would stay). -#}
{% macro _segments_event_ids_appending(relation) -%}
    {%- set checked_until = _segments_latest_successful_evaluation('loaded_until') -%}
    {%- set evaluation = segments_evaluation() -%}
    {%- if checked_until is none or (evaluation.reason or '').startswith('events ') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(checked_until if _segments_event_ids_checked_until(relation, checked_until) else none) }}
{%- endmacro %}

{#- pre-hook of int_event_ids__checked: before appending, remove what runs after the latest
    successful evaluation added (they failed: their ids may include rows loaded again); before a
    rebuild, everything. Outside an evaluation, nothing. -#}
{% macro segments_forget_unchecked_event_ids() -%}
    {%- if execute and _segments_is_evaluation() and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        {%- set since = _segments_event_ids_appending(this) -%}
        {%- if since is not none -%}
            delete from {{ this }} where checked_until > {{ segments_timestamp(since) }}
        {%- else -%}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Whether int_event_ids__checked holds the ids up to a loaded_at (its marker row says so). -#}
{% macro _segments_event_ids_checked_until(state, loaded_until) -%}
    {%- if not execute or adapter.get_relation(state.database, state.schema, state.identifier) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query('select count(*) from ' ~ state ~ ' where key_hash is null and checked_until = ' ~ segments_timestamp(loaded_until)).columns[0].values()[0] -%}
    {{ return(found > 0) }}
{%- endmacro %}
