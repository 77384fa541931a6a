"""Helpers of the Dagster tests (importable: pytest's pythonpath has each test folder)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from capacity.warehouse import Warehouse

ORCHESTRATION_MODULES = ("dagster", "dagster_dbt", "dagster_webserver")
HAVE_DAGSTER = all(importlib.util.find_spec(name) for name in ORCHESTRATION_MODULES)


def scratch_env(tmp: Path, target: str = "dev") -> dict[str, str]:
    """Settings that put every file of a build under `tmp` (the one configuration path)."""
    return {
        "CAPACITY_TARGET": target,
        "CAPACITY_HOME": str(tmp),
        "CAPACITY_DUCKDB_PATH": str(tmp / "demo.duckdb"),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DAGSTER_HOME": str(tmp / "dagster_home"),
    }


def apply_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@dataclass
class OrchestratedDemo:
    """The demo as Dagster built it; ``env`` re-creates the settings it was built with."""

    env: dict[str, str]
    defs: Any  # dagster.Definitions
    instance: Any  # dagster.DagsterInstance, persistent under env["DAGSTER_HOME"]
    runs: Any  # capacity.orchestration.demo.DemoRuns

    @property
    def home(self) -> Path:
        return Path(self.env["CAPACITY_HOME"])

    @property
    def database(self) -> Path:
        return Path(self.env["CAPACITY_DUCKDB_PATH"])

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse("duckdb", str(self.database), "main")

    def copy_env(self, tmp: Path) -> dict[str, str]:
        """Settings for a scratch copy of the built DuckDB file (and its manifest)."""
        env = scratch_env(tmp)
        shutil.copyfile(self.database, env["CAPACITY_DUCKDB_PATH"])
        shutil.copytree(
            Path(self.env["DBT_TARGET_PATH"]) / "dagster", Path(env["DBT_TARGET_PATH"]) / "dagster"
        )
        return env


# Columns a build stamps with its own clock: equal builds differ there only.
RUN_STAMPED_COLUMNS = frozenset({"recorded_at"})


def model_rows(warehouse: Warehouse, model: str) -> list[tuple[Any, ...]]:
    """A model's rows, sorted, floats rounded, without the run-stamped columns."""
    from capacity.warehouse import connect, fetch_dicts

    with connect(warehouse) as connection:
        data = fetch_dicts(connection, f"select * from {warehouse.relation(model)}")
    return sorted(
        (
            tuple(
                round(value, 9) if isinstance(value, float) else value
                for column, value in row.items()
                if column not in RUN_STAMPED_COLUMNS
            )
            for row in data
        ),
        key=repr,
    )


def dbt_model_names(defs: Any) -> list[str]:
    """Every dbt model of the definitions (the last part of its asset key is its name)."""
    models = defs.resolve_assets_def("workspace_capacity_30d")
    return sorted(key.path[-1] for key in models.keys)


def assert_builds_equal(defs: Any, built: Warehouse, expected: Warehouse) -> None:
    """Every model's rows of two builds agree (the run-stamped columns aside)."""
    different = [
        model
        for model in dbt_model_names(defs)
        if model_rows(built, model) != model_rows(expected, model)
    ]
    assert not different, f"models that differ from the CLI's build: {different}"
