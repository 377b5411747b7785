{#- The hashes of the event ids checked for uniqueness so far, so that an incremental evaluation
    checks its arrivals against 8-byte hashes instead of reading every event id as text (at 100M
    events the text ids cost 4.4 s a run). An evaluation appends the ids loaded since the latest
    successful one; it rebuilds the table when that one's marker is missing or counted events
    were deleted or rewritten (_segments_event_ids_appending). Each
    run adds a marker row (key_hash NULL) saying up to which loaded_at the table is complete, and
    rows of a run that failed are removed by the next one, so the table is always the ids of
    successful evaluations. The key test (unique_since_last_evaluation) reads it only when its
    marker is the baseline's; otherwise it checks the arrivals against every id, as before. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ segments_forget_unchecked_event_ids() }}",
) }}
{%- set evaluation = segments_evaluation() -%}
{%- set loaded_until = evaluation.loaded_until -%}
{#- (decided before the pre-hook removes anything: the marker it reads is older than any row it removes) -#}
{%- set since = _segments_event_ids_appending(this) if is_incremental() else none -%}
with events as (
    select event_id, loaded_at from {{ ref('stg_raw__events') }}
),

checked as (
    {%- if loaded_until is none %}
    select cast(null as {{ segments_key_hash_type() }}) as key_hash, cast(null as timestamp) as checked_until
    where 1 = 0
    {%- else %}
    select {{ segments_key_hash('event_id') }} as key_hash, {{ segments_timestamp(loaded_until) }} as checked_until
    from events
    where event_id is not null and loaded_at < {{ segments_timestamp(loaded_until) }}
    {%- if since is not none %}
      and loaded_at >= {{ segments_timestamp(since) }}
    {%- endif %}
    union all
    select cast(null as {{ segments_key_hash_type() }}) as key_hash, {{ segments_timestamp(loaded_until) }} as checked_until
    {%- endif %}
),

final as (
    select * from checked
)

select * from final
