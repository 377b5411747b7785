{#- The change log: one row per entry into or exit from a segment, per evaluation, read from the
    spans this evaluation opened and closed. Append-only (never rebuilt by --full-refresh);
    re-running the latest as_of replaces that evaluation's rows. Changes of an evaluation that
    failed before its log rows were written are caught up by the next one (every span change
    after the latest logged evaluation). -#}
{{ config(pre_hook="{{ segments_clear_evaluation() }}") }}
{%- set as_of = segments_as_of_sql() %}

with spans as (
    select * from {{ ref('segment_membership_spans') }}
),

logged as (
    {%- if is_incremental() %}
    select max(evaluated_at) as until from {{ this }}
    {%- else %}
    select cast(null as timestamp) as until
    {%- endif %}
),

entered as (
    select spans.profile_id, spans.segment, 'entered' as change, spans.split, spans.entered_at as evaluated_at
    from spans
    cross join logged
    where spans.entered_at <= {{ as_of }}
      and (logged.until is null or spans.entered_at > logged.until)
),

exited as (
    select spans.profile_id, spans.segment, 'exited' as change, spans.split, spans.exited_at as evaluated_at
    from spans
    cross join logged
    where spans.exited_at <= {{ as_of }}
      and (logged.until is null or spans.exited_at > logged.until)
),

final as (
    select * from entered
    union all
    select * from exited
)

select profile_id, segment, change, split, evaluated_at from final
