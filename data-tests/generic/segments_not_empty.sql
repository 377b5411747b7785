{#- Warns (severity warn in the generated docs) when a segment has no members: usually a
    definition that can never hold, or data that does not reach the store. -#}
{% test segments_not_empty(model) %}
select 'the segment has no members' as problem
where not exists (select 1 from {{ model }})
{% endtest %}
