{#-
    The number of distinct non-NULL values of expr in each group, as an
    aggregate: count(distinct expr) wherever the engine does it well.
-#}
{% macro count_distinct(expr) %}
    {{- return(adapter.dispatch('count_distinct', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__count_distinct(expr) -%}
    count(distinct {{ expr }})
{%- endmacro %}

{#-
    DuckDB: a list per group of the non-NULL values, deduplicated in memory.
    count(distinct) and a GROUP BY on (group, value) both build one hash
    table over every pair; the lists are small (one cache's slots) and
    cheaper: see docs/decisions.md, 'Distinct counts as lists on DuckDB'.
-#}
{% macro duckdb__count_distinct(expr) -%}
    cast(coalesce(list_unique(list({{ expr }}) filter (where {{ expr }} is not null)), 0) as bigint)
{%- endmacro %}
