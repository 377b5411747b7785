{#- The given columns together identify a row. -#}
{% test unique_combination(model, columns) %}
{%- if columns is string or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error("unique_combination: argument 'columns' must be a non-empty list of column names, got " ~ columns) }}
{%- endif %}
select {{ columns | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
