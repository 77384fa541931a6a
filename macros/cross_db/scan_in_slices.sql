{#-
    Every row of relation, as a complete SELECT *, written so that the engine
    reads it on every core.

    DuckDB scans a table in parallel by row group (up to 122,880 rows), and
    everything a query does with the rows it reads (the JSON extraction, the
    unnest, a hash join's probe, an aggregate's input) runs in the scan's
    pipeline. The caches are few rows of large values (19,000 rows, 527 MB of
    slotsUtc at 10,000 workspaces: one large row group and two small ones), so
    that work ran on one core. Here the table is read in slices of its row ids,
    one per DuckDB thread, glued with UNION ALL: DuckDB runs each slice's
    pipeline on a core of its own, and a range of row ids reads only its own
    rows (see docs/decisions.md, 'The caches read in slices on DuckDB').

    The first slice is open below and the last open above, so every row is in
    exactly one slice whatever the row ids are (a deleted row leaves a gap;
    rows appended past the row count all fall in the last slice, which then
    does more than its share); the bounds only balance the slices. Sliced
    only when relation is a whole table of a DuckDB database (its own or an
    attached DuckDB file) whose row ids are DuckDB's (no column named rowid),
    with at least a vector of rows per slice. Otherwise a plain SELECT: a
    view or an attached database of another engine has no row ids, and
    neither has the CTE a unit test puts in the table's place or the
    subquery dbt makes of it under --empty or --sample. Other engines split a
    scan themselves (PostgreSQL by block, Spark by file split).
-#}
{% macro scan_in_slices(relation) %}
    {{- return(adapter.dispatch('scan_in_slices', 'capacity')(relation)) -}}
{% endmacro %}

{% macro default__scan_in_slices(relation) -%}
    select * from {{ relation }}
{%- endmacro %}

{% macro duckdb__scan_in_slices(relation) -%}
    {%- set slice_count = capacity.duckdb_scan_slice_count(relation) -%}
    {%- if slice_count < 2 -%}
    select * from {{ relation }}
    {%- else -%}
    {%- set row_count = '(select count(*) from ' ~ relation ~ ')' -%}
    {%- for slice in range(slice_count) %}
    {%- set bounds = [] -%}
    {%- if not loop.first -%}
        {%- do bounds.append('rowid >= ' ~ slice ~ ' * ' ~ row_count ~ ' // ' ~ slice_count) -%}
    {%- endif -%}
    {%- if not loop.last -%}
        {%- do bounds.append('rowid < ' ~ (slice + 1) ~ ' * ' ~ row_count ~ ' // ' ~ slice_count) -%}
    {%- endif %}
    select * from {{ relation }} where {{ bounds | join(' and ') }}
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    How many slices duckdb__scan_in_slices reads relation in: the var
    capacity_duckdb_scan_slices when set, else DuckDB's thread count, at most
    one per vector (2,048 rows) of the table's estimated size (deleted rows
    count until DuckDB reclaims them); 1 when relation cannot be sliced (see
    above) or while dbt parses (no queries then). Names are compared without
    case, as DuckDB resolves them.
-#}
{% macro duckdb_scan_slice_count(relation) -%}
    {%- if not execute or relation.type == 'cte' or relation.limit is not none
        or relation.event_time_filter is not none or relation.identifier is none -%}
        {{- return(1) -}}
    {%- endif -%}
    {%- set requested = var('capacity_duckdb_scan_slices') -%}
    {%- set query -%}
        select {% if requested is none -%}
            least(cast(current_setting('threads') as bigint), tables.estimated_size // 2048)
        {%- else -%}
            {{ requested | int }}
        {%- endif %}
        from duckdb_tables() as tables
        inner join duckdb_databases() as databases
            on tables.database_name = databases.database_name
        where
            databases.type = 'duckdb'
            and lower(tables.database_name) = lower({{ capacity.sql_string(relation.database) }})
            and lower(tables.schema_name) = lower({{ capacity.sql_string(relation.schema) }})
            and lower(tables.table_name) = lower({{ capacity.sql_string(relation.identifier) }})
            -- a column of that name hides DuckDB's row id
            and not exists (
                select 1
                from duckdb_columns() as columns
                where
                    columns.database_name = tables.database_name
                    and columns.schema_name = tables.schema_name
                    and columns.table_name = tables.table_name
                    and lower(columns.column_name) = 'rowid'
            )
    {%- endset -%}
    {%- set counts = run_query(query).columns[0].values() -%}
    {{- return(counts[0] | int if counts | length == 1 else 1) -}}
{%- endmacro %}

{#- A string as a SQL literal, its quotes doubled. -#}
{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
