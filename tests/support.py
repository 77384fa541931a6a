"""Helpers the tests share (importable from any test folder: pytest's pythonpath has tests/)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from capacity.mart import dbt_runner
from capacity.sql import quote_ident
from capacity.warehouse import Warehouse, model_schemas


def isolate_dbt_paths(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    """Give these dbt runs their own target/ and logs/ (parse state differs per target)."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp / "logs"))


def skip_or_fail(what: str, hint: str) -> None:
    """Skip as `what` is missing here; under CI=true fail: CI never goes green by skipping."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: these tests must run, not skip)", pytrace=False)
    pytest.skip(f"{what} ({hint})")


def duckdb_demo_build(tmp: Path, as_of: str, dbt_vars: Mapping[str, Any] | None = None) -> Path:
    """The demo seeds and models built by dbt at `as_of` (and `dbt_vars`) in a fresh DuckDB
    file under `tmp` (dbt's target/ and logs/ there too); the file's path."""
    database = tmp / "demo.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
        dbt_runner.build(
            target="dev",
            dbt_vars={**(dbt_vars or {}), "capacity_as_of": as_of},
            load_demo_seeds=True,
        )
    return database


@contextmanager
def postgres_scratch_build(
    conninfo: str,
    tmp: Path,
    prefix: str,
    load_app_tables: Callable[[Any, str], object],
    dbt_vars: Mapping[str, Any],
) -> Iterator[Warehouse]:
    """App tables that `load_app_tables(connection, schema)` fills in a scratch schema, the
    models built on them by dbt in scratch schemas of their own; every schema dropped after."""
    import psycopg

    suffix = uuid.uuid4().hex[:8]
    app_schema, models_schema = f"{prefix}_app_{suffix}", f"{prefix}_models_{suffix}"
    try:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            load_app_tables(connection, app_schema)
        with pytest.MonkeyPatch.context() as monkeypatch:
            isolate_dbt_paths(monkeypatch, tmp)
            monkeypatch.setenv("CAPACITY_PG_SCHEMA", models_schema)
            dbt_runner.build(target="postgres", dbt_vars={**dbt_vars, "app_schema": app_schema})
        yield Warehouse("postgres", conninfo, models_schema)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for schema in (app_schema, *model_schemas(models_schema)):
                connection.execute(f"drop schema if exists {quote_ident(schema)} cascade")
