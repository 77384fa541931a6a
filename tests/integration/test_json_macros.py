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
