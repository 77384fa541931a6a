"""MetricFlow answers % booked from the semantic layer with the mart's own figures."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from expected_demo_mart import EXPECTED_MART

from capacity.settings import PROJECT_DIR
from capacity.warehouse import Warehouse

MF = Path(sys.executable).with_name("mf")


def run(command: list[str], project: Path, warehouse: Warehouse) -> None:
    env = {**os.environ, "CAPACITY_DUCKDB_PATH": warehouse.dsn, "DBT_PROFILES_DIR": str(project)}
    env.pop("DBT_TARGET_PATH", None)  # mf reads <project>/target/semantic_manifest.json only
    completed = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def mf_query(project: Path, warehouse: Warehouse, *args: str) -> list[dict[str, str]]:
    """Run `mf query` on the demo DuckDB build and return its CSV rows."""
    out = project / "result.csv"
    run([str(MF), "query", *args, "--csv", str(out), "--quiet"], project, warehouse)
    with out.open(newline="") as result:
        return list(csv.DictReader(result))


def as_float(text: str) -> float | None:
    return float(text) if text else None


@pytest.fixture(scope="module")
def mf_project(tmp_path_factory: pytest.TempPathFactory, duckdb_demo: Warehouse) -> Path:
    """A copy of the dbt project, parsed: MetricFlow insists on <project>/target/."""
    project = tmp_path_factory.mktemp("metricflow") / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(PROJECT_DIR / name, project / name)
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    run([str(MF.with_name("dbt")), "parse", "--quiet"], project, duckdb_demo)
    return project


def test_booked_pct_metric_equals_the_mart(duckdb_demo: Warehouse, mf_project: Path) -> None:
    rows = mf_query(
        mf_project,
        duckdb_demo,
        "--metrics",
        "booked_pct,booked_slots,total_slots",
        "--group-by",
        "workspace",
    )
    by_workspace = {row["workspace"]: row for row in rows}
    assert set(by_workspace) == set(EXPECTED_MART)
    for workspace_id, expected in EXPECTED_MART.items():
        pct = as_float(by_workspace[workspace_id]["booked_pct"])
        if expected["booked_pct"] is None:
            assert pct is None, workspace_id
        else:
            assert pct == pytest.approx(expected["booked_pct"]), workspace_id
        assert as_float(by_workspace[workspace_id]["total_slots"]) == expected["total_slots"]


def test_booked_pct_by_source_equals_the_mart(duckdb_demo: Warehouse, mf_project: Path) -> None:
    rows = mf_query(
        mf_project,
        duckdb_demo,
        "--metrics",
        "booked_pct",
        "--group-by",
        "workspace,workspace_source__availability_source",
    )
    assert len(rows) == 2 * len(EXPECTED_MART)
    for row in rows:
        prefix = row["workspace_source__availability_source"].lower() + "_"
        expected = EXPECTED_MART[row["workspace"]][f"{prefix}booked_pct"]
        actual = as_float(row["booked_pct"])
        assert actual == (pytest.approx(expected) if expected is not None else None)
