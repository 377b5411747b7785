{#- Warns (severity warn where it is used) about each segment without members: usually a
    definition that can never hold, or data that does not reach the store. -#}
{% test every_segment_has_members(model, members) %}
select definitions.segment, 'the segment has no members' as problem
from {{ model }} as definitions
where not exists (
    select 1 from {{ members }} as members
    where members.segment = definitions.segment
)
{% endtest %}
