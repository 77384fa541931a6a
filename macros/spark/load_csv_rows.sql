{#-
    Seeds on Spark. dbt-spark 1.11's own loader binds every CSV value as a
    quoted literal in `session` mode, so an empty cell (NULL) is loaded as the
    string 'None'; and dbt's CSV reader has already turned the text null (the
    demo's JSON null slotsUtc) and blank cells into NULL. Spark reads the seed
    file itself instead, with DuckDB's COPY semantics: an empty cell is NULL,
    every other value is kept as written, spaces included; the columns are
    cast to the seed's column_types.

    Spark's executors must be able to read this checkout's files: true of the
    local session (local[*]) and of a Thrift server on this machine. The demo
    seeds are not meant for a cluster, where var app_schema names the app's
    own tables (docs/scaling-out.md).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {%- set csv_path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set csv_view = adapter.quote(this.identifier ~ '__dbt_seed_csv') -%}
    {%- set delimiter = model['config'].get('delimiter', ',') -%}
    {% call statement('seed_csv_view') -%}
        create or replace temporary view {{ csv_view }}
        using csv
        options (
            path '{{ csv_path | replace("\\", "\\\\") | replace("'", "\\'") }}',
            header 'true',
            sep '{{ delimiter }}',
            quote '"',
            escape '"',
            multiLine 'true',
            mode 'FAILFAST',
            inferSchema 'false'
        )
    {%- endcall %}
    {%- set sql -%}
        insert into {{ this.render() }}
        select
            {%- for col_name in agate_table.column_names %}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) %}
            cast({{ adapter.quote(col_name | string) }} as {{ column_override.get(col_name, inferred_type) }})
                as {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }}
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ csv_view }}
    {%- endset -%}
    {% do adapter.add_query(sql, abridge_sql_log=True) %}
    {% call statement('drop_seed_csv_view') -%}
        drop view if exists {{ csv_view }}
    {%- endcall %}
    {{ return(sql) }}
{% endmacro %}
