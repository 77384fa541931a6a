{#-
    Planner statistics for a table just built, where the engine needs telling.
    PostgreSQL gathers them when autovacuum next passes, a minute or more
    later: the data tests that read the table straight after its build (a
    GROUP BY over millions of keys) are planned for a couple of hundred
    groups, in memory, and spill (see docs/decisions.md, 'Slot facts as
    tables, read once per build'). DuckDB keeps its statistics as it writes;
    Spark's local-mode tables stay at demo scale. A post-hook: nothing is run
    where the macro renders nothing.
-#}
{% macro refresh_planner_statistics() %}
    {{- return(adapter.dispatch('refresh_planner_statistics', 'capacity')()) -}}
{% endmacro %}

{% macro default__refresh_planner_statistics() -%}
{%- endmacro %}

{% macro postgres__refresh_planner_statistics() -%}
    analyze {{ this }}
{%- endmacro %}
