{#- Sequences, set-based: the events that can end a valid chain at step i are the step-i events
    with a valid step-(i-1) end strictly earlier (and within the step's gap). `then_not` keeps the
    chain ends with no matching event in (t, t + within] (or (t, as_of] without within).
    Each sequence reads its events once into its own materialized set, one flag per step (and
    one for then_not); the steps are semi-joins over that set, so they never multiply rows and
    need no `distinct`. -#}

{#- `evaluated` names a CTE of the profiles to evaluate (all when none). -#}
{% macro _segments_sequence_steps(sequence, event_columns, evaluated=none) -%}
    {%- set id = sequence.id -%}
    {%- set in_window = _segments_window_predicate(sequence.window, 'event.event_ts') if sequence.window is not none else none -%}
    {%- set bounds = _segments_window_bounds(sequence.window, segments_as_of()) if sequence.window is not none else {'lower': none} -%}
    {%- set flags = [] -%}
    {%- for step in sequence.steps -%}
        {%- do flags.append('step_' ~ loop.index) -%}
    {%- endfor -%}
    {%- if sequence.then_not is not none -%}{%- do flags.append('then_not') -%}{%- endif %}
{{ id }}__events as {{ segments_materialized() }} (
    select * from (
        select
            event.profile_id,
            event.event_ts
            {%- for step in sequence.steps %},
            {{ _segments_event_match(step, event_columns) }}{{ ' and ' ~ in_window if in_window }} as step_{{ loop.index }}
            {%- endfor %}
            {%- if sequence.then_not is not none %},
            {{ _segments_event_match(sequence.then_not, event_columns) }} as then_not
            {%- endif %}
        from events as event
        {{ _segments_profile_join(sequence) }}
        {#- a then_not event counts only after a chain end, so never before the window either #}
        where {{ 'event.event_ts ' ~ ('>=' if bounds.lower_inclusive else '>') ~ ' ' ~ segments_timestamp(bounds.lower) if bounds.lower is not none else 'true' }}
        {%- if evaluated %}
          and event.profile_id in (select profile_id from {{ evaluated }})
        {%- endif %}
    ) as flagged
    where {{ flags | join(' or ') }}
),
    {%- for step in sequence.steps %}
{{ id }}__step_{{ loop.index }} as (
    select event.profile_id, event.event_ts as step_ts
    from {{ id }}__events as event
    where event.step_{{ loop.index }}
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
            from {{ id }}__events as event
            where event.profile_id = chain_end.profile_id
              and event.then_not
              and event.event_ts > chain_end.step_ts
              {%- if then_not.within_seconds %}
              and event.event_ts <= {{ segments_add_seconds('chain_end.step_ts', then_not.within_seconds) }}
              {%- endif %}
        )
    {%- endif %}
),
{%- endmacro %}

{#- [lower, upper] bands of event times where an event's part in the sequence can differ between
    the baseline's as_of and this one: events becoming "at or before as_of", the window's moved
    bounds, and chain ends whose then_not deadline passed. -#}
{% macro _segments_sequence_bands(sequence, before, now) -%}
    {%- set bands = [[before, now]] -%}
    {%- if sequence.window is not none -%}
        {%- do bands.extend(_segments_moved_bands(sequence.window, before, now)) -%}
    {%- endif -%}
    {%- if sequence.then_not is not none and sequence.then_not.within_seconds -%}
        {%- set within = modules.datetime.timedelta(seconds=sequence.then_not.within_seconds) -%}
        {%- do bands.append([before - within, now - within]) -%}
    {%- endif -%}
    {{ return(bands) }}
{%- endmacro %}

{% macro match_sequence_conditions(sequences) -%}
    {{ return(adapter.dispatch('match_sequence_conditions', 'segments')(sequences)) }}
{%- endmacro %}

{#- Which profiles match each sequence. The table is a state kept for every profile: a full
    evaluation matches everyone; an incremental one matches again, per sequence, only the
    re-evaluated profiles with an event of the sequence's types that arrived since the baseline
    or lies in one of its moved bands (and those whose events the baseline may not have seen, or
    whose attributes changed when the sequence reads them); every other verdict is the
    baseline's. The verdicts are stamped like the event conditions' state. -#}
{% macro default__match_sequence_conditions(sequences) -%}
{%- set events_relation = ref('int_events__stitched') -%}
{%- set event_columns = _segments_columns(events_relation) -%}
{%- set evaluation = segments_evaluation() -%}
{%- set now = segments_as_of() -%}
{%- set complete = evaluation.loaded_until is not none and var('segments_sample_percent', none) is none and var('segments_explain_profile', none) is none -%}
{%- set updating = sequences and (_segments_state_is_baseline(evaluation) if execute else false) -%}
{%- set changed = ref('int_profiles__changed') %}
with events as {{ segments_not_materialized() }} (
    select * from {{ events_relation }}
    where event_ts <= {{ segments_as_of_sql() }}
      {{ segments_profile_filter('profile_id', changed_only=false) }}
),
{%- if _segments_uses_attributes(sequences) %}
profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),
{%- endif %}
{%- if updating %}
{%- set before = evaluation.baseline_as_of %}
{%- set all_bands = [] %}
{%- for sequence in sequences %}{% do all_bands.extend(_segments_sequence_bands(sequence, before, now)) %}{% endfor %}
previous as (
    select * from {{ this }}
),
{#- read once, in time-ordered slices (the zone maps skip the rest of the table): events that
    arrived since the baseline or lie in some sequence's moved band; a profile with events that
    have no loaded_at is matched again anyway (arrival_uncertain) #}
changed_events as (
    select profile_id, event_type, event_ts, loaded_at
    from {{ events_relation }}
    where {{ _segments_arrived('loaded_at', evaluation, unstamped=false) }}
    {{- _segments_band_slices('select profile_id, event_type, event_ts, loaded_at from ' ~ events_relation, all_bands) }}
),
{%- for sequence in sequences %}
{%- set types = [] %}
{%- for matcher in sequence.steps + ([sequence.then_not] if sequence.then_not is not none else []) %}
{%- do types.append(_segments_event_match({'event_types': matcher.event_types, 'where': none}, event_columns)) %}
{%- endfor %}
{{ sequence.id }}__evaluated as (
    select profile_id from {{ changed }}
    where arrival_uncertain {{- ' or attributes_changed' if _segments_uses_attributes(sequence) }}
    union
    select event.profile_id
    from changed_events as event
    where ({{ types | join(' or ') }})
      and ({{ _segments_arrived('event.loaded_at', evaluation) }} or {{ _segments_in_bands('event.event_ts', _segments_sequence_bands(sequence, before, now)) }})
      and event.profile_id in (select profile_id from {{ changed }})
),
{%- endfor %}
{%- endif %}
{%- for sequence in sequences %}
{{ _segments_sequence_steps(sequence, event_columns, sequence.id ~ '__evaluated' if updating else none) }}
{%- endfor %}
matches as (
    {%- for sequence in sequences %}
    select profile_id, '{{ sequence.id }}' as sequence_id from {{ sequence.id }}__matched
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as string) as profile_id, cast(null as string) as sequence_id
    where 1 = 0
    {%- endfor %}
),
matched as (
    select
        profile_id,
        {%- for sequence in sequences %}
        max(case when sequence_id = '{{ sequence.id }}' then 1 else 0 end) = 1 as {{ sequence.id }},
        {%- endfor %}
        count(*) as sequences_matched
    from matches
    group by profile_id
),
{%- if updating %}
kept_or_matched as (
    select
        coalesce(previous.profile_id, matched.profile_id) as profile_id
        {%- for sequence in sequences %},
        case
            when {{ sequence.id }}__evaluated.profile_id is not null then coalesce(matched.{{ sequence.id }}, false)
            else coalesce(previous.{{ sequence.id }}, false)
        end as {{ sequence.id }}
        {%- endfor %}
    from previous
    full join matched on matched.profile_id = previous.profile_id
    {%- for sequence in sequences %}
    left join {{ sequence.id }}__evaluated on {{ sequence.id }}__evaluated.profile_id = coalesce(previous.profile_id, matched.profile_id)
    {%- endfor %}
),
verdicts as (
    select
        *,
        cast({% for sequence in sequences %}cast({{ sequence.id }} as integer){{ ' + ' if not loop.last }}{% endfor %} as bigint) as sequences_matched
    from kept_or_matched
    where {% for sequence in sequences %}{{ sequence.id }}{{ ' or ' if not loop.last }}{% endfor %}
),
{%- else %}
verdicts as (
    select * from matched
),
{%- endif %}
final as (
    select
        *,
        {{ segments_timestamp(now) if complete else 'cast(null as timestamp)' }} as state_as_of,
        {{ segments_timestamp(evaluation.loaded_until) if complete else 'cast(null as timestamp)' }} as state_loaded_until
    from verdicts
)
select * from final
{%- endmacro %}
