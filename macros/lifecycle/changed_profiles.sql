{#- Incremental evaluation: the profiles whose membership can have changed since the baseline
    evaluation. Everyone else keeps their verdicts. A profile is re-evaluated when
    * events of it arrived since the baseline (loaded_at), late ones with old timestamps included
      (after the baseline's latest loaded_at, and at it when more rows with that stamp arrived
      after the baseline started: loads with the same coarse timestamp count);
    * its attributes changed (updated_at, likewise);
    * one of its events lies where a window's bound moved between the baseline's as_of and this
      one (expiring "last 30 days", maturing "before"/"from-to" windows, calendar periods rolling
      over, events becoming "at or before as_of"), or where a then_not deadline passed;
    * one of its date attributes lies where an attribute window's bound moved;
    * one of its identities was stitched into another profile (both profiles: merges, splits).
    Segments that refer to other segments need nothing more: a profile outside this set has the
    same inputs everywhere, so its verdict in every segment is unchanged. -#}

{% macro changed_profiles(spec) -%}
    {{ return(adapter.dispatch('changed_profiles', 'segments')(spec)) }}
{%- endmacro %}

{% macro default__changed_profiles(spec) -%}
{%- set evaluation = segments_evaluation() -%}
{%- set events = ref('int_events__stitched') -%}
{%- set profiles = ref('int_profiles__stitched') -%}
{%- set fingerprints = ref('int_profiles__fingerprinted') -%}
{%- set identity_map = segments_identity_map_relation() -%}
{%- if evaluation.mode != 'incremental' or spec.full_only -%}
{#- a full evaluation re-evaluates everyone: nothing to select -#}
select
    cast(null as string) as profile_id,
    cast(null as string) as reason,
    cast(null as boolean) as arrival_uncertain,
    cast(null as boolean) as attributes_changed
where 1 = 0
{%- else -%}
{%- set before = evaluation.baseline_as_of -%}
{%- set now = segments_as_of() -%}
{%- set event_bands = [[before, now]] -%}
{%- for item in spec.event_windows -%}
    {%- do event_bands.extend(_segments_moved_bands(item.window, before, now, item.widen_days)) -%}
{%- endfor -%}
{%- for seconds in spec.then_not_deadlines -%}
    {%- set within = modules.datetime.timedelta(seconds=seconds) -%}
    {%- do event_bands.append([before - within, now - within]) -%}
{%- endfor -%}
{%- set attribute_parts = [] -%}
{%- for item in spec.attribute_windows -%}
    {%- set bands = _segments_moved_bands(item.window, before, now) -%}
    {%- do attribute_parts.append(_segments_in_bands('cast(' ~ adapter.quote(item.column) ~ ' as timestamp)', bands)) -%}
{%- endfor -%}
with events as {{ segments_not_materialized() }} (
    select profile_id, event_ts, loaded_at from {{ events }}
),

profiles as (
    select * from {{ profiles }}
),

{#- a row is changed for its first reason (in min(reason) order) -#}
{#- rows the baseline may or may not have counted: no loaded_at, or stamped with the baseline's
    latest loaded_at when more such rows arrived after it started -#}
{%- set uncertain = 'coalesce(loaded_at is null' ~ (' or loaded_at = ' ~ segments_timestamp(evaluation.baseline_loaded_until) if evaluation.loads_at_baseline_stamp else '') ~ ', false)' -%}
{%- if evaluation.baseline_profiles_updated_until is none -%}
    {#- no updated_at: the fingerprints alone tell changed attributes -#}
    {%- set updated = 'false' -%}
{%- else -%}
    {%- set stamp = segments_timestamp(evaluation.baseline_profiles_updated_until) -%}
    {%- set updated = 'updated_at is null or updated_at ' ~ ('>=' if evaluation.updates_at_baseline_stamp else '>') ~ ' ' ~ stamp -%}
{%- endif -%}
{%- set attribute_moved = attribute_parts | join(' or ') if attribute_parts else 'false' %}
{#- read in slices: arrivals, unstamped rows, moved bands -#}
changed_by_events as (
    select profile_id, 'events arrived' as reason, {{ uncertain }} as arrival_uncertain, false as attributes_changed
    from events
    where {{ _segments_arrived('loaded_at', evaluation, unstamped=false) }}
    union all
    select profile_id, 'events arrived' as reason, true as arrival_uncertain, false as attributes_changed
    from events
    where loaded_at is null
    {{- _segments_band_slices("select profile_id, 'a window moved over an event' as reason, " ~ uncertain ~ " as arrival_uncertain, false as attributes_changed from events", event_bands) }}
),

changed_by_attributes as (
    select
        profile_id,
        case
            when ({{ attribute_moved }}) then 'a window moved over an attribute'
            else 'attributes changed'
        end as reason,
        false as arrival_uncertain,
        coalesce({{ updated }}, false) as attributes_changed
    from profiles
    where ({{ updated }}) or ({{ attribute_moved }})
),

{#- new, changed and deleted profile rows by their hashes (with updated_at too: a row rewritten
    without a new updated_at, or deleted, is found) -#}
changed_by_fingerprints as (
    select
        profile_id,
        case when is_deleted then 'profile row deleted' else 'attributes changed' end as reason,
        false as arrival_uncertain,
        true as attributes_changed
    from {{ fingerprints }}
    where is_changed or is_deleted
),

{%- if identity_map is not none %}

{#- both profiles of every identity this run stitched elsewhere than the baseline did (merged,
    split, joined), counted again from all their events -#}
moved_identities as (
    select
        coalesce(previous_profile_id, identity) as previous_profile_id,
        coalesce(profile_id, identity) as profile_id
    from {{ identity_map }}
    where stitched_at = {{ segments_as_of_sql() }}
      and coalesce(previous_profile_id, identity) <> coalesce(profile_id, identity)
),

changed_by_identities as (
    select previous_profile_id as profile_id, 'identities stitched anew' as reason, true as arrival_uncertain, true as attributes_changed
    from moved_identities
    union all
    select profile_id, 'identities stitched anew' as reason, true as arrival_uncertain, true as attributes_changed
    from moved_identities
),
{%- endif %}

changed as (
    select * from changed_by_events
    union all
    select * from changed_by_attributes
    union all
    select * from changed_by_fingerprints
    {%- if identity_map is not none %}
    union all
    select * from changed_by_identities
    {%- endif %}
),

final as (
    select
        profile_id,
        min(reason) as reason,
        bool_or(arrival_uncertain) as arrival_uncertain,
        bool_or(attributes_changed) as attributes_changed
    from changed
    group by profile_id
)

select * from final
{%- endif -%}
{%- endmacro %}

