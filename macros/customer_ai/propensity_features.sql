{#- Customer AI features: one macro computes every feature of a model at a point in time, and the
    model's feature table calls it twice, at the training cutoff (as_of - prediction_window) and at
    as_of, so training and scoring cannot drift apart. Features read events at or before their
    point only; the label is the one read after the cutoff, and only up to as_of. -#}

{#- The per-type activity windows, in days; the goal and all activity use the same windows. -#}
{% macro _propensity_windows() -%}
    {{ return([7, 30, 90, 365]) }}
{%- endmacro %}

{#- A feature name for an event type: lowercase letters, digits and _. -#}
{% macro _propensity_slug(text) -%}
    {{ return(modules.re.sub('[^a-z0-9]+', '_', text | lower).strip('_') or 'other') }}
{%- endmacro %}

{#- The most frequent event types before the cutoff (at most 20): one count feature each. -#}
{% macro _propensity_event_types(events_relation, cutoff) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set rows = run_query(
        "select event_type from " ~ events_relation
        ~ " where event_ts <= " ~ segments_timestamp(cutoff)
        ~ " group by event_type order by count(*) desc, event_type limit 20") -%}
    {{ return(rows.columns[0].values() | list) }}
{%- endmacro %}

{% macro propensity_features(model) -%}
    {{ return(adapter.dispatch('propensity_features', 'segments')(model)) }}
{%- endmacro %}

{% macro default__propensity_features(model) -%}
{%- set as_of = segments_as_of() -%}
{%- set cutoff = as_of - modules.datetime.timedelta(seconds=model.prediction_window_seconds) -%}
{%- set events_relation = ref('int_events__stitched') -%}
{%- set event_columns = _segments_columns(events_relation) -%}
{%- set event_types = _propensity_event_types(events_relation, cutoff) -%}
{%- set goal = _segments_event_match(model.goal, event_columns) -%}
{%- set needs_attributes = _segments_uses_attributes(model.goal) -%}
with events as {{ segments_not_materialized() }} (
    select * from {{ events_relation }}
    where event_ts <= {{ segments_timestamp(as_of) }}
),

profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),

training_features as (
    {{ _propensity_features_at(model, cutoff, event_types, event_columns) | indent(4) }}
),

scoring_features as (
    {{ _propensity_features_at(model, as_of, event_types, event_columns) | indent(4) }}
),

goal_after_cutoff as (
    select distinct event.profile_id
    from events as event
    {%- if needs_attributes %}
    left join profiles as profile on profile.profile_id = event.profile_id
    {%- endif %}
    where event.event_ts > {{ segments_timestamp(cutoff) }}
      and {{ goal }}
),

final as (
    select
        'training' as sample,
        {{ segments_timestamp(cutoff) }} as point_in_time,
        goal_after_cutoff.profile_id is {{ 'not ' if model.direction == 'conversion' else '' }}null as label,
        {#- A stable share of profiles per model: 0-1999 held out for evaluation, 2000-2999 for
            early stopping, the rest trains. #}
        {{ segments_hash_bucket(segments_string_literal(model.name ~ ':') ~ ' || training_features.profile_id') }} as split_bucket,
        training_features.*
    from training_features
    left join goal_after_cutoff on goal_after_cutoff.profile_id = training_features.profile_id

    {#- both sides list the same columns in the same order (one macro writes both); Spark has no
        union by name #}
    union all

    select
        'scoring' as sample,
        {{ segments_timestamp(as_of) }} as point_in_time,
        cast(null as boolean) as label,
        cast(null as integer) as split_bucket,
        scoring_features.*
    from scoring_features
)

select * from final
{%- endmacro %}

{#- Every feature of every profile known at `point` (an event at or before it) that is eligible
    there. Reads `events` and `profiles` from the calling model's CTEs. -#}
{% macro _propensity_features_at(model, point, event_types, event_columns) -%}
{%- set at = segments_timestamp(point) -%}
{%- set goal = _segments_event_match(model.goal, event_columns) -%}
{%- set value = _segments_event_property(model.value_property, 'number', event_columns) -%}
{%- set since = {} -%}
{%- for days in _propensity_windows() -%}
    {%- do since.update({days: 'event.event_ts > ' ~ segments_timestamp(point - modules.datetime.timedelta(days=days))}) -%}
{%- endfor -%}
{%- set aggregates = [] -%}
{%- do aggregates.append(('last_event_ts', 'max(event.event_ts)')) -%}
{%- do aggregates.append(('first_event_ts', 'min(event.event_ts)')) -%}
{%- do aggregates.append(('events_total', 'count(*)')) -%}
{%- for days in _propensity_windows() -%}
    {%- do aggregates.append(('events_' ~ days ~ 'd', 'count(case when ' ~ since[days] ~ ' then 1 end)')) -%}
{%- endfor -%}
{%- for days in [30, 90, 365] -%}
    {%- do aggregates.append(('active_days_' ~ days ~ 'd', 'count(distinct case when ' ~ since[days] ~ ' then cast(event.event_ts as date) end)')) -%}
{%- endfor -%}
{%- do aggregates.append(('sessions_90d', 'count(distinct case when ' ~ since[90] ~ ' then event.session_id end)')) -%}
{%- do aggregates.append(('goal_last_ts', 'max(case when ' ~ goal ~ ' then event.event_ts end)')) -%}
{%- do aggregates.append(('goal_first_ts', 'min(case when ' ~ goal ~ ' then event.event_ts end)')) -%}
{%- do aggregates.append(('goal_count_total', 'count(case when ' ~ goal ~ ' then 1 end)')) -%}
{%- for days in _propensity_windows() -%}
    {%- do aggregates.append(('goal_count_' ~ days ~ 'd', 'count(case when ' ~ goal ~ ' and ' ~ since[days] ~ ' then 1 end)')) -%}
{%- endfor -%}
{#- Sums of money are rounded: a sum of doubles depends on the order the engine adds them in,
    and features must not change when unrelated rows move. -#}
{%- do aggregates.append(('goal_value_total', 'round(coalesce(sum(case when ' ~ goal ~ ' then ' ~ value ~ ' end), 0), 6)')) -%}
{%- for days in [90, 365] -%}
    {%- do aggregates.append(('goal_value_' ~ days ~ 'd', 'round(coalesce(sum(case when ' ~ goal ~ ' and ' ~ since[days] ~ ' then ' ~ value ~ ' end), 0), 6)')) -%}
{%- endfor -%}
{%- for event_type in event_types -%}
    {%- set slug = _propensity_slug(event_type) -%}
    {%- set is_type = 'event.event_type = ' ~ segments_string_literal(event_type) -%}
    {%- do aggregates.append((slug ~ '_count_90d', 'count(case when ' ~ is_type ~ ' and ' ~ since[90] ~ ' then 1 end)')) -%}
    {%- do aggregates.append((slug ~ '_count_total', 'count(case when ' ~ is_type ~ ' then 1 end)')) -%}
{%- endfor -%}
{%- for event_type in model.custom_events -%}
    {%- set slug = _propensity_slug(event_type) -%}
    {%- set is_type = 'event.event_type = ' ~ segments_string_literal(event_type) -%}
    {%- do aggregates.append((slug ~ '_count_30d', 'count(case when ' ~ is_type ~ ' and ' ~ since[30] ~ ' then 1 end)')) -%}
    {%- do aggregates.append((slug ~ '_last_ts', 'max(case when ' ~ is_type ~ ' then event.event_ts end)')) -%}
    {%- if event_type not in event_types -%}
        {%- do aggregates.append((slug ~ '_count_90d', 'count(case when ' ~ is_type ~ ' and ' ~ since[90] ~ ' then 1 end)')) -%}
        {%- do aggregates.append((slug ~ '_count_total', 'count(case when ' ~ is_type ~ ' then 1 end)')) -%}
    {%- endif -%}
{%- endfor -%}
{%- for condition in model.eligible_aggregates -%}
    {%- do aggregates.append((condition.id, _segments_event_aggregate(condition, event_columns, point))) -%}
{%- endfor -%}
{%- set features = [] -%}
{%- do features.append(('days_since_last_event', segments_days_between('activity.last_event_ts', at))) -%}
{%- do features.append(('days_since_first_event', segments_days_between('activity.first_event_ts', at))) -%}
{%- for name, _ in aggregates if name.startswith(('events_', 'active_days_', 'sessions_', 'goal_count_', 'goal_value_')) or name.endswith(('_count_30d', '_count_90d', '_count_total')) -%}
    {%- do features.append((name, 'activity.' ~ name)) -%}
{%- endfor -%}
{%- do features.append(('goal_days_since_last', segments_days_between('activity.goal_last_ts', at))) -%}
{%- do features.append(('goal_days_since_first', segments_days_between('activity.goal_first_ts', at))) -%}
{%- do features.append(('goal_avg_value', 'activity.goal_value_total / nullif(activity.goal_count_total, 0)')) -%}
{#- Recent against earlier activity: the last 30 days over the 30-day average of the 60 before,
    smoothed so that a profile without earlier activity still gets a finite value. -#}
{%- do features.append(('activity_trend', '(activity.events_30d + 1.0) / ((activity.events_90d - activity.events_30d) / 2.0 + 1.0)')) -%}
{%- for event_type in model.custom_events -%}
    {%- set slug = _propensity_slug(event_type) -%}
    {%- do features.append((slug ~ '_days_since_last', segments_days_between('activity.' ~ slug ~ '_last_ts', at))) -%}
{%- endfor -%}
{%- for column in model.attributes -%}
    {%- do features.append((column, 'profile.' ~ adapter.quote(column))) -%}
{%- endfor -%}
{%- set names = [] -%}
{%- for name, _ in features -%}
    {%- if name in names -%}
        {{ exceptions.raise_compiler_error("propensity model " ~ model.name ~ ": two features are named '" ~ name ~ "' (an attribute has the name of a built-in feature: leave it out of 'attributes')") }}
    {%- endif -%}
    {%- do names.append(name) -%}
{%- endfor -%}
{%- set needs_attributes = _segments_uses_attributes(model.goal) or _segments_uses_attributes(model.eligible_aggregates) -%}
with activity as (
    select
        event.profile_id,
        {%- for name, sql in aggregates %}
        {{ sql }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from events as event
    {%- if needs_attributes %}
    left join profiles as profile on profile.profile_id = event.profile_id
    {%- endif %}
    where event.event_ts <= {{ at }}
    group by event.profile_id
),
{%- if model.eligible is not none %}

eligible as (
    {#- The condition reads attributes and its event aggregates from one row named `profile`. #}
    select profile.profile_id
    from (
        select
            activity.profile_id,
            {%- for condition in model.eligible_aggregates %}
            activity.{{ condition.id }},
            {%- endfor %}
            {{ _segments_select_list('attributes', _propensity_attribute_columns()) }}
        from activity
        left join profiles as attributes on attributes.profile_id = activity.profile_id
    ) as profile
    where {{ _segments_condition(model.eligible, point) }}
),
{%- endif %}

featured as (
    select
        activity.profile_id,
        {%- for name, sql in features %}
        {{ sql }} as {{ adapter.quote(name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from activity
    left join profiles as profile on profile.profile_id = activity.profile_id
    {%- if model.eligible is not none %}
    where activity.profile_id in (select profile_id from eligible)
    {%- endif %}
)

select * from featured
{%- endmacro %}

{#- The attribute columns of int_profiles__deduplicated, without its key. -#}
{% macro _propensity_attribute_columns() -%}
    {%- set columns = [] -%}
    {%- for name in _segments_columns(ref('int_profiles__deduplicated')) if name != 'profile_id' -%}
        {%- do columns.append(name) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
