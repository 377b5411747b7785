{#- Operators. A predicate always renders as a two-valued boolean: a missing (NULL) value
    satisfies only `exists: false`, so `not` over any predicate is plain negation. -#}

{% macro _segments_value_sql(value, ignore_case, attribute_sql) -%}
    {%- if value is mapping and 'attribute' in value -%}
        {{ attribute_sql(value['attribute']) }}
    {%- elif ignore_case -%}
        lower({{ segments_literal(value) }})
    {%- else -%}
        {{ segments_literal(value) }}
    {%- endif -%}
{%- endmacro %}

{% macro _segments_predicate(subject, predicate, attribute_sql=none, as_of=none) -%}
    {%- set op = predicate.op -%}
    {%- set value = predicate.value -%}
    {%- set ignore_case = predicate.get('ignore_case', false) -%}
    {%- set s = ('lower(' ~ subject ~ ')') if ignore_case and op != 'matches' else subject -%}
    {%- if op in ('equals', 'not_equals', 'gt', 'gte', 'lt', 'lte') -%}
        {%- set symbol = {'equals': '=', 'not_equals': '<>', 'gt': '>', 'gte': '>=', 'lt': '<', 'lte': '<='}[op] -%}
        {%- set expression = s ~ ' ' ~ symbol ~ ' ' ~ _segments_value_sql(value, ignore_case, attribute_sql) -%}
    {%- elif op in ('in', 'not_in') -%}
        {%- set items = [] -%}
        {%- for item in value -%}{%- do items.append(_segments_value_sql(item, ignore_case, attribute_sql)) -%}{%- endfor -%}
        {%- set expression = s ~ (' in (' if op == 'in' else ' not in (') ~ items | join(', ') ~ ')' -%}
    {%- elif op == 'between' -%}
        {%- set expression = s ~ ' between ' ~ _segments_value_sql(value[0], ignore_case, attribute_sql) ~ ' and ' ~ _segments_value_sql(value[1], ignore_case, attribute_sql) -%}
    {%- elif op in ('contains', 'not_contains') -%}
        {%- set expression = ('' if op == 'contains' else 'not ') ~ '(instr(' ~ s ~ ', ' ~ _segments_value_sql(value, ignore_case, attribute_sql) ~ ') > 0)' -%}
    {%- elif op == 'starts_with' -%}
        {%- set needle = _segments_value_sql(value, ignore_case, attribute_sql) -%}
        {%- set expression = 'left(' ~ s ~ ', length(' ~ needle ~ ')) = ' ~ needle -%}
    {%- elif op == 'ends_with' -%}
        {%- set needle = _segments_value_sql(value, ignore_case, attribute_sql) -%}
        {%- set expression = 'right(' ~ s ~ ', length(' ~ needle ~ ')) = ' ~ needle -%}
    {%- elif op == 'like' -%}
        {%- set expression = segments_like(s, _segments_value_sql(value, ignore_case, attribute_sql)) -%}
    {%- elif op == 'matches' -%}
        {%- set expression = segments_regex_matches(s, segments_literal(('(?i)' if ignore_case else '') ~ value)) -%}
    {%- elif op == 'exists' -%}
        {%- set expression = s ~ (' is not null' if value else ' is null') -%}
    {%- elif op == 'during' -%}
        {%- set expression = _segments_window_predicate(value, 'cast(' ~ s ~ ' as timestamp)', as_of) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("_segments_predicate: unknown operator '" ~ op ~ "'") }}
    {%- endif -%}
    coalesce(({{ expression }}), false)
{%- endmacro %}
