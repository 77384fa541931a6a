{#- Calendar parts of a timestamp, for the day and weekday × hour planning models. -#}

{#- ISO day of the week: 1 = Monday … 7 = Sunday. -#}
{% macro iso_weekday(expr) %}
    {{- return(adapter.dispatch('iso_weekday', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__iso_weekday(expr) -%}
    cast(extract(isodow from {{ expr }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__iso_weekday(expr) -%}
    (weekday({{ expr }}) + 1)
{%- endmacro %}

{#- Hour of the day, 0-23. -#}
{% macro hour_of_day(expr) %}
    {{- return(adapter.dispatch('hour_of_day', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__hour_of_day(expr) -%}
    cast(extract(hour from {{ expr }}) as {{ dbt.type_int() }})
{%- endmacro %}
