{#- Sequences, set-based: the events that can end a valid chain at step i are the step-i events
    with a valid step-(i-1) end strictly earlier (and within the step's gap). `then_not` keeps the
    chain ends with no matching event in (t, t + within] (or (t, as_of] without within). -#}

{% macro _segments_sequence_steps(sequence, event_columns) -%}
    {%- set id = sequence.id -%}
    {%- set profile_join = 'left join profiles as profile on profile.profile_id = event.profile_id' if _segments_uses_attributes(sequence) else '' -%}
    {%- for step in sequence.steps -%}
        {%- set filters = [_segments_event_match(step, event_columns)] -%}
        {%- if sequence.window is not none -%}
            {%- do filters.append(_segments_window_predicate(sequence.window, 'event.event_ts')) -%}
        {%- endif %}
{{ id }}__step_{{ loop.index }} as (
    select distinct event.profile_id, event.event_ts as step_ts
    from events as event
    {{ profile_join }}
    where {{ filters | join('\n      and ') }}
    {%- if not loop.first %}
      and exists (
        select 1
        from {{ id }}__step_{{ loop.index - 1 }} as previous_step
        where previous_step.profile_id = event.profile_id
          and previous_step.step_ts < event.event_ts
          {%- if step.within_seconds %}
          and previous_step.step_ts >= {{ segments_add_seconds('event.event_ts', -step.within_seconds) }}
          {%- endif %}
      )
    {%- endif %}
),
    {%- endfor %}
{{ id }}__matched as (
    select distinct chain_end.profile_id
    from {{ id }}__step_{{ sequence.steps | length }} as chain_end
    {%- if sequence.then_not is not none %}
    {%- set then_not = sequence.then_not %}
    where
        {%- if then_not.within_seconds %}
        {{ segments_add_seconds('chain_end.step_ts', then_not.within_seconds) }} <= {{ segments_as_of_sql() }} and
        {%- endif %}
        not exists (
            select 1
            from events as event
            {{ profile_join }}
            where event.profile_id = chain_end.profile_id
              and {{ _segments_event_match(then_not, event_columns) }}
              and event.event_ts > chain_end.step_ts
              {%- if then_not.within_seconds %}
              and event.event_ts <= {{ segments_add_seconds('chain_end.step_ts', then_not.within_seconds) }}
              {%- endif %}
        )
    {%- endif %}
),
{%- endmacro %}

{% macro match_sequence_conditions(sequences) -%}
    {{ return(adapter.dispatch('match_sequence_conditions', 'segments')(sequences)) }}
{%- endmacro %}

{% macro default__match_sequence_conditions(sequences) -%}
{%- set events_relation = ref('stg_raw__events') -%}
{%- set event_columns = _segments_columns(events_relation) -%}
with events as {{ segments_not_materialized() }} (
    select * from {{ events_relation }}
    where event_ts <= {{ segments_as_of_sql() }}
      {{ segments_profile_filter('profile_id') }}
),
{%- if _segments_uses_attributes(sequences) %}
profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),
{%- endif %}
{%- for sequence in sequences %}
{{ _segments_sequence_steps(sequence, event_columns) }}
{%- endfor %}
matches as (
    {%- for sequence in sequences %}
    select profile_id, '{{ sequence.id }}' as sequence_id from {{ sequence.id }}__matched
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as varchar) as profile_id, cast(null as varchar) as sequence_id
    where 1 = 0
    {%- endfor %}
),
pivoted as (
    select
        profile_id,
        {%- for sequence in sequences %}
        max(case when sequence_id = '{{ sequence.id }}' then 1 else 0 end) = 1 as {{ sequence.id }},
        {%- endfor %}
        count(*) as sequences_matched
    from matches
    group by profile_id
)
select * from pivoted
{%- endmacro %}
