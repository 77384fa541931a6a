{#-
    Regular expressions, for the engines' different spellings. Patterns are
    written without backslashes ([0-9], [.]) so that no engine's string-literal
    escaping can change them.
-#}

{#- True when the whole of expr matches pattern (anchor the pattern). -#}
{% macro regex_matches(expr, pattern) %}
    {{- return(adapter.dispatch('regex_matches', 'capacity')(expr, pattern)) -}}
{% endmacro %}

{% macro default__regex_matches(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#- The first capture group of pattern in expr, NULL when it does not match. -#}
{% macro regex_extract(expr, pattern) %}
    {{- return(adapter.dispatch('regex_extract', 'capacity')(expr, pattern)) -}}
{% endmacro %}

{% macro default__regex_extract(expr, pattern) -%}
    regexp_extract({{ expr }}, '{{ pattern }}', 1)
{%- endmacro %}

{% macro postgres__regex_extract(expr, pattern) -%}
    substring({{ expr }} from '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_extract(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{#- Spark's regexp_extract gives '' rather than NULL when there is no match. -#}
{% macro spark__regex_extract(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern }}', 1), '')
{%- endmacro %}
