{#- Dialect-specific functions. Each has a default that DuckDB runs and a spark__ variant where
    Spark differs, so the same definitions compile for both. -#}

{% macro segments_json_text(column, path) -%}
    {{ return(adapter.dispatch('segments_json_text', 'segments')(column, path)) }}
{%- endmacro %}
{% macro default__segments_json_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path }}')
{%- endmacro %}
{% macro spark__segments_json_text(column, path) -%}
    get_json_object({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro segments_try_cast(expression, sql_type) -%}
    {{ return(adapter.dispatch('segments_try_cast', 'segments')(expression, sql_type)) }}
{%- endmacro %}
{% macro default__segments_try_cast(expression, sql_type) -%}
    try_cast({{ expression }} as {{ sql_type }})
{%- endmacro %}

{% macro segments_regex_matches(expression, pattern_sql) -%}
    {{ return(adapter.dispatch('segments_regex_matches', 'segments')(expression, pattern_sql)) }}
{%- endmacro %}
{% macro default__segments_regex_matches(expression, pattern_sql) -%}
    regexp_matches({{ expression }}, {{ pattern_sql }})
{%- endmacro %}
{% macro spark__segments_regex_matches(expression, pattern_sql) -%}
    ({{ expression }} rlike {{ pattern_sql }})
{%- endmacro %}

{#- SQL LIKE with `\` as the escape character on every engine: `%` any text, `_` one character,
    `\%`, `\_` and `\\` themselves. DuckDB has no escape character unless one is named; Spark's
    default is `\` (and `'\'` would not even be a Spark string literal). -#}
{% macro segments_like(expression, pattern_sql) -%}
    {{ return(adapter.dispatch('segments_like', 'segments')(expression, pattern_sql)) }}
{%- endmacro %}
{% macro default__segments_like(expression, pattern_sql) -%}
    ({{ expression }} like {{ pattern_sql }} escape '\')
{%- endmacro %}
{% macro spark__segments_like(expression, pattern_sql) -%}
    ({{ expression }} like {{ pattern_sql }})
{%- endmacro %}

{% macro segments_add_seconds(timestamp_sql, seconds) -%}
    {{ return(adapter.dispatch('segments_add_seconds', 'segments')(timestamp_sql, seconds)) }}
{%- endmacro %}
{% macro default__segments_add_seconds(timestamp_sql, seconds) -%}
    ({{ timestamp_sql }} + interval '{{ seconds | int }} seconds')
{%- endmacro %}

{#- Days (with fractions) from one timestamp to a later one. -#}
{% macro segments_days_between(earlier_sql, later_sql) -%}
    {{ return(adapter.dispatch('segments_days_between', 'segments')(earlier_sql, later_sql)) }}
{%- endmacro %}
{% macro default__segments_days_between(earlier_sql, later_sql) -%}
    (date_diff('second', {{ earlier_sql }}, {{ later_sql }}) / 86400.0)
{%- endmacro %}
{#- unix_timestamp drops the fraction of each second, so the difference counts second
    boundaries, as DuckDB's date_diff does. -#}
{% macro spark__segments_days_between(earlier_sql, later_sql) -%}
    ((unix_timestamp({{ later_sql }}) - unix_timestamp({{ earlier_sql }})) / 86400.0)
{%- endmacro %}

{% macro segments_date_trunc(period, timestamp_sql) -%}
    {{ return(adapter.dispatch('segments_date_trunc', 'segments')(period, timestamp_sql)) }}
{%- endmacro %}
{% macro default__segments_date_trunc(period, timestamp_sql) -%}
    cast(date_trunc('{{ period }}', {{ timestamp_sql }}) as date)
{%- endmacro %}

{#- ISO day of week: 1 = Monday .. 7 = Sunday. -#}
{% macro segments_iso_dow(timestamp_sql) -%}
    {{ return(adapter.dispatch('segments_iso_dow', 'segments')(timestamp_sql)) }}
{%- endmacro %}
{% macro default__segments_iso_dow(timestamp_sql) -%}
    isodow({{ timestamp_sql }})
{%- endmacro %}
{% macro spark__segments_iso_dow(timestamp_sql) -%}
    (((dayofweek({{ timestamp_sql }}) + 5) % 7) + 1)
{%- endmacro %}

{% macro segments_hour(timestamp_sql) -%}
    {{ return(adapter.dispatch('segments_hour', 'segments')(timestamp_sql)) }}
{%- endmacro %}
{% macro default__segments_hour(timestamp_sql) -%}
    hour({{ timestamp_sql }})
{%- endmacro %}

{#- A stable bucket 0..9999 from a text expression (md5, so every engine agrees). -#}
{% macro segments_hash_bucket(text_sql) -%}
    {{ return(adapter.dispatch('segments_hash_bucket', 'segments')(text_sql)) }}
{%- endmacro %}
{% macro default__segments_hash_bucket(text_sql) -%}
    (cast(('0x' || left(md5({{ text_sql }}), 8)) as ubigint) % 10000)
{%- endmacro %}
{% macro spark__segments_hash_bucket(text_sql) -%}
    (cast(conv(left(md5({{ text_sql }}), 8), 16, 10) as bigint) % 10000)
{%- endmacro %}

{#- A hash of a row's columns that changes when any value does (NULL and 'null' differ): JSON of
    the named values, hashed with md5 (a 128-bit hash: a change that keeps the hash is not a
    risk worth a second check). -#}
{% macro segments_row_hash(alias, columns) -%}
    {{ return(adapter.dispatch('segments_row_hash', 'segments')(alias, columns)) }}
{%- endmacro %}
{% macro default__segments_row_hash(alias, columns) -%}
    {%- set values = [] -%}
    {%- for name in columns -%}{%- do values.append(segments_string_literal(name) ~ ': ' ~ alias ~ '.' ~ adapter.quote(name)) -%}{%- endfor -%}
    md5({{ ('to_json({' ~ values | join(', ') ~ '})') if values else "''" }})
{%- endmacro %}
{% macro spark__segments_row_hash(alias, columns) -%}
    {%- set values = [] -%}
    {%- for name in columns -%}{%- do values.append(segments_string_literal(name) ~ ', ' ~ alias ~ '.' ~ adapter.quote(name)) -%}{%- endfor -%}
    md5({{ ('to_json(named_struct(' ~ values | join(', ') ~ '))') if values else "''" }})
{%- endmacro %}

{#- A bucket 0..9999 for sampling: any good hash will do, so each engine uses its fastest. -#}
{% macro segments_sample_bucket(text_sql) -%}
    {{ return(adapter.dispatch('segments_sample_bucket', 'segments')(text_sql)) }}
{%- endmacro %}
{% macro default__segments_sample_bucket(text_sql) -%}
    {{ segments_hash_bucket(text_sql) }}
{%- endmacro %}
{% macro duckdb__segments_sample_bucket(text_sql) -%}
    (hash({{ text_sql }}) % 10000)
{%- endmacro %}

{#- A CTE that several parts of a query read: inlined into each (a filtered scan each), not
    materialized once with every column. -#}
{% macro segments_not_materialized() -%}
    {{ return(adapter.dispatch('segments_not_materialized', 'segments')()) }}
{%- endmacro %}
{% macro default__segments_not_materialized() -%}
{%- endmacro %}
{% macro duckdb__segments_not_materialized() -%}
    not materialized
{%- endmacro %}

{#- A CTE computed once and read by several parts of the query (DuckDB inlines some otherwise). -#}
{% macro segments_materialized() -%}
    {{ return(adapter.dispatch('segments_materialized', 'segments')()) }}
{%- endmacro %}
{% macro default__segments_materialized() -%}
{%- endmacro %}
{% macro duckdb__segments_materialized() -%}
    materialized
{%- endmacro %}

{#- The type of event properties: JSON where the engine has one, JSON text elsewhere. -#}
{% macro segments_json_type() -%}
    {{ return(adapter.dispatch('segments_json_type', 'segments')()) }}
{%- endmacro %}
{% macro default__segments_json_type() -%}
    {{ return('json') }}
{%- endmacro %}
{% macro spark__segments_json_type() -%}
    {{ return('string') }}
{%- endmacro %}

{#- A 64-bit hash of a key (one or more columns), for state that keeps keys compactly. -#}
{% macro segments_key_hash(key_sql) -%}
    {{ return(adapter.dispatch('segments_key_hash', 'segments')(key_sql)) }}
{%- endmacro %}
{% macro default__segments_key_hash(key_sql) -%}
    hash({{ key_sql }})
{%- endmacro %}
{% macro spark__segments_key_hash(key_sql) -%}
    xxhash64({{ key_sql }})
{%- endmacro %}
{% macro segments_key_hash_type() -%}
    {{ return(adapter.dispatch('segments_key_hash_type', 'segments')()) }}
{%- endmacro %}
{% macro default__segments_key_hash_type() -%}
    {{ return('ubigint') }}
{%- endmacro %}
{% macro spark__segments_key_hash_type() -%}
    {{ return('bigint') }}
{%- endmacro %}

{#- (profile_id, verdict_column) for each boolean column that is true in a relation: the
    verdict columns unpivoted to one row per member. -#}
{% macro segments_true_columns(relation, columns) -%}
    {{ return(adapter.dispatch('segments_true_columns', 'segments')(relation, columns)) }}
{%- endmacro %}
{% macro default__segments_true_columns(relation, columns) -%}
    select profile_id, verdict_column
    from (
        unpivot (select profile_id, {{ columns | join(', ') }} from {{ relation }})
        on {{ columns | join(', ') }}
        into name verdict_column value is_member
    ) as verdicts
    where is_member
{%- endmacro %}
{% macro spark__segments_true_columns(relation, columns) -%}
    select profile_id, verdict_column
    from {{ relation }}
    unpivot (is_member for verdict_column in ({{ columns | join(', ') }})) as verdicts
    where is_member
{%- endmacro %}

{#- The incremental strategy that replaces rows by their unique key: delete+insert where the
    engine has it (cheaper than a merge on DuckDB), a Delta merge on Spark. -#}
{% macro segments_keyed_strategy() -%}
    {{ return(adapter.dispatch('segments_keyed_strategy', 'segments')()) }}
{%- endmacro %}
{% macro default__segments_keyed_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}
{% macro spark__segments_keyed_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{#- The n smallest non-null values of an expression, as a sorted list. -#}
{% macro segments_smallest_values(expression, n) -%}
    {{ return(adapter.dispatch('segments_smallest_values', 'segments')(expression, n)) }}
{%- endmacro %}
{% macro default__segments_smallest_values(expression, n) -%}
    coalesce(min({{ expression }}, {{ n | int }}), [])
{%- endmacro %}
{% macro spark__segments_smallest_values(expression, n) -%}
    slice(array_sort(collect_list({{ expression }})), 1, {{ n | int }})
{%- endmacro %}

{#- Select items that unnest arrays of equal length side by side, one row per position, each
    element under its name: unnest_zipped(['runs.features', 'scores.contributions'],
    ['feature', 'contribution']). -#}
{% macro segments_unnest_zipped(arrays, names) -%}
    {{ return(adapter.dispatch('segments_unnest_zipped', 'segments')(arrays, names)) }}
{%- endmacro %}
{% macro default__segments_unnest_zipped(arrays, names) -%}
    {%- for array in arrays -%}
    unnest({{ array }}) as {{ names[loop.index0] }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
{% macro spark__segments_unnest_zipped(arrays, names) -%}
    inline(arrays_zip({{ arrays | join(', ') }})) as ({{ names | join(', ') }})
{%- endmacro %}
