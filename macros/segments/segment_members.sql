{#- Every segment's members at as_of, in one model (int_segment_members__unioned): one pass over
    int_profiles__evaluated computes each segment's verdict as a column, in layers so that a
    segment referring to others reads their verdicts from the same row; the verdicts are then
    unpivoted to one row per (segment, member), each with its split (a stable hash of segment
    and profile). During an incremental evaluation only the changed profiles are evaluated and
    the other members are kept from the previous evaluation. -#}

{% macro evaluate_segments(segments) -%}
    {{ return(adapter.dispatch('evaluate_segments', 'segments')(segments)) }}
{%- endmacro %}

{% macro default__evaluate_segments(segments) -%}
{%- if segments is string or segments is mapping -%}
    {{ exceptions.raise_compiler_error("evaluate_segments: argument 'segments' must be the generated list of definitions ({name, condition, splits, layer}), got " ~ segments) }}
{%- endif -%}
{%- set changed = ref('int_profiles__changed') -%}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none -%}
{%- set incremental = segments_evaluation().mode == 'incremental' and previous is not none -%}
{%- set layers = (segments | map(attribute='layer') | list | max) + 1 if segments else 0 %}
with evaluated_profiles as (
    select * from {{ ref('int_profiles__evaluated') }}
),
{%- for layer in range(layers) %}

verdicts_{{ layer }} as (
    select
        profile.*,
        {%- for segment in segments if segment.layer == layer %}
        {{ _segments_condition(segment.condition) }} as {{ _segments_verdict_column(segment.name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ 'evaluated_profiles' if layer == 0 else 'verdicts_' ~ (layer - 1) }} as profile
),
{%- endfor %}

qualified as (
    {%- if segments %}
    {%- set verdict_columns = [] -%}
    {%- for segment in segments -%}{%- do verdict_columns.append(_segments_verdict_column(segment.name)) -%}{%- endfor %}
    {{ segments_true_columns('verdicts_' ~ (layers - 1), verdict_columns) }}
    {%- else %}
    select cast(null as string) as profile_id, cast(null as string) as verdict_column
    where 1 = 0
    {%- endif %}
),

members as (
    select
        substr(verdict_column, {{ _segments_verdict_column('') | length + 1 }}) as segment,
        profile_id
    from qualified
    {%- if incremental %}

    union all

    {#- members whose inputs did not change keep their verdicts #}
    select previous_members.segment, previous_members.profile_id
    from {{ previous }} as previous_members
    where not exists (
        select 1 from {{ changed }} as changed
        where changed.profile_id = previous_members.profile_id
    )
    {%- endif %}
),

final as (
    select
        segment,
        profile_id,
        {%- set with_splits = segments | selectattr('splits') | list %}
        {%- if with_splits %}
        case segment
            {%- for segment in with_splits %}
            when {{ segments_string_literal(segment.name) }} then {{ _segments_split(segment.name, segment.splits, 'profile_id') }}
            {%- endfor %}
        end as split
        {%- else %}
        cast(null as string) as split
        {%- endif %}
    from members
)

select * from final
{%- endmacro %}

{#- The column holding a segment's verdict while segments are evaluated. -#}
{% macro _segments_verdict_column(segment_name) -%}
    {{ return('is_member__' ~ segment_name) }}
{%- endmacro %}

{#- The split of a member: the first split whose upper bound (basis points) exceeds the member's
    bucket, a stable hash of (segment, profile) in 0..9999. NULL without splits. -#}
{% macro _segments_split(segment_name, splits, profile_sql) -%}
    {%- if not splits -%}
        cast(null as string)
    {%- else -%}
        {%- set bucket = segments_hash_bucket(segments_string_literal(segment_name ~ ':') ~ ' || ' ~ profile_sql) -%}
        case
            {%- for split in splits %}
            when {{ bucket }} < {{ split.upper }} then {{ segments_string_literal(split.name) }}
            {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

