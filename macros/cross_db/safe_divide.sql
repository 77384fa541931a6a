{#- numerator / denominator in double precision; NULL (never an error) when the denominator is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) %}
    {{- return(adapter.dispatch('safe_divide', 'capacity')(numerator, denominator)) -}}
{% endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ capacity.type_double() }})
    / nullif(cast({{ denominator }} as {{ capacity.type_double() }}), 0)
{%- endmacro %}

{#- A double-precision float: dbt.type_float() is single precision on some engines (DuckDB). -#}
{% macro type_double() %}
    {{- return(adapter.dispatch('type_double', 'capacity')()) -}}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{#- Spark has no DOUBLE PRECISION spelling. -#}
{% macro spark__type_double() %}double{% endmacro %}
