{#- The bands of time a window bound moved past between the baseline evaluation and this one:
    where the events (or date attributes) that can change a verdict lie. Read by the changed
    profiles, the event conditions' update and the sequences. -#}

{#- [lower, upper] bands (closed) holding every event whose place in some window, or relative to
    as_of, differs between the baseline's as_of and this one. -#}
{% macro _segments_moved_event_bands(conditions, before, now) -%}
    {%- set bands = [[before, now]] -%}
    {%- for condition in conditions if condition.window is not none -%}
        {%- do bands.extend(_segments_moved_bands(condition.window, before, now)) -%}
    {%- endfor -%}
    {{ return(bands) }}
{%- endmacro %}

{#- Closed [lower, upper] bands, overlapping ones merged, in order. -#}
{% macro _segments_merged_bands(bands) -%}
    {%- set merged = [] -%}
    {%- set open = namespace(lower=none, upper=none) -%}
    {%- for band in bands | sort -%}
        {%- if open.lower is not none and band[0] <= open.upper -%}
            {%- set open.upper = [open.upper, band[1]] | max -%}
        {%- else -%}
            {%- if open.lower is not none -%}{%- do merged.append([open.lower, open.upper]) -%}{%- endif -%}
            {%- set open.lower = band[0] -%}
            {%- set open.upper = band[1] -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do merged.append([open.lower, open.upper]) -%}
    {{ return(merged) }}
{%- endmacro %}

{#- [earliest, latest] bands (closed) between where a window's bounds were and where they are. -#}
{% macro _segments_moved_bands(window, before, now, widen_days=0) -%}
    {%- set widen = modules.datetime.timedelta(days=widen_days) -%}
    {%- set old = _segments_window_bounds(window, before) -%}
    {%- set new = _segments_window_bounds(window, now) -%}
    {%- set bands = [] -%}
    {%- for edge in ('lower', 'upper') -%}
        {%- if old[edge] is not none and new[edge] is not none -%}
            {%- do bands.append([([old[edge], new[edge]] | min) - widen, ([old[edge], new[edge]] | max) + widen]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(bands) }}
{%- endmacro %}

{#- `union all` + one `<select_sql> where event_ts between <band>` per band (merged), each a plain
    range the zone maps skip the rest of the time-ordered events table by; `also` adds a
    predicate to each. The changed events are read this way: one OR of every band reads every row. -#}
{% macro _segments_band_slices(select_sql, bands, also=none) -%}
    {%- for band in _segments_merged_bands(bands) %}
    union all
    {{ select_sql }}
    where event_ts between {{ segments_timestamp(band[0]) }} and {{ segments_timestamp(band[1]) }}
    {%- if also %}
      and {{ also }}
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{% macro _segments_in_bands(timestamp_sql, bands) -%}
    {%- set parts = [] -%}
    {%- for band in bands -%}
        {%- do parts.append(timestamp_sql ~ ' between ' ~ segments_timestamp(band[0]) ~ ' and ' ~ segments_timestamp(band[1])) -%}
    {%- endfor -%}
    ({{ parts | join(' or ') if parts else 'false' }})
{%- endmacro %}
