"""dbt commands around the build: the window vars, and the docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capacity.mart import dbt_runner
from capacity.warehouse import Warehouse

WINDOW_SQL = "select {{ capacity_window_start() }} as s, {{ capacity_window_end() }} as e"


def compiled_window(vars_: dict[str, object]) -> str:
    result = dbt_runner.run_dbt(["compile", "--inline", WINDOW_SQL], dbt_vars=vars_)
    return result.result.results[0].node.compiled_code


@pytest.fixture
def dbt_paths(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    duckdb_demo: Warehouse,
    isolated_dbt_paths: None,
) -> None:
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", duckdb_demo.dsn)


@pytest.mark.usefixtures("dbt_paths")
@pytest.mark.parametrize(
    "as_of",
    [
        "2026-03-02T09:00:00Z",
        "2026-03-02T10:30:00+01:30",
        "2026-03-02 09:00:00",
        "2026-03-02T04:00-05:00",
    ],
)
def test_as_of_offsets_are_converted_to_utc(as_of: str) -> None:
    sql = compiled_window({"capacity_as_of": as_of, "capacity_window_days": 7})
    assert "cast('2026-03-02 09:00:00.000' as timestamp)" in sql
    assert "cast('2026-03-09 09:00:00.000' as timestamp)" in sql


@pytest.mark.usefixtures("dbt_paths")
@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"capacity_as_of": "next tuesday"}, "capacity_as_of must be an ISO-8601 timestamp"),
        (
            {"capacity_as_of": "2026-02-30T09:00:00Z"},
            "capacity_as_of must be an ISO-8601 timestamp",
        ),
        ({"capacity_window_days": 0}, "capacity_window_days must be a positive whole number"),
        ({"capacity_cache_max_age_minutes": "1h"}, "must be a positive whole number"),
    ],
)
def test_bad_vars_fail_with_a_clear_message(dbt_vars: dict[str, object], message: str) -> None:
    with pytest.raises(dbt_runner.DbtCommandError, match=message):
        dbt_runner.run_dbt(
            ["compile", "--inline", WINDOW_SQL + ", {{ capacity_stale_before() }} as c"],
            dbt_vars=dbt_vars,
        )


@pytest.mark.usefixtures("dbt_paths")
def test_docs_generate_documents_every_model(tmp_path: Path) -> None:
    dbt_runner.run_dbt(["docs", "generate"])
    target = tmp_path / "target"
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert {"workspace_capacity_30d", "fct_available_slots", "stg_app__appointments"} <= documented
