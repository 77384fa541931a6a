{#-
    The capacity window, computed once per run in Jinja so every model of a
    run agrees on it and each engine receives plain timestamp literals.
    Window: [as_of, as_of + capacity_window_days), half-open, in UTC.
-#}

{% macro capacity_as_of_datetime() %}
    {%- set raw = var('capacity_as_of', none) -%}
    {%- if raw is none or (raw is string and raw | trim == '') -%}
        {{ return(run_started_at.replace(tzinfo=none)) }}
    {%- endif -%}
    {%- set text = (raw | string) | trim -%}
    {%- set normalised = text[:-1] ~ '+00:00' if text[-1:] in ['Z', 'z'] else text -%}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})([T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})([.][0-9]{1,6})?)?([+-]([0-9]{2}):([0-9]{2}))?)?$', normalised) -%}
    {#- fromisoformat's own errors would surface as a bare "day is out of range": check first -#}
    {%- set valid = match is not none -%}
    {%- if valid -%}
        {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
        {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
        {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set valid = year >= 1 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]
            and (match.group(5) or '0') | int <= 23 and (match.group(6) or '0') | int <= 59
            and (match.group(8) or '0') | int <= 59 and (match.group(11) or '0') | int <= 23
            and (match.group(12) or '0') | int <= 59 -%}
    {%- endif -%}
    {%- if not valid -%}
        {{ exceptions.raise_compiler_error(
            "var capacity_as_of must be an ISO-8601 timestamp such as 2026-03-02T09:00:00Z, got '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(normalised) -%}
    {%- if parsed.tzinfo is not none -%}
        {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{ return(parsed) }}
{% endmacro %}

{% macro positive_int_var(name) %}
    {%- set raw = var(name) -%}
    {%- set text = raw | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', text) or (text | int) <= 0 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a positive whole number, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | int) }}
{% endmacro %}

{#- A var that must be a number at least `minimum` (a share, a percentage, a threshold). -#}
{% macro number_var(name, minimum=0) %}
    {%- set text = var(name) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+([.][0-9]+)?$', text) or (text | float) < minimum -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a number >= " ~ minimum ~ ", got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | float) }}
{% endmacro %}

{% macro capacity_window_days() %}
    {{ return(positive_int_var('capacity_window_days')) }}
{% endmacro %}

{% macro capacity_cache_max_age_minutes() %}
    {{ return(positive_int_var('capacity_cache_max_age_minutes')) }}
{% endmacro %}

{% macro timestamp_literal(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro capacity_window_start() -%}
    {{ timestamp_literal(capacity_as_of_datetime()) }}
{%- endmacro %}

{% macro capacity_window_end() -%}
    {%- set window_end = capacity_as_of_datetime() + modules.datetime.timedelta(days=capacity_window_days()) -%}
    {{ timestamp_literal(window_end) }}
{%- endmacro %}

{#- True when the timestamp expression falls in the half-open window [start, end). -#}
{% macro is_in_capacity_window(timestamp_expr) -%}
    {{ timestamp_expr }} >= {{ capacity_window_start() }}
    and {{ timestamp_expr }} < {{ capacity_window_end() }}
{%- endmacro %}

{#- The run's own start, when a row was recorded. -#}
{% macro run_started_at_literal() -%}
    {{ timestamp_literal(run_started_at.replace(tzinfo=none)) }}
{%- endmacro %}

{#- A cache fetched before this instant is stale. -#}
{% macro capacity_stale_before() -%}
    {%- set cutoff = capacity_as_of_datetime() - modules.datetime.timedelta(minutes=capacity_cache_max_age_minutes()) -%}
    {{ timestamp_literal(cutoff) }}
{%- endmacro %}
