{#-
    JSON helpers. Engines name JSON types differently; these macros speak the
    JSON spec's names: array, object, string, number, boolean, null.
-#}

{#- The engine's JSON column type (staging casts the raw column to it). -#}
{% macro type_json() %}
    {{- return(adapter.dispatch('type_json', 'capacity')()) -}}
{% endmacro %}

{% macro default__type_json() %}json{% endmacro %}

{% macro postgres__type_json() %}jsonb{% endmacro %}


{#- The JSON type of a value, lower-case; SQL NULL stays NULL. -#}
{% macro json_value_type(json_expr) %}
    {{- return(adapter.dispatch('json_value_type', 'capacity')(json_expr)) -}}
{% endmacro %}

{% macro default__json_value_type(json_expr) -%}
    json_typeof({{ json_expr }})
{%- endmacro %}

{% macro postgres__json_value_type(json_expr) -%}
    jsonb_typeof({{ json_expr }})
{%- endmacro %}

{% macro duckdb__json_value_type(json_expr) -%}
    {{ capacity.duckdb_json_type_name('json_type(' ~ json_expr ~ ')') }}
{%- endmacro %}

{% macro duckdb_json_type_name(duckdb_type_expr) -%}
    case {{ duckdb_type_expr }}
        when 'ARRAY' then 'array'
        when 'OBJECT' then 'object'
        when 'VARCHAR' then 'string'
        when 'BOOLEAN' then 'boolean'
        when 'NULL' then 'null'
        when 'BIGINT' then 'number'
        when 'UBIGINT' then 'number'
        when 'HUGEINT' then 'number'
        when 'DOUBLE' then 'number'
        else lower({{ duckdb_type_expr }})
    end
{%- endmacro %}


{#-
    A join clause that unnests a JSON array into one row per element, exposing
    <alias>.element_index (0-based), <alias>.element_type (as json_value_type)
    and <alias>.element_text (a string element unquoted, any other element as
    JSON text, JSON null as NULL). A value that is not an array yields no rows:
    callers report such values through json_value_type.
-#}
{% macro unnest_json_array(json_expr, alias) %}
    {{- return(adapter.dispatch('unnest_json_array', 'capacity')(json_expr, alias)) -}}
{% endmacro %}

{% macro default__unnest_json_array(json_expr, alias) -%}
    cross join lateral (
        select
            json_element.ordinality - 1 as element_index,
            json_typeof(json_element.value) as element_type,
            json_element.value #>> '{}' as element_text
        from json_array_elements(
            case when json_typeof({{ json_expr }}) = 'array' then {{ json_expr }} end
        ) with ordinality as json_element (value, ordinality)
    ) as {{ alias }}
{%- endmacro %}

{% macro postgres__unnest_json_array(json_expr, alias) -%}
    cross join lateral (
        select
            json_element.ordinality - 1 as element_index,
            jsonb_typeof(json_element.value) as element_type,
            json_element.value #>> '{}' as element_text
        from jsonb_array_elements(
            case when jsonb_typeof({{ json_expr }}) = 'array' then {{ json_expr }} end
        ) with ordinality as json_element (value, ordinality)
    ) as {{ alias }}
{%- endmacro %}

{% macro duckdb__unnest_json_array(json_expr, alias) -%}
    cross join lateral (
        select
            cast(json_element.key as integer) as element_index,
            {{ capacity.duckdb_json_type_name('json_element.type') }} as element_type,
            json_element.value ->> '$' as element_text
        from json_each(
            case when json_type({{ json_expr }}) = 'ARRAY' then {{ json_expr }} end
        ) as json_element
    ) as {{ alias }}
{%- endmacro %}
