{# Every row satisfies the expression (an identity or a range rule); failing rows are returned. #}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}
