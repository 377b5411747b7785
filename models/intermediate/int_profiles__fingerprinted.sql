{#- Each profile's row hash at this evaluation, next to the previous evaluation's: how an
    incremental evaluation finds profiles whose attributes changed without a reliable updated_at
    (most CRM extracts have none), and profiles whose raw.profiles row was deleted. It costs one
    scan of the profiles, never of the history. The previous hashes are this table as the last
    run left it; they count only when that run was the baseline evaluation (the plan goes full
    otherwise), and the deleted rows are dropped from the next one. -#}
{%- set profile_columns = _segments_columns(ref('int_profiles__deduplicated')) -%}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none -%}
with profiles as (
    select * from {{ ref('int_profiles__deduplicated') }}
),

current_rows as (
    select
        profile_id,
        {{ segments_row_hash('profiles', profile_columns | reject('equalto', 'profile_id') | list) }} as row_hash
    from profiles
),

previous_rows as (
    {%- if previous is not none %}
    select profile_id, row_hash from {{ this }}
    where not is_deleted
    {%- else %}
    select cast(null as string) as profile_id, cast(null as string) as row_hash
    where 1 = 0
    {%- endif %}
),

final as (
    select
        coalesce(current_rows.profile_id, previous_rows.profile_id) as profile_id,
        current_rows.row_hash,
        current_rows.profile_id is not null
            and previous_rows.row_hash is distinct from current_rows.row_hash as is_changed,
        current_rows.profile_id is null as is_deleted,
        {{ segments_as_of_sql() }} as fingerprinted_at
    from current_rows
    full join previous_rows on previous_rows.profile_id = current_rows.profile_id
)

select * from final
