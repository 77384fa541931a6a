{#-
    Calendar identifiers compare after normalisation (SPEC §2): trimmed, an
    empty string is missing; Calendly URIs also lose trailing slashes and have
    a lower-case scheme and host (the path keeps its case).
-#}

{% macro normalize_calendar_id(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{% macro normalize_calendar_uri(expr) %}
    {{- return(adapter.dispatch('normalize_calendar_uri', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__normalize_calendar_uri(expr) -%}
    {%- set trimmed = capacity.rtrim_chars(capacity.normalize_calendar_id(expr), '/') -%}
    {%- set authority_pattern = '^([A-Za-z][A-Za-z0-9+.-]*://[^/]*)' -%}
    {%- set path_pattern = '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*(/.*)$' -%}
    nullif(
        case
            when {{ capacity.regex_extract(trimmed, authority_pattern) }} is null then {{ trimmed }}
            else lower({{ capacity.regex_extract(trimmed, authority_pattern) }})
                || coalesce({{ capacity.regex_extract(trimmed, path_pattern) }}, '')
        end,
        ''
    )
{%- endmacro %}

{#- expr without the trailing run of the given characters. -#}
{% macro rtrim_chars(expr, characters) %}
    {{- return(adapter.dispatch('rtrim_chars', 'capacity')(expr, characters)) -}}
{% endmacro %}

{% macro default__rtrim_chars(expr, characters) -%}
    rtrim({{ expr }}, '{{ characters }}')
{%- endmacro %}

{#- Spark's two-argument rtrim takes the characters first: the standard form says what it means. -#}
{% macro spark__rtrim_chars(expr, characters) -%}
    trim(trailing '{{ characters }}' from {{ expr }})
{%- endmacro %}
