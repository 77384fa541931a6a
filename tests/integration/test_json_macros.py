"""The JSON macros on DuckDB and PostgreSQL: the same elements, positions and types for
every JSON case of SPEC §3 (Spark is compared with DuckDB in tests/spark)."""

from __future__ import annotations

from pathlib import Path

import pytest
from json_macro_cases import JSON_VALUES, check_json_cases, comparable_texts, json_cases


@pytest.fixture
def duckdb_scratch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(tmp_path / "scratch.duckdb"))


@pytest.mark.usefixtures("isolated_dbt_paths", "duckdb_scratch")
def test_json_macros_on_duckdb() -> None:
    check_json_cases(json_cases("dev", JSON_VALUES))


@pytest.mark.postgres
@pytest.mark.usefixtures("isolated_dbt_paths", "duckdb_scratch")
def test_json_macros_on_postgres_agree_with_duckdb(pg_conninfo: str) -> None:
    on_postgres = json_cases("postgres", JSON_VALUES)
    check_json_cases(on_postgres)
    assert comparable_texts(on_postgres) == comparable_texts(json_cases("dev", JSON_VALUES))


# JSON escapes inside string elements: DuckDB's json_extract_string must unescape them
# as PostgreSQL's jsonb_array_elements_text does.
ESCAPED_STRINGS = {1: r'["2026-02-10T15:00:00\u005a", "say \"hi\"", "back\\slash", "tab\tend"]'}
UNESCAPED_ROWS = [
    (1, "array", 0, "string", "2026-02-10T15:00:00Z"),
    (1, "array", 1, "string", 'say "hi"'),
    (1, "array", 2, "string", "back\\slash"),
    (1, "array", 3, "string", "tab\tend"),
    (1, "array", None, None, None),
    (1, "past_the_end", 99, None, None),
]


@pytest.mark.usefixtures("isolated_dbt_paths", "duckdb_scratch")
def test_escaped_string_elements_on_duckdb() -> None:
    assert json_cases("dev", ESCAPED_STRINGS) == sorted(UNESCAPED_ROWS, key=repr)


@pytest.mark.postgres
@pytest.mark.usefixtures("isolated_dbt_paths", "duckdb_scratch")
def test_escaped_string_elements_on_postgres(pg_conninfo: str) -> None:
    assert json_cases("postgres", ESCAPED_STRINGS) == sorted(UNESCAPED_ROWS, key=repr)
