{#- How this run stitches (one row): `incremental` re-stitches only the components new links
    touch, when the links stitched by the previous run are all still in raw.identities and the
    identity vars are the same; `full` stitches every link, with the reason. The row is kept
    until the next run: its stitched_at says which run last stitched (an incremental evaluation
    needs the map to be its baseline's). -#}
{%- set settings_hash = segments_stitching_settings_hash() -%}
{%- set state = segments_stitched_links_relation() -%}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none -%}
{%- set previous_hash = run_query('select settings_hash from ' ~ this)[0][0] if previous is not none else none -%}
{%- set reason = none -%}
{%- if flags.FULL_REFRESH -%}{%- set reason = '--full-refresh' -%}
{%- elif state is none or previous is none -%}{%- set reason = 'first stitch' -%}
{%- elif previous_hash != settings_hash -%}{%- set reason = 'identity vars changed (identity_namespaces, identity_blocklist or identity_limits)' -%}
{%- endif %}

with links as (
    select namespace, identity, linked_namespace, linked_identity, observed_at, true as in_raw
    from {{ ref('stg_raw__identities') }}
    {%- if not segments_stitching_enabled() %}
    where 1 = 0
    {%- endif %}
),

stitched as (
    {%- if reason is none %}
    select * from {{ state }}
    {%- else %}
    select *, cast(null as timestamp) as stitched_at from links where 1 = 0
    {%- endif %}
),

{#- one join tells both: rows of raw.identities not stitched yet, stitched links gone -#}
compared as (
    select links.in_raw is null as is_removed, stitched.stitched_at is null as is_new
    from links
    full join stitched on {{ segments_same_link('stitched', 'links') }}
),

counted as (
    select
        count(*) filter (where not is_removed) as links,
        count(*) filter (where is_new) as new_links,
        count(*) filter (where is_removed) as removed_links
    from compared
),

final as (
    select
        {{ segments_as_of_sql() }} as stitched_at,
        case
            when {{ 'true' if reason else 'false' }} or removed_links > 0 then 'full'
            else 'incremental'
        end as mode,
        case
            when {{ 'true' if reason else 'false' }} then {{ segments_string_literal(reason or '') }}
            when removed_links > 0 then 'links stitched before are gone from raw.identities (removed or rewritten)'
            else 'only new links: the components they touch are stitched again'
        end as reason,
        {{ segments_string_literal(settings_hash) }} as settings_hash,
        links,
        new_links,
        removed_links
    from counted
)

select * from final
