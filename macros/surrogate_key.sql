{#-
    A single-column key from the columns of a model's grain: their text
    joined by '|' (e.g. 'ws_acme|DEFAULT'), the same on every engine. The
    columns must be NOT NULL and must not hold timestamps (their text differs
    between engines): ids, sources, dates and integers.
-#}
{% macro surrogate_key(columns) -%}
    {%- for column in columns -%}
        cast({{ column }} as {{ dbt.type_string() }}){% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%}
{%- endmacro %}
