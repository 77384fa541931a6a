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


{#-
    The raw value as the engine's JSON type. DuckDB: NULL for text that is not
    JSON (a plain cast would fail the build); json_text_type tells the two apart.
-#}
{% macro cast_json(expr) %}
    {{- return(adapter.dispatch('cast_json', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__cast_json(expr) -%}
    cast({{ expr }} as {{ capacity.type_json() }})
{%- endmacro %}

{% macro duckdb__cast_json(expr) -%}
    try_cast({{ expr }} as json)
{%- endmacro %}

{#-
    The JSON type (as json_value_type) of a raw stored value, JSON or text:
    'invalid_json' for text that is not JSON, NULL for SQL NULL. PostgreSQL's
    jsonb cannot hold text that is not JSON; Spark's json_value_type already
    reads plain text.
-#}
{% macro json_text_type(expr) %}
    {{- return(adapter.dispatch('json_text_type', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__json_text_type(expr) -%}
    {{ capacity.json_value_type(capacity.cast_json(expr)) }}
{%- endmacro %}

{% macro duckdb__json_text_type(expr) -%}
    case
        when {{ expr }} is null then null
        else coalesce({{ capacity.json_value_type(capacity.cast_json(expr)) }}, 'invalid_json')
    end
{%- endmacro %}

{% macro spark__json_text_type(expr) -%}
    {{ capacity.json_value_type(expr) }}
{%- endmacro %}

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
    a JSON value's type. json_type() parses the whole value, where this reads
    one character of each (see docs/decisions.md, 'A JSON value's type from
    its first character on DuckDB').
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
    element_index (0-based) and element_text (a string element unquoted and
    unescaped, any other element as JSON text, JSON null as NULL). A value
    that is not an array yields no rows: callers report such values through
    json_value_type. The carried columns must not include json_column nor be
    named like the two element columns.

    No element type: reading it costs a second pass over every array on
    DuckDB (a list of types beside the list of texts, or each element written
    back as JSON text to read its first character: see docs/decisions.md,
    'Each element's text, not its JSON type'), and only a string can be a
    timestamp. A caller that reports other elements looks their type up with
    json_element_type_at, for those elements only.

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
        json_element.value #>> '{}' as element_text
    from {{ relation }} as element_source
    cross join lateral json_array_elements(
        case when json_typeof(element_source.{{ json_column }}) = 'array' then element_source.{{ json_column }} end
    ) with ordinality as json_element (value, ordinality)
{%- endmacro %}

{#-
    PostgreSQL: the elements as text (jsonb_array_elements_text makes no jsonb
    value per element; see docs/decisions.md, 'PostgreSQL: elements as text,
    entries not materialised').
-#}
{% macro postgres__json_array_element_rows(relation, json_column, carried_columns) -%}
    select
        {%- for column in carried_columns %}
        element_source.{{ column }},
        {%- endfor %}
        json_element.ordinality - 1 as element_index,
        json_element.value as element_text
    from {{ relation }} as element_source
    cross join lateral jsonb_array_elements_text(
        case when jsonb_typeof(element_source.{{ json_column }}) = 'array' then element_source.{{ json_column }} end
    ) with ordinality as json_element (value, ordinality)
{%- endmacro %}

{#-
    DuckDB: the elements' texts, one list computed from the whole array at
    once (json_extract_string; '$[*]' of anything but an array is an empty
    list, so no guard is needed), unnested in the select list with their
    positions. The source rows are streamed, not kept (kept, every slotsUtc
    is copied: past the memory limit at 100,000 workspaces); the staging view
    reads them in slices so that the list extraction uses every core (see
    docs/decisions.md, 'The caches read in slices on DuckDB'). Not a lateral
    join: DuckDB decorrelates a lateral subquery that reads FROM a relation
    (json_each) into a join on the whole JSON value (see docs/decisions.md,
    'No lateral subquery over a relation on DuckDB').
-#}
{% macro duckdb__json_array_element_rows(relation, json_column, carried_columns) -%}
    with element_source as not materialized (

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
            json_extract_string({{ json_column }}, '$[*]') as element_texts
        from element_source

    )

    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        unnest(range(len(element_texts))) as element_index,
        unnest(element_texts) as element_text
    from element_lists
{%- endmacro %}

{#-
    Spark (4.0+): no lateral join on a JSON function, so a LATERAL VIEW over
    the array parsed to VARIANT elements, each turned into the two columns by
    transform() (which also gives the 0-based index) and inline(). Not an
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
        json_element_row.element_text
    from {{ relation }} as element_source
    lateral view inline(
        transform(
            try_variant_get(try_parse_json(element_source.{{ json_column }}), '$', 'array<variant>'),
            (json_element, element_position) -> named_struct(
                'element_index', element_position,
                'element_text', case {{ element_schema }}
                    when 'STRING' then cast(json_element as string)
                    when 'VOID' then null
                    else to_json(json_element)
                end
            )
        )
    ) json_element_row
{%- endmacro %}

{#-
    The JSON type (as json_value_type) of the element at 0-based position
    index_expr of the JSON array json_expr; NULL past its end or when it is
    not an array. It reads the whole array again for each element: for the
    few elements a caller reports, not for every element of every array.
-#}
{% macro json_element_type_at(json_expr, index_expr) %}
    {{- return(adapter.dispatch('json_element_type_at', 'capacity')(json_expr, index_expr)) -}}
{% endmacro %}

{% macro default__json_element_type_at(json_expr, index_expr) -%}
    json_typeof({{ json_expr }} -> cast({{ index_expr }} as integer))
{%- endmacro %}

{% macro postgres__json_element_type_at(json_expr, index_expr) -%}
    jsonb_typeof({{ json_expr }} -> cast({{ index_expr }} as integer))
{%- endmacro %}

{#- DuckDB: the element's JSON text, which json_extract writes without leading whitespace, typed by its first character. -#}
{% macro duckdb__json_element_type_at(json_expr, index_expr) -%}
    {%- set element_json = "cast(json_extract(" ~ json_expr ~ ", '$[' || cast(" ~ index_expr ~ " as varchar) || ']') as varchar)" -%}
    case
        when {{ element_json }} is null then null
        else {{ capacity.duckdb_json_type_of_first_char('left(' ~ element_json ~ ', 1)') }}
    end
{%- endmacro %}

{% macro spark__json_element_type_at(json_expr, index_expr) -%}
    {{ capacity.spark_json_type_name(
        'schema_of_variant(try_element_at(try_variant_get(try_parse_json(' ~ json_expr ~ "), '$', 'array<variant>'), "
        ~ 'cast(' ~ index_expr ~ ' as int) + 1))'
    ) }}
{%- endmacro %}

{#-
    How many elements a JSON array holds (callers apply it to arrays only):
    the caches' staging model measures each slotsUtc array with it, so that a
    test can check a cache's entry count without unnesting the array.
-#}
{% macro json_array_length(json_expr) %}
    {{- return(adapter.dispatch('json_array_length', 'capacity')(json_expr)) -}}
{% endmacro %}

{% macro default__json_array_length(json_expr) -%}
    json_array_length({{ json_expr }})
{%- endmacro %}

{% macro postgres__json_array_length(json_expr) -%}
    jsonb_array_length({{ json_expr }})
{%- endmacro %}

{% macro spark__json_array_length(json_expr) -%}
    size(try_variant_get(try_parse_json({{ json_expr }}), '$', 'array<variant>'))
{%- endmacro %}
