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
        else {{ capacity.duckdb_json_type_of_first_char(
            "left(ltrim(cast(" ~ json_expr ~ " as varchar), ' ' || chr(9) || chr(10) || chr(13)), 1)"
        ) }}
    end
{%- endmacro %}

{#- The JSON type that a value's first character gives, on DuckDB (callers trim any leading whitespace). -#}
{% macro duckdb_json_type_of_first_char(char_expr) -%}
    case {{ char_expr }}
        when '[' then 'array'
        when '{' then 'object'
        when '"' then 'string'
        when 't' then 'boolean'
        when 'f' then 'boolean'
        when 'n' then 'null'
        else 'number'
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

{#-
    One row per element of the JSON array in column json_column of relation
    (a relation or CTE name), as a complete SELECT: the carried_columns, then
    element_index (0-based), element_type (as json_value_type) and
    element_raw. element_raw differs by engine (DuckDB: the element's JSON
    text, 'null' for JSON null; PostgreSQL and Spark: its text, NULL for JSON
    null): compare it only for equality, and get the element's text with
    json_element_text(element_raw) (a string element unquoted, any other
    element as JSON text, JSON null as NULL). Turning it into text is work
    per value on DuckDB, so a caller that dedups element_raw first pays it
    once per distinct value (slot strings: thousands of distinct values among
    millions of elements). A value that is not an array yields no rows:
    callers report such values through json_value_type. The carried columns
    must not include json_column nor be named like the three element columns.

    A whole SELECT rather than a join clause, because the fastest form differs
    in shape: a lateral join on PostgreSQL, a select-list UNNEST on DuckDB, a
    LATERAL VIEW on Spark.
-#}
{% macro json_array_element_rows(relation, json_column, carried_columns) %}
    {{- return(adapter.dispatch('json_array_element_rows', 'capacity')(relation, json_column, carried_columns)) -}}
{% endmacro %}

{% macro default__json_array_element_rows(relation, json_column, carried_columns) -%}
    select
        {%- for column in carried_columns %}
        element_source.{{ column }},
        {%- endfor %}
        json_element.ordinality - 1 as element_index,
        json_typeof(json_element.value) as element_type,
        json_element.value #>> '{}' as element_raw
    from {{ relation }} as element_source
    cross join lateral json_array_elements(
        case when json_typeof(element_source.{{ json_column }}) = 'array' then element_source.{{ json_column }} end
    ) with ordinality as json_element (value, ordinality)
{%- endmacro %}

{#-
    PostgreSQL: the elements as text (jsonb_array_elements_text makes no jsonb
    value per element: 0.2 µs an element instead of 0.7). The type is looked
    up by position, which re-reads the whole array: callers should need it
    only for the few elements they report (an unused output column of a
    subquery or CTE that PostgreSQL inlines is never computed).
-#}
{% macro postgres__json_array_element_rows(relation, json_column, carried_columns) -%}
    select
        {%- for column in carried_columns %}
        element_source.{{ column }},
        {%- endfor %}
        json_element.ordinality - 1 as element_index,
        jsonb_typeof(element_source.{{ json_column }} -> cast(json_element.ordinality - 1 as integer))
            as element_type,
        json_element.value as element_raw
    from {{ relation }} as element_source
    cross join lateral jsonb_array_elements_text(
        case when jsonb_typeof(element_source.{{ json_column }}) = 'array' then element_source.{{ json_column }} end
    ) with ordinality as json_element (value, ordinality)
{%- endmacro %}

{#-
    DuckDB: the elements' JSON texts, one list computed from the whole array
    at once (json_extract; '$[*]' of anything but an array is an empty list,
    so no guard is needed), unnested in the select list with their positions.
    A JSON text holds both the type (its first character, read without
    json_value_type's trim: json_extract writes no whitespace, and the trim
    costs 5 s per 19 million elements) and the text (json_element_text), so
    one JSON pass over each array gives both (BENCHMARKS.md, third round).
    The source rows are materialised first: a scan of the table runs in
    parallel by row group (a few, for thousands of large arrays), a scan of
    the materialised rows by chunk, so the costly list extraction uses every
    core (10,000 workspaces: 4 s instead of 5 for the capacity counts on 2
    cores). Not a lateral join: DuckDB decorrelates a lateral subquery that
    reads FROM a relation (json_each) into a join on the whole JSON value
    (100 s per 2 million elements, measured on DuckDB 2.0).
-#}
{% macro duckdb__json_array_element_rows(relation, json_column, carried_columns) -%}
    with element_source as materialized (

        select
            {%- for column in carried_columns %}
            {{ column }},
            {%- endfor %}
            {{ json_column }}
        from {{ relation }}

    ),

    element_lists as (

        select
            {%- for column in carried_columns %}
            {{ column }},
            {%- endfor %}
            cast(json_extract({{ json_column }}, '$[*]') as varchar[]) as element_jsons
        from element_source

    ),

    elements as (

        select
            {%- for column in carried_columns %}
            {{ column }},
            {%- endfor %}
            unnest(range(len(element_jsons))) as element_index,
            unnest(element_jsons) as element_raw
        from element_lists

    )

    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        element_index,
        {{ capacity.duckdb_json_type_of_first_char('left(element_raw, 1)') }} as element_type,
        element_raw
    from elements
{%- endmacro %}

{#-
    Spark (4.0+): no lateral join on a JSON function, so a LATERAL VIEW over
    the array parsed to VARIANT elements, each turned into the three columns
    by transform() (which also gives the 0-based index) and inline(). Not an
    array (object, scalar, JSON null, not JSON): try_variant_get gives NULL,
    and a LATERAL VIEW without OUTER yields no row for it, nor for [].
-#}
{% macro spark__json_array_element_rows(relation, json_column, carried_columns) -%}
    {%- set element_schema = 'schema_of_variant(json_element)' -%}
    select
        {%- for column in carried_columns %}
        element_source.{{ column }},
        {%- endfor %}
        json_element_row.element_index,
        json_element_row.element_type,
        json_element_row.element_raw
    from {{ relation }} as element_source
    lateral view inline(
        transform(
            try_variant_get(try_parse_json(element_source.{{ json_column }}), '$', 'array<variant>'),
            (json_element, element_position) -> named_struct(
                'element_index', element_position,
                'element_type', {{ capacity.spark_json_type_name(element_schema) }},
                'element_raw', case {{ element_schema }}
                    when 'STRING' then cast(json_element as string)
                    when 'VOID' then null
                    else to_json(json_element)
                end
            )
        )
    ) json_element_row
{%- endmacro %}

{#- The text of an element_raw of json_array_element_rows. -#}
{% macro json_element_text(element_raw) %}
    {{- return(adapter.dispatch('json_element_text', 'capacity')(element_raw)) -}}
{% endmacro %}

{#- PostgreSQL, Spark: element_raw is the text already. -#}
{% macro default__json_element_text(element_raw) -%}
    {{ element_raw }}
{%- endmacro %}

{#- DuckDB: element_raw is the element's JSON text ('null' for JSON null, which gives NULL). -#}
{% macro duckdb__json_element_text(element_raw) -%}
    json_extract_string({{ element_raw }}, '$')
{%- endmacro %}
