{#-
    Time-zone-aware timestamps for the marts, where BI tools read them.

    Staging and intermediate keep naive timestamps holding UTC (the app's
    Prisma timestamp(3) columns, and the window literals). The marts emit
    each timestamp as the engine's time-zone-aware type holding the same
    instant, so a client whose session is in another time zone (a BI tool
    connected in America/New_York) reads the right instant, displayed in its
    own zone, instead of 09:00 UTC taken for 09:00 local:

        PostgreSQL  timestamptz (timestamp with time zone)
        DuckDB      TIMESTAMP WITH TIME ZONE
        Spark       timestamp: already an instant (TIMESTAMP_LTZ), which the
                    profile's spark.sql.session.timeZone = UTC reads and
                    writes as UTC; nothing to convert.

    The conversions never depend on the session's time zone: a naive value
    is declared UTC explicitly, and an aware one is read back in UTC. Casting
    between the two kinds does depend on it on PostgreSQL and DuckDB, so a
    mart that needs a UTC calendar day or hour of an aware column converts it
    back with timestamp_tz_to_utc first.
-#}

{#- The contract data_type of an aware timestamp column (YAML spells it `timestamp with time zone`). -#}
{% macro type_timestamp_tz() %}
    {{- return(adapter.dispatch('type_timestamp_tz', 'capacity')()) -}}
{% endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro spark__type_timestamp_tz() -%}
    timestamp
{%- endmacro %}

{#- A naive timestamp holding UTC, as the aware type holding the same instant. -#}
{% macro utc_to_timestamp_tz(expr) %}
    {{- return(adapter.dispatch('utc_to_timestamp_tz', 'capacity')(expr)) -}}
{% endmacro %}

{#- Standard SQL has no session-independent spelling: correct where the session time zone is UTC. -#}
{% macro default__utc_to_timestamp_tz(expr) -%}
    cast({{ expr }} as {{ capacity.type_timestamp_tz() }})
{%- endmacro %}

{% macro postgres__utc_to_timestamp_tz(expr) -%}
    ({{ expr }} at time zone 'UTC')
{%- endmacro %}

{#- ICU's timezone(zone, timestamp): the wall-clock value read in that zone (ICU is built into DuckDB). -#}
{% macro duckdb__utc_to_timestamp_tz(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{% macro spark__utc_to_timestamp_tz(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{#- An aware timestamp, as the naive UTC wall-clock value (for UTC days, weekdays and hours). -#}
{% macro timestamp_tz_to_utc(expr) %}
    {{- return(adapter.dispatch('timestamp_tz_to_utc', 'capacity')(expr)) -}}
{% endmacro %}

{% macro default__timestamp_tz_to_utc(expr) -%}
    cast({{ expr }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro postgres__timestamp_tz_to_utc(expr) -%}
    ({{ expr }} at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__timestamp_tz_to_utc(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{#- Spark's timestamp is read in the session time zone, UTC: its day and hour are UTC's. -#}
{% macro spark__timestamp_tz_to_utc(expr) -%}
    {{ expr }}
{%- endmacro %}
