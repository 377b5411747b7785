{#- Every link of raw.identities that stitching did not apply, with why: incomplete, touching a
    blocklisted value, or skipped because it would have given a profile more identities of a
    namespace than identity_limits allows. Nothing is dropped silently (a link listed twice in
    raw.identities is one link here). A view of the stitching state: nothing is copied. -#}
{{ config(materialized='view') }}

with stitched as (
    select * from {{ ref('int_identity_links__stitched') }}
),

final as (
    select namespace, identity, linked_namespace, linked_identity, observed_at, reason
    from stitched
    where reason is not null
)

select * from final
