{#- Evaluation time and windows. Bounds are computed here, once per run, from as_of: the SQL then
    compares timestamps with constants, which is portable and lets the engine prune early. -#}

{% macro segments_as_of() -%}
    {{ return(adapter.dispatch('segments_as_of', 'segments')()) }}
{%- endmacro %}

{#- A run setting: `--vars '{name: ...}'`, else the environment variable SEGMENTS_<NAME>, read only
    while executing. dbt re-parses the whole project when --vars change (≈2.7 s a run for the
    benchmark's project) and every file that read a changed environment variable while parsing;
    a setting that changes every run (as_of) given in the environment keeps the parse cached. -#}
{% macro segments_run_setting(name) -%}
    {%- set given = var(name, none) -%}
    {%- if (given is none or (given | string | trim) == '') and execute -%}
        {%- set given = env_var('SEGMENTS_' ~ name | upper, '') -%}
    {%- endif -%}
    {{ return(none if given is none or (given | string | trim) == '' else given) }}
{%- endmacro %}

{% macro default__segments_as_of() -%}
    {%- set configured = segments_run_setting('as_of') -%}
    {%- if configured is none -%}
        {{ return(run_started_at.replace(tzinfo=none, microsecond=0)) }}
    {%- endif -%}
    {%- set text = configured | string | trim | replace('Z', '+00:00') | replace('T', ' ') -%}
    {%- if text | length == 10 -%}{%- set text = text ~ ' 00:00:00' -%}{%- endif -%}
    {%- set parsed = none -%}
    {%- set parsed = modules.datetime.datetime.strptime(text[:19], '%Y-%m-%d %H:%M:%S') if modules.re.match('^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}', text) else none -%}
    {%- if parsed is none -%}
        {{ exceptions.raise_compiler_error("as_of (var or SEGMENTS_AS_OF): expected an ISO timestamp such as 2024-06-30T12:00:00Z, got '" ~ configured ~ "'") }}
    {%- endif -%}
    {%- set rest = text[19:] -%}
    {%- set fraction = modules.re.match('^\\.(\\d{1,6})', rest) -%}
    {%- if fraction -%}
        {%- set parsed = parsed.replace(microsecond=(fraction.group(1) ~ '000000')[:6] | int) -%}
        {%- set rest = rest[fraction.end():] -%}
    {%- endif -%}
    {%- set offset = modules.re.match('^([+-])(\\d{2}):?(\\d{2})$', rest) -%}
    {%- if offset -%}
        {%- set minutes = (offset.group(2) | int) * 60 + (offset.group(3) | int) -%}
        {%- set sign = 1 if offset.group(1) == '+' else -1 -%}
        {%- set parsed = parsed - modules.datetime.timedelta(minutes=sign * minutes) -%}
    {%- elif rest | trim != '' -%}
        {{ exceptions.raise_compiler_error("as_of (var or SEGMENTS_AS_OF): cannot read the time zone in '" ~ configured ~ "' (use Z or +hh:mm)") }}
    {%- endif -%}
    {{ return(parsed) }}
{%- endmacro %}

{% macro segments_as_of_sql() -%}
    {{ segments_timestamp(segments_as_of()) }}
{%- endmacro %}

{#- Start of the calendar period (day, week from Monday, month, quarter, year) containing a moment. -#}
{% macro _segments_period_start(period, moment) -%}
    {%- set day = moment.replace(hour=0, minute=0, second=0, microsecond=0) -%}
    {%- if period == 'day' -%}
        {{ return(day) }}
    {%- elif period == 'week' -%}
        {{ return(day - modules.datetime.timedelta(days=day.weekday())) }}
    {%- elif period == 'month' -%}
        {{ return(day.replace(day=1)) }}
    {%- elif period == 'quarter' -%}
        {{ return(day.replace(month=((day.month - 1) // 3) * 3 + 1, day=1)) }}
    {%- elif period == 'year' -%}
        {{ return(day.replace(month=1, day=1)) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("_segments_period_start: unknown period '" ~ period ~ "' (expected day, week, month, quarter or year)") }}
{%- endmacro %}

{% macro _segments_moment(value) -%}
    {%- if 'date' in value -%}
        {{ return(modules.datetime.datetime.strptime(value['date'], '%Y-%m-%d')) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.fromisoformat(value['timestamp'])) }}
{%- endmacro %}

{#- Bounds of a window relative to as_of: {lower, lower_inclusive, upper, upper_inclusive}, where a
    none bound is open. Every window but `next` also ends at as_of (events after it never count). -#}
{% macro _segments_window_bounds(window, as_of) -%}
    {%- set seconds = modules.datetime.timedelta(seconds=window.get('seconds', 0)) -%}
    {%- if window.kind == 'last' -%}
        {{ return({'lower': as_of - seconds, 'lower_inclusive': false, 'upper': as_of, 'upper_inclusive': true}) }}
    {%- elif window.kind == 'before' -%}
        {{ return({'lower': none, 'lower_inclusive': false, 'upper': as_of - seconds, 'upper_inclusive': true}) }}
    {%- elif window.kind == 'next' -%}
        {{ return({'lower': as_of, 'lower_inclusive': true, 'upper': as_of + seconds, 'upper_inclusive': false}) }}
    {%- elif window.kind == 'between' -%}
        {%- set start = as_of - modules.datetime.timedelta(seconds=window.from_seconds) -%}
        {%- set end = as_of - modules.datetime.timedelta(seconds=window.to_seconds) -%}
        {{ return({'lower': start, 'lower_inclusive': false, 'upper': end, 'upper_inclusive': true}) }}
    {%- elif window.kind == 'this' -%}
        {{ return({'lower': _segments_period_start(window.period, as_of), 'lower_inclusive': true, 'upper': as_of, 'upper_inclusive': true}) }}
    {%- elif window.kind == 'previous' -%}
        {%- set this_start = _segments_period_start(window.period, as_of) -%}
        {%- set previous_start = _segments_period_start(window.period, this_start - modules.datetime.timedelta(microseconds=1)) -%}
        {{ return({'lower': previous_start, 'lower_inclusive': true, 'upper': this_start, 'upper_inclusive': false}) }}
    {%- elif window.kind == 'range' -%}
        {%- set lower = _segments_moment(window.since) if window.since else none -%}
        {%- set until = _segments_moment(window.until) if window.until else none -%}
        {%- if until is not none and until <= as_of -%}
            {{ return({'lower': lower, 'lower_inclusive': true, 'upper': until, 'upper_inclusive': false}) }}
        {%- endif -%}
        {{ return({'lower': lower, 'lower_inclusive': true, 'upper': as_of, 'upper_inclusive': true}) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("_segments_window_bounds: unknown window kind '" ~ window.kind ~ "'") }}
{%- endmacro %}

{#- A boolean SQL expression: the timestamp expression lies in the window (relative to as_of, or
    to another moment: Customer AI evaluates conditions at its training cutoff too). -#}
{% macro _segments_window_predicate(window, timestamp_sql, as_of=none) -%}
    {%- set bounds = _segments_window_bounds(window, as_of if as_of is not none else segments_as_of()) -%}
    {%- set parts = [] -%}
    {%- if bounds.lower is not none -%}
        {%- do parts.append(timestamp_sql ~ (' >= ' if bounds.lower_inclusive else ' > ') ~ segments_timestamp(bounds.lower)) -%}
    {%- endif -%}
    {%- if bounds.upper is not none -%}
        {%- do parts.append(timestamp_sql ~ (' <= ' if bounds.upper_inclusive else ' < ') ~ segments_timestamp(bounds.upper)) -%}
    {%- endif -%}
    ({{ parts | join(' and ') if parts else 'true' }})
{%- endmacro %}
