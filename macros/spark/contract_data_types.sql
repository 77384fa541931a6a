{#-
    Model contracts (data_type in the models' YAML) are written in the
    PostgreSQL/DuckDB spelling. Spark names three of those types differently:
    it checks a contract against the same columns with Spark's names, so the
    contract means the same thing on every engine. `timestamp with time zone`
    is Spark's `timestamp`, an instant read in the session time zone (UTC, see
    macros/cross_db/timestamp_tz.sql).
-#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set spark_names = {
        'text': 'string',
        'double precision': 'double',
        'timestamp with time zone': capacity.type_timestamp_tz() | trim,
    } -%}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name] -%}
        {%- set data_type = column.get('data_type') -%}
        {%- if data_type is string and data_type.strip().lower() in spark_names -%}
            {%- set column = dict(column, data_type=spark_names[data_type.strip().lower()]) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(spark_columns)) }}
{% endmacro %}
