{#-
    A CTE's materialisation hint for the current engine, from a mapping of
    adapter type to hint ('materialized', 'not materialized'); nothing for an
    engine not named (Spark has no such syntax). Where the engines' planners
    want opposite things for the same CTE, the model says so in one place.
-#}
{% macro cte_hint(hints_by_engine) -%}
    {{ hints_by_engine.get(target.type, '') }}
{%- endmacro %}
