"""The JSON cases of SPEC §3, as array elements and as whole values, through the
project's JSON macros (json_array_element_rows, json_element_type_at, json_value_type)
with `dbt show`, so that every engine's version of them is compared with the others
on the same values."""

from __future__ import annotations

import json
from typing import Any

from capacity.mart import dbt_runner

JSON_VALUES = {
    1: '[null, 5, {"a": 1}, "garbage", "2026-02-10T15:00:00Z", true, [1], 1.5, ""]',
    2: "null",
    3: '{"not": ["an array"]}',
    4: '"2026-02-10T15:00:00Z"',
    5: "1772470800",
    6: "false",
    7: "[]",
    8: None,
}
JSON_SQL = """
with cases as (
    {%- for case_id, value in cases.items() %}
    select {{ case_id }} as case_id, cast({{ "'" ~ value ~ "'" if value is not none else 'null' }}
        as {{ type_json() }}) as json_value
    {{- " union all" if not loop.last }}
    {%- endfor %}
)
select
    cases.case_id, {{ json_value_type('cases.json_value') }} as value_type,
    entry.element_index,
    {{ json_element_type_at('cases.json_value', 'entry.element_index') }} as element_type,
    entry.element_text
from ({{ json_array_element_rows('cases', 'json_value', ['case_id']) }}) as entry
inner join cases on entry.case_id = cases.case_id
union all
select case_id, {{ json_value_type('json_value') }}, null, null, null
from cases
union all
select case_id, 'past_the_end', 99, {{ json_element_type_at('json_value', '99') }}, null
from cases
"""


def json_cases(target: str, values: dict[int, str | None]) -> list[tuple[Any, ...]]:
    sql = "{% set cases = " + repr(values) + " %}" + JSON_SQL
    result = dbt_runner.run_dbt(["show", "--inline", sql, "--limit", "100"], target=target)
    table = result.result.results[0].agate_table
    return sorted(
        (
            tuple(
                int(v) if k in ("case_id", "element_index") and v is not None else v
                for k, v in zip(table.column_names, row, strict=True)
            )
            for row in table.rows
        ),
        key=repr,
    )


def comparable_texts(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows with a non-string element's JSON text parsed: the engines agree on the
    JSON value, not on its spelling (PostgreSQL's jsonb writes `{"a": 1}`, DuckDB
    `{"a":1}`)."""
    return [
        (*row[:4], json.loads(row[4]))
        if row[4] is not None and row[3] not in ("string", None)
        else row
        for row in rows
    ]


def check_json_cases(rows: list[tuple[Any, ...]]) -> None:
    """Elements keep their position and JSON type; only arrays have elements (also []:
    none); every whole value gets its JSON type, SQL NULL none; a position past an
    array's end, or in a value that is not an array, has no type."""
    rows = comparable_texts(rows)
    past_the_end = {row[0]: row[3] for row in rows if row[1] == "past_the_end"}
    assert past_the_end == dict.fromkeys(range(1, 9))
    rows = [row for row in rows if row[1] != "past_the_end"]
    assert (1, "array", 0, "null", None) in rows
    assert (1, "array", 1, "number", 5) in rows
    assert (1, "array", 2, "object", {"a": 1}) in rows
    assert (1, "array", 3, "string", "garbage") in rows
    assert (1, "array", 4, "string", "2026-02-10T15:00:00Z") in rows
    assert (1, "array", 5, "boolean", True) in rows
    assert (1, "array", 6, "array", [1]) in rows
    assert (1, "array", 7, "number", 1.5) in rows
    assert (1, "array", 8, "string", "") in rows
    assert len([row for row in rows if row[2] is not None]) == 9
    assert {row[0] for row in rows if row[2] is not None} == {1}
    assert {row[0]: row[1] for row in rows if row[2] is None} == {
        1: "array",
        2: "null",
        3: "object",
        4: "string",
        5: "number",
        6: "boolean",
        7: "array",
        8: None,
    }
