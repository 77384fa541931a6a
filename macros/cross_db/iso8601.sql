{#-
    Parse an ISO-8601 / RFC 3339 timestamp string with an offset into a UTC
    timestamp (without time zone). Anything else gives NULL, never an error:
    a wrong shape, an impossible date or time (2026-02-30, 25:00) or an offset
    beyond ±14:00 (±14:01 is rejected). Accepted:
    YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]] followed by Z or ±HH[[:]MM]. A string without an offset is rejected: in a column of
    UTC slots its meaning would be a guess. Sub-second digits are dropped
    (slots start on whole seconds; Prisma stores milliseconds).

    Built from substrings, arithmetic and dbt.dateadd rather than the engines'
    own casts, which disagree: DuckDB's cast to timestamp ignores the offset,
    PostgreSQL's fails on garbage and reads offset-less strings in the
    session's time zone.
-#}
{% macro parse_iso8601_utc(expr) %}
    {{- return(adapter.dispatch('parse_iso8601_utc', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__parse_iso8601_utc(expr) -%}
    {%- set shape = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' -%}
    {%- set int_type = dbt.type_int() -%}
    {%- set n = dbt.length(expr) -%}
    {%- set year = 'cast(substring(' ~ expr ~ ', 1, 4) as ' ~ int_type ~ ')' -%}
    {%- set month = 'cast(substring(' ~ expr ~ ', 6, 2) as ' ~ int_type ~ ')' -%}
    {%- set day = 'cast(substring(' ~ expr ~ ', 9, 2) as ' ~ int_type ~ ')' -%}
    {%- set hour = 'cast(substring(' ~ expr ~ ', 12, 2) as ' ~ int_type ~ ')' -%}
    {%- set minute = 'cast(substring(' ~ expr ~ ', 15, 2) as ' ~ int_type ~ ')' -%}
    {%- set has_seconds = "substring(" ~ expr ~ ", 17, 1) = ':'" -%}
    {%- set second = 'case when ' ~ has_seconds ~ ' then cast(substring(' ~ expr ~ ', 18, 2) as ' ~ int_type ~ ') else 0 end' -%}
    {%- set is_utc = "substring(" ~ expr ~ ", " ~ n ~ ", 1) in ('Z', 'z')" -%}
    {#- the offset is +HH:MM, +HHMM or +HH: where its sign stands tells which -#}
    {%- set sign_position -%}
        case
            when substring({{ expr }}, {{ n }} - 2, 1) = ':' then {{ n }} - 5
            when substring({{ expr }}, {{ n }} - 4, 1) in ('+', '-') then {{ n }} - 4
            else {{ n }} - 2
        end
    {%- endset -%}
    {%- set offset_hours = 'cast(substring(' ~ expr ~ ', ' ~ sign_position ~ ' + 1, 2) as ' ~ int_type ~ ')' -%}
    {%- set offset_minutes = 'case when ' ~ sign_position ~ ' = ' ~ n ~ ' - 2 then 0 else cast(substring(' ~ expr ~ ', ' ~ n ~ ' - 1, 2) as ' ~ int_type ~ ') end' -%}
    {%- set offset_sign = "case when substring(" ~ expr ~ ", " ~ sign_position ~ ", 1) = '-' then -1 else 1 end" -%}
    {%- set days_in_month -%}
        case
            when {{ month }} = 2 and ({{ year }} % 4 = 0 and ({{ year }} % 100 != 0 or {{ year }} % 400 = 0)) then 29
            when {{ month }} = 2 then 28
            when {{ month }} in (4, 6, 9, 11) then 30
            else 31
        end
    {%- endset -%}
    {%- set local_timestamp -%}
        cast(
            substring({{ expr }}, 1, 10) || ' ' || substring({{ expr }}, 12, 5) || ':'
            || case when {{ has_seconds }} then substring({{ expr }}, 18, 2) else '00' end
            as {{ dbt.type_timestamp() }}
        )
    {%- endset -%}
    {%- set utc_offset_minutes -%}
        case when {{ is_utc }} then 0 else {{ offset_sign }} * ({{ offset_hours }} * 60 + {{ offset_minutes }}) end
    {%- endset -%}
    {#- nested: engines do not promise to evaluate an AND's operands in order -#}
    case
        when {{ capacity.regex_matches(expr, shape) }} then
            case
                when {{ year }} >= 1
                    and {{ month }} between 1 and 12
                    and {{ day }} between 1 and {{ days_in_month }}
                    and {{ hour }} <= 23
                    and {{ minute }} <= 59
                    and {{ second }} <= 59
                    and (case when {{ is_utc }} then 1 when {{ offset_minutes }} > 59 then 0 when {{ offset_hours }} < 14 then 1 when {{ offset_hours }} = 14 and {{ offset_minutes }} = 0 then 1 else 0 end) = 1
                    then {{ dbt.dateadd('minute', '-1 * (' ~ utc_offset_minutes ~ ')', local_timestamp) }}
            end
    end
{%- endmacro %}
