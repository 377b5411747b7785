{#- The body of a generated segment model: the current members at as_of. A member keeps the
    qualified_at of its current streak: the evaluation at which it last entered. -#}

{% macro segment_members(segment) -%}
    {{ return(adapter.dispatch('segment_members', 'segments')(segment)) }}
{%- endmacro %}

{% macro default__segment_members(segment) -%}
{%- if segment is not mapping or 'condition' not in segment -%}
    {{ exceptions.raise_compiler_error("segment_members: argument 'segment' must be the generated definition with a 'condition', got " ~ segment) }}
{%- endif -%}
{%- set as_of = segments_as_of_sql() -%}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none -%}
with evaluated_profiles as (
    select * from {{ ref('int_profiles__evaluated') }}
),
{%- if previous is not none %}
previous_members as (
    select profile_id, qualified_at from {{ previous }}
),
{%- endif %}
qualified as (
    select profile.profile_id
    from evaluated_profiles as profile
    where {{ _segments_condition(segment.condition) }}
),
final as (
    select
        qualified.profile_id,
        {%- if previous is not none %}
        coalesce(previous_members.qualified_at, {{ as_of }}) as qualified_at,
        {%- else %}
        {{ as_of }} as qualified_at,
        {%- endif %}
        {{ as_of }} as evaluated_at
    from qualified
    {%- if previous is not none %}
    left join previous_members on previous_members.profile_id = qualified.profile_id
    {%- endif %}
)
select * from final
{%- endmacro %}
