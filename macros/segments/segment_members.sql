{#- A segment's members at as_of: the generated int_segment_members__<name> model. Each member
    gets its split (when the segment declares splits) from a stable hash of (segment, profile). -#}

{% macro segment_members(segment) -%}
    {{ return(adapter.dispatch('segment_members', 'segments')(segment)) }}
{%- endmacro %}

{% macro default__segment_members(segment) -%}
{%- if segment is not mapping or 'condition' not in segment or 'name' not in segment -%}
    {{ exceptions.raise_compiler_error("segment_members: argument 'segment' must be the generated definition with 'name' and 'condition', got " ~ segment) }}
{%- endif -%}
{%- set changed = ref('int_profiles__changed') -%}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none -%}
{%- set incremental = segments_evaluation().mode == 'incremental' and previous is not none %}
with evaluated_profiles as (
    select * from {{ ref('int_profiles__evaluated') }}
),

qualified as (
    select profile.profile_id
    from evaluated_profiles as profile
    where {{ _segments_condition(segment.condition) }}
),

{%- if incremental %}

{#- incremental: members whose inputs did not change keep their verdict -#}
unchanged_members as (
    select previous_members.profile_id
    from {{ previous }} as previous_members
    where not exists (
        select 1 from {{ changed }} as changed
        where changed.profile_id = previous_members.profile_id
    )
),
{%- endif %}

members as (
    select profile_id from qualified
    {%- if incremental %}
    union all
    select profile_id from unchanged_members
    {%- endif %}
),

final as (
    select
        profile_id,
        {{ _segments_split(segment.name, segment.get('splits', []), 'profile_id') }} as split
    from members
)

select * from final
{%- endmacro %}

{#- The split of a member: the first split whose upper bound (basis points) exceeds the member's
    bucket, a stable hash of (segment, profile) in 0..9999. NULL without splits. -#}
{% macro _segments_split(segment_name, splits, profile_sql) -%}
    {%- if not splits -%}
        cast(null as varchar)
    {%- else -%}
        {%- set bucket = segments_hash_bucket(segments_string_literal(segment_name ~ ':') ~ ' || ' ~ profile_sql) -%}
        case
            {%- for split in splits %}
            when {{ bucket }} < {{ split.upper }} then {{ segments_string_literal(split.name) }}
            {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

{#- A published segment table: the current members with their streak start and split. -#}
{% macro segment_table(segment_name) -%}
    {{ return(adapter.dispatch('segment_table', 'segments')(segment_name)) }}
{%- endmacro %}

{% macro default__segment_table(segment_name) -%}
with membership as (
    select * from {{ ref('segment_membership') }}
),

final as (
    select
        profile_id,
        qualified_at,
        evaluated_at,
        split
    from membership
    where segment = {{ segments_string_literal(segment_name) }}
      and status in ('realized', 'existing')
)

select * from final
{%- endmacro %}
