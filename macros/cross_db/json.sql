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

{#- Spark has no JSON column type: the text stays a string, parsed where it is read. -#}
{% macro spark__type_json() %}string{% endmacro %}


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

{#-
    DuckDB: from the first character that is not JSON whitespace, which decides
    a JSON value's type. json_type() parses the whole value: 1.5 s for 10,000
    workspaces' caches, where this reads one character of each.
-#}
{% macro duckdb__json_value_type(json_expr) -%}
    case
        when {{ json_expr }} is null then null
        else case left(ltrim(cast({{ json_expr }} as varchar), ' ' || chr(9) || chr(10) || chr(13)), 1)
            when '[' then 'array'
            when '{' then 'object'
            when '"' then 'string'
            when 't' then 'boolean'
            when 'f' then 'boolean'
            when 'n' then 'null'
            else 'number'
        end
    end
{%- endmacro %}

{#-
    Spark (4.0+): the JSON text parsed to a VARIANT, whose type names the JSON
    type. A string that is not JSON at all (Spark keeps JSON as plain text, so
    nothing refused it on the way in) is 'invalid_json', not NULL, so that
    callers report it rather than lose it.
-#}
{% macro spark__json_value_type(json_expr) -%}
    case
        when {{ json_expr }} is null then null
        when try_parse_json({{ json_expr }}) is null then 'invalid_json'
        else {{ capacity.spark_json_type_name('schema_of_variant(try_parse_json(' ~ json_expr ~ '))') }}
    end
{%- endmacro %}

{#- JSON type name of a Spark schema_of_variant() result (VOID is JSON null). -#}
{% macro spark_json_type_name(variant_schema_expr) -%}
    case
        when {{ variant_schema_expr }} like 'ARRAY<%' then 'array'
        when {{ variant_schema_expr }} like 'OBJECT<%' then 'object'
        when {{ variant_schema_expr }} = 'STRING' then 'string'
        when {{ variant_schema_expr }} = 'BOOLEAN' then 'boolean'
        when {{ variant_schema_expr }} = 'VOID' then 'null'
        when {{ variant_schema_expr }} in ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') then 'number'
        when {{ variant_schema_expr }} like 'DECIMAL(%' then 'number'
        else lower({{ variant_schema_expr }})
    end
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

{#-
    PostgreSQL: the elements as text (jsonb_array_elements_text makes no jsonb
    value per element: 0.2 µs an element instead of 0.7). The type is looked
    up by position, which re-reads the whole array: callers should need it
    only for the few elements they report (an unused column of this lateral
    is never computed).
-#}
{% macro postgres__unnest_json_array(json_expr, alias) -%}
    cross join lateral (
        select
            json_element.ordinality - 1 as element_index,
            jsonb_typeof(({{ json_expr }}) -> cast(json_element.ordinality - 1 as integer)) as element_type,
            json_element.value as element_text
        from jsonb_array_elements_text(
            case when jsonb_typeof({{ json_expr }}) = 'array' then {{ json_expr }} end
        ) with ordinality as json_element (value, ordinality)
    ) as {{ alias }}
{%- endmacro %}

{#-
    DuckDB: two lists computed from the whole array at once, the elements'
    texts (json_extract_string) and JSON types (json_type), unnested in step
    in lateral subqueries without a FROM clause, which DuckDB plans as a plain
    UNNEST. Per-element functions on a json[] cast cost twice as much, and a
    lateral subquery that selects FROM json_each(...) is decorrelated into a
    join on the whole JSON value: about 100 s per 2 million elements
    (measured, DuckDB 2.0). The same happens to any lateral over a relation
    DuckDB materialises (a CTE, or a subplan it finds twice in the query):
    callers unnest straight from a table or view, once per query.
-#}
{% macro duckdb__unnest_json_array(json_expr, alias) -%}
    {#- The lists once per array (a list used twice in one select is computed twice);
        '$[*]' of anything but an array is an empty list, so no guard is needed. -#}
    cross join lateral (
        select
            json_extract_string({{ json_expr }}, '$[*]') as element_texts,
            json_type({{ json_expr }}, '$[*]') as element_duckdb_types
    ) as {{ alias }}_lists
    cross join lateral (
        select
            generate_subscripts({{ alias }}_lists.element_texts, 1) - 1 as element_index,
            unnest({{ alias }}_lists.element_duckdb_types) as element_duckdb_type,
            unnest({{ alias }}_lists.element_texts) as element_text
    ) as {{ alias }}_element
    cross join lateral (
        select
            {{ alias }}_element.element_index,
            {{ capacity.duckdb_json_type_name(alias ~ '_element.element_duckdb_type') }} as element_type,
            {{ alias }}_element.element_text
    ) as {{ alias }}
{%- endmacro %}

{#-
    Spark (4.0+): no lateral join on a JSON function, so a LATERAL VIEW over
    the array parsed to VARIANT elements, each turned into the three columns
    by transform() (which also gives the 0-based index) and inline(). Not an
    array (object, scalar, JSON null, not JSON): try_variant_get gives NULL,
    and a LATERAL VIEW without OUTER yields no row for it, nor for [].
-#}
{% macro spark__unnest_json_array(json_expr, alias) -%}
    {%- set element_schema = 'schema_of_variant(json_element)' -%}
    lateral view inline(
        transform(
            try_variant_get(try_parse_json({{ json_expr }}), '$', 'array<variant>'),
            (json_element, element_position) -> named_struct(
                'element_index', element_position,
                'element_type', {{ capacity.spark_json_type_name(element_schema) }},
                'element_text', case {{ element_schema }}
                    when 'STRING' then cast(json_element as string)
                    when 'VOID' then null
                    else to_json(json_element)
                end
            )
        )
    ) {{ alias }}
{%- endmacro %}
