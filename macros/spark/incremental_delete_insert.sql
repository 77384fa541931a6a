{#-
    The delete+insert incremental strategy on Spark. dbt-spark 1.11 offers
    append, insert_overwrite, merge and microbatch only, and merge needs a
    Delta/Iceberg/Hudi table: plain parquet has no DELETE. delete+insert on a
    unique_key is built here from what parquet has: the target's rows whose
    key the new rows do not carry, plus the new rows, are written to a
    staging table, which then overwrites the target (Spark cannot overwrite a
    table from a query that reads it). The history is rewritten each run:
    fine for the planning history's size; a Delta table with merge would
    avoid it on a cluster. Every other strategy is dbt-spark's own.
-#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy == 'delete+insert' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy != 'delete+insert' -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {%- if not unique_key -%}
        {{ return(dbt.get_insert_into_sql(source, target)) }}
    {%- endif -%}
    {%- if incremental_predicates -%}
        {{ exceptions.raise_compiler_error("delete+insert with incremental_predicates is not supported on Spark") }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- set staging = target.incorporate(path={'identifier': target.identifier ~ '__dbt_delete_insert'}) -%}
    {% call statement('delete_insert_drop_stale_staging') -%}
        drop table if exists {{ staging }}
    {%- endcall %}
    {% call statement('delete_insert_stage') -%}
        create table {{ staging }}
        using {{ config.get('file_format', 'parquet') }}
        as
        select {{ columns }}
        from {{ target }} as dbt_kept
        where not exists (
            select 1
            from {{ source }} as dbt_new
            where
                {%- for key in keys %}
                dbt_new.{{ key }} = dbt_kept.{{ key }}{{ ' and' if not loop.last }}
                {%- endfor %}
        )
        union all
        select {{ columns }}
        from {{ source }}
    {%- endcall %}
    {% call statement('delete_insert_overwrite') -%}
        insert overwrite table {{ target }}
        select {{ columns }}
        from {{ staging }}
    {%- endcall %}
    {#- the materialization runs what this returns as its main statement -#}
    drop table if exists {{ staging }}
{% endmacro %}
