{#-
    Fails on each row where any of the columns is NULL: every column in one
    scan, one test node instead of one per column. On a view each test
    evaluates the view again, so a not_null test per column of a slot view
    paid a pass over every cached entry each (see docs/decisions.md, 'One
    not-null test per model').

    Without column_names: the columns the model's contract constrains NOT
    NULL. PostgreSQL and DuckDB refuse such a NULL when they build the table;
    on Spark (parquet) the constraints are declared, not enforced, and this
    test is the check.
-#}
{% test not_null_columns(model, column_names=none) %}
    {%- set checked = column_names if column_names is not none else [] -%}
    {%- if execute and column_names is none -%}
        {%- set tested = graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('alias', 'equalto', model.identifier)
            | selectattr('schema', 'equalto', model.schema)
            | list -%}
        {%- for node in tested -%}
            {%- for column in node.columns.values() -%}
                {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
                    {%- do checked.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
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
