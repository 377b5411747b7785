{#- The one place values from definitions become SQL text. Strings are quoted with doubled quotes;
    dialects where backslash escapes inside literals (Spark) escape it too. -#}
{% macro segments_literal(value) -%}
    {{ return(adapter.dispatch('segments_literal', 'segments')(value)) }}
{%- endmacro %}

{% macro default__segments_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true -%}
        true
    {%- elif value is sameas false -%}
        false
    {%- elif value is number -%}
        {{ value }}
    {%- elif value is mapping and 'date' in value -%}
        cast({{ segments_string_literal(value['date']) }} as date)
    {%- elif value is mapping and 'timestamp' in value -%}
        cast({{ segments_string_literal(value['timestamp']) }} as timestamp)
    {%- elif value is string -%}
        {{ segments_string_literal(value) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("segments_literal: cannot render value " ~ value ~ " (expected text, number, boolean, {date: ...} or {timestamp: ...})") }}
    {%- endif -%}
{%- endmacro %}

{% macro segments_string_literal(text) -%}
    {{ return(adapter.dispatch('segments_string_literal', 'segments')(text)) }}
{%- endmacro %}

{% macro default__segments_string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__segments_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- A timestamp literal from a Python datetime (as_of and window bounds). -#}
{% macro segments_timestamp(moment) -%}
    cast('{{ moment.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
