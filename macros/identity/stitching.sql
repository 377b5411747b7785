{#- Identity stitching (docs/identity.md): when raw.identities has rows, every model reads events
    and profile rows through the identity map, so a profile is a connected set of identities. -#}

{#- The identity vars, checked: {default_namespace, namespaces, blocklist, limits, merge_policy}.
    A wrong value stops the run with the var's name and what was expected. -#}
{% macro segments_identity_settings() -%}
    {%- set default_namespace = var('default_namespace', 'device') -%}
    {%- set namespaces = var('identity_namespaces', []) or [] -%}
    {%- set blocklist = var('identity_blocklist', []) or [] -%}
    {%- set limits = var('identity_limits', {}) or {} -%}
    {%- set merge_policy = var('merge_policy', 'timestamp') -%}
    {%- set problems = [] -%}
    {%- if default_namespace is not string or not default_namespace | trim -%}
        {%- do problems.append("default_namespace: expected a namespace name, e.g. device; got " ~ default_namespace) -%}
    {%- endif -%}
    {%- if namespaces is string or namespaces is mapping or namespaces is not iterable -%}
        {%- do problems.append("identity_namespaces: expected a list of namespaces in priority order, e.g. [crm_id, email, device]; got " ~ namespaces) -%}
        {%- set namespaces = [] -%}
    {%- else -%}
        {%- for name in namespaces if name is not string -%}
            {%- do problems.append("identity_namespaces: every entry is a namespace name; got " ~ name) -%}
        {%- endfor -%}
        {%- if namespaces | unique | list | length != namespaces | length -%}
            {%- do problems.append("identity_namespaces: a namespace is listed twice in " ~ namespaces) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if blocklist is string or blocklist is mapping or blocklist is not iterable -%}
        {%- do problems.append("identity_blocklist: expected a list of identity values never linked, e.g. [unknown, '0']; got " ~ blocklist) -%}
        {%- set blocklist = [] -%}
    {%- endif -%}
    {%- if limits is not mapping -%}
        {%- do problems.append("identity_limits: expected {namespace: most identities of it in one profile}, e.g. {crm_id: 1}; got " ~ limits) -%}
        {%- set limits = {} -%}
    {%- else -%}
        {%- for name, limit in limits.items() if not (limit is number and limit is not sameas true and limit is not sameas false and limit == limit | int and limit >= 1) -%}
            {%- do problems.append("identity_limits: " ~ name ~ ": expected a whole number of at least 1; got " ~ limit) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if merge_policy not in ['timestamp', 'priority'] -%}
        {%- do problems.append("merge_policy: expected timestamp or priority; got " ~ merge_policy) -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("identity vars (dbt_project.yml or --vars): " ~ problems | join('; ')) }}
    {%- endif -%}
    {{ return({'default_namespace': default_namespace | trim, 'namespaces': namespaces, 'blocklist': blocklist | map('string') | list, 'limits': limits, 'merge_policy': merge_policy}) }}
{%- endmacro %}

{#- on-run-start: the vars are checked before anything is built, and a store with identities on
    an engine that cannot stitch them is refused rather than segmented unstitched. -#}
{% macro check_identity_settings() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- do segments_identity_settings() -%}
    {%- if target.type == 'spark' and _segments_identities_present() -%}
        {{ exceptions.raise_compiler_error("raw.identities has rows, but identity stitching runs on DuckDB only in this version (it is a dbt Python model, which dbt-spark's session method cannot run): stitch on DuckDB, or empty raw.identities to segment unstitched profiles. See docs/identity.md.") }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro _segments_identities_present() -%}
    {%- set relation = source('raw', 'identities') -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}{{ return(false) }}{%- endif -%}
    {{ return(run_query('select 1 from ' ~ relation ~ ' limit 1') | length > 0) }}
{%- endmacro %}

{#- Are profiles stitched in this run? When raw.identities exists and has rows (false while dbt
    parses, and on Spark, which check_identity_settings refuses with identities). -#}
{% macro segments_stitching_enabled() -%}
    {{ return(execute and target.type != 'spark' and _segments_identities_present()) }}
{%- endmacro %}

{#- The linked part of the identity map (int_identity_map__linked), or none where stitching
    cannot run (Spark). Called unconditionally by the models that read it, so that dbt orders
    them after it. -#}
{% macro segments_identity_map_relation() -%}
    {{ return(adapter.dispatch('segments_identity_map_relation', 'segments')()) }}
{%- endmacro %}
{% macro default__segments_identity_map_relation() -%}
    {{ return(ref('int_identity_map__linked')) }}
{%- endmacro %}
{% macro spark__segments_identity_map_relation() -%}
    {{ return(none) }}
{%- endmacro %}

{#- The namespace of a raw row: its identity_namespace column when the table has one, else the
    default namespace. -#}
{% macro segments_row_namespace(columns, alias=none) -%}
    {%- set default = segments_string_literal(segments_identity_settings().default_namespace) -%}
    {%- if 'identity_namespace' in columns -%}
        coalesce(cast({{ (alias ~ '.' if alias else '') ~ 'identity_namespace' }} as string), {{ default }})
    {%- else -%}
        {{ default }}
    {%- endif -%}
{%- endmacro %}

{#- A namespace's priority: its place in identity_namespaces; namespaces not listed after them
    (ordered by name where this rank ties). -#}
{% macro segments_namespace_rank(namespace_sql) -%}
    {%- set namespaces = segments_identity_settings().namespaces -%}
    {%- if namespaces -%}
    case {{ namespace_sql }}
        {%- for name in namespaces %} when {{ segments_string_literal(name) }} then {{ loop.index0 }}{% endfor %}
        else {{ namespaces | length }}
    end
    {%- else -%}
    0
    {%- endif -%}
{%- endmacro %}

{#- `<column>` of the row first in `order_by` among the rows where it is not NULL: how a merge
    policy picks each attribute. -#}
{% macro segments_first_non_null(column, order_by) -%}
    {{ return(adapter.dispatch('segments_first_non_null', 'segments')(column, order_by)) }}
{%- endmacro %}
{% macro default__segments_first_non_null(column, order_by) -%}
    first({{ column }} order by {{ order_by }}) filter (where {{ column }} is not null)
{%- endmacro %}

{#- The identities stitched into a profile other than themselves (every other row of a raw
    table keeps its profile_id). -#}
{% macro _segments_moved_identities(identity_map) -%}
    select namespace, identity, profile_id
    from {{ identity_map }}
    where profile_id is not null and profile_id <> identity
{%- endmacro %}

{#- A raw row's columns with profile_id replaced by its stitched profile (`moved` joined). -#}
{% macro _segments_stitched_columns(alias, columns) -%}
    {%- set selected = ['coalesce(moved.profile_id, ' ~ alias ~ '.profile_id) as profile_id'] -%}
    {%- for name in columns if name != 'profile_id' -%}
        {%- do selected.append(alias ~ '.' ~ adapter.quote(name)) -%}
    {%- endfor -%}
    {{ selected | join(',\n        ') }}
{%- endmacro %}

{#- Incremental stitching (docs/identity.md, "Over time"): the stitched links are state. A run
    that only adds links re-stitches the components the new links touch; anything else - no
    state yet, --full-refresh, changed identity vars, a stitched link gone from raw.identities -
    stitches every link again. -#}

{#- The links as the previous run left them stitched (int_identity_links__stitched), or none.
    Read by name, not ref(): the state of the last run is an input of this run's stitching,
    which rewrites it (a ref would be a cycle). -#}
{% macro segments_stitched_links_relation() -%}
    {%- set node = graph.nodes.get('model.segments.int_identity_links__stitched') if execute else none -%}
    {%- if node is none or not node.config.enabled -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(node.database, node.schema, node.alias)) }}
{%- endmacro %}

{#- What stitching depends on besides the links: a change re-stitches everything. -#}
{% macro segments_stitching_settings_hash() -%}
    {%- set settings = segments_identity_settings() -%}
    {{ return(local_md5(tojson({'namespaces': settings.namespaces, 'blocklist': settings.blocklist, 'limits': settings.limits}, sort_keys=true))) }}
{%- endmacro %}

{#- Two relations' rows are the same link (NULLs equal: incomplete links are links too). -#}
{% macro segments_same_link(left, right) -%}
    {%- for column in ['namespace', 'identity', 'linked_namespace', 'linked_identity', 'observed_at'] -%}
        {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- pre-hook of int_identity_links__stitched: the rows this run stitches again go (all of them
    when it stitches everything), in the transaction that inserts their new rows. -#}
{% macro segments_forget_restitched_links() -%}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    delete from {{ this }} as stitched
    where (select mode from {{ ref('int_identity_stitch__planned') }}) = 'full'
       or exists (
           select 1 from {{ ref('int_identity_links__pending') }} as pending
           where {{ segments_same_link('pending', 'stitched') }}
       )
{%- endmacro %}

{#- pre-hook of int_identity_map__linked: before a full stitch, the identities a previous full
    stitch found no longer linked go (this one lists those it finds). -#}
{% macro segments_forget_unlinked_identities() -%}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    delete from {{ this }}
    where profile_id is null
      and (select mode from {{ ref('int_identity_stitch__planned') }}) = 'full'
{%- endmacro %}
