{#- The change log: one row per entry into or exit from a segment, per evaluation, read from the
    spans this evaluation opened and closed. Append-only (never rebuilt by --full-refresh);
    re-running the latest as_of replaces that evaluation's rows. Changes of an evaluation that
    failed before its log rows were written are caught up by the next one (every span change
    after the latest logged evaluation). -#}
{{ config(pre_hook="{{ segments_clear_evaluation() }}", on_schema_change='append_new_columns') }}
{%- set as_of = segments_as_of_sql() %}
{%- set identity_map = segments_identity_map_relation() %}
{#- the latest evaluation already logged, as the pre-hook leaves the table (it removes the rows
    of this as_of on a re-run). A literal, so that the spans' zone maps skip every span that
    opened and closed before it (at 100M events with 500 segments: 2.3 -> 0.9 s). -#}
{%- set logged_until = none %}
{%- if execute and is_incremental() %}
{%- set logged_until = run_query('select max(evaluated_at) from ' ~ this ~ ' where evaluated_at < ' ~ as_of)[0][0] %}
{%- endif %}

with spans as (
    select * from {{ ref('segment_membership_spans') }}
),

{#- profiles absorbed by a merge at this evaluation: every identity they had moved to one
    profile, and they are no profile's id any more -#}
merged as (
    {%- if identity_map is not none %}
    select
        coalesce(previous_profile_id, identity) as profile_id,
        min(coalesce(profile_id, identity)) as merged_into
    from {{ identity_map }}
    where stitched_at = {{ as_of }}
      and coalesce(previous_profile_id, identity) not in (
          select coalesce(profile_id, identity) from {{ identity_map }}
      )
    group by coalesce(previous_profile_id, identity)
    having count(distinct coalesce(profile_id, identity)) = 1
    {%- else %}
    select cast(null as string) as profile_id, cast(null as string) as merged_into
    where 1 = 0
    {%- endif %}
),

entered as (
    select profile_id, segment, 'entered' as change, split, entered_at as evaluated_at, cast(null as string) as reason
    from spans
    where entered_at <= {{ as_of }}
    {%- if logged_until is not none %}
      and entered_at > {{ segments_timestamp(logged_until) }}
    {%- endif %}
),

exited as (
    select
        spans.profile_id,
        spans.segment,
        'exited' as change,
        spans.split,
        spans.exited_at as evaluated_at,
        case when spans.exited_at = {{ as_of }} and merged.merged_into is not null then 'merged into ' || merged.merged_into end as reason
    from spans
    left join merged on merged.profile_id = spans.profile_id
    where exited_at <= {{ as_of }}
    {%- if logged_until is not none %}
      and exited_at > {{ segments_timestamp(logged_until) }}
    {%- endif %}
),

final as (
    select * from entered
    union all
    select * from exited
)

select profile_id, segment, change, split, evaluated_at, reason from final
