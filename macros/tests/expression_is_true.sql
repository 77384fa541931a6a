{#-
    Fails on each row where the boolean expression is false (NULL passes: use
    `where` to scope). On a column, the expression may name the column itself.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}
