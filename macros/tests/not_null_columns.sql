{#-
    Fails on each row where any of the columns is NULL: every column in one
    scan, one test node instead of one per column. On a view each test
    evaluates the view again, so a not_null test per column of a slot view
    paid a pass over every cached entry each (see docs/decisions.md, 'One
    not-null test per model').

    Without column_names: the columns the model's contract constrains NOT
    NULL, read from dbt's graph. PostgreSQL and DuckDB refuse such a NULL when
    they build the table; on Spark (parquet) the constraints are declared, not
    enforced, and this test is the check. That lookup needs the model itself:
    with a `where` config (the model is then a subquery) pass column_names.

    Column names are quoted (adapter.quote), as a contract's DDL quotes them:
    name them as they are spelt in the table, not as expressions.
-#}
{% test not_null_columns(model, column_names=none) %}
    {%- set checked = column_names if column_names is not none else [] -%}
    {%- if execute and column_names is none -%}
        {%- if model is string -%}
            {{ exceptions.raise_compiler_error(
                "not_null_columns: pass column_names when the test has a `where` config (" ~ model ~ ")"
            ) }}
        {%- endif -%}
        {%- set tested = graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('schema', 'equalto', model.schema)
            | selectattr('alias', 'equalto', model.identifier)
            | list -%}
        {%- if tested | length != 1 -%}
            {{ exceptions.raise_compiler_error(
                "not_null_columns: " ~ tested | length ~ " models are " ~ model
                ~ " in dbt's graph, not one: pass column_names"
            ) }}
        {%- endif -%}
        {%- for column in tested[0].columns.values() -%}
            {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
                {%- do checked.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if execute and not checked -%}
        {{ exceptions.raise_compiler_error(
            "not_null_columns on " ~ model ~ ": no column_names, and no column its contract constrains not_null"
        ) }}
    {%- endif %}
    select *
    from {{ model }}
    where
        {% for column_name in checked -%}
            {{ adapter.quote(column_name) }} is null{% if not loop.last %} or{% endif %}
        {% else -%}
            false
        {%- endfor %}
{% endtest %}
