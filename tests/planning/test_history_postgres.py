"""The history model's incremental replace on PostgreSQL (delete+insert on the key)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fakes.demo_seeds import load_demo_seeds_into_postgres
from support import isolate_dbt_paths

from capacity.mart import dbt_runner
from capacity.warehouse import model_schemas

pytestmark = pytest.mark.postgres


@pytest.fixture
def scratch(pg_conninfo: str) -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    app_schema, models_schema = f"hist_app_{suffix}", f"hist_models_{suffix}"
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        load_demo_seeds_into_postgres(conn, app_schema)
    try:
        yield app_schema, models_schema
    finally:
        with psycopg.connect(pg_conninfo, autocommit=True) as conn:
            for schema in (app_schema, *model_schemas(models_schema)):
                conn.execute(f'drop schema if exists "{schema}" cascade')


def test_history_rerun_replaces_and_new_dates_append(
    scratch: tuple[str, str], pg_conninfo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_schema, models_schema = scratch
    isolate_dbt_paths(monkeypatch, tmp_path)
    monkeypatch.setenv("CAPACITY_PG_SCHEMA", models_schema)

    def record(as_of: str) -> list[tuple[object, ...]]:
        dbt_runner.run_dbt(
            ["run", "--select", "+workspace_capacity_history"],
            target="postgres",
            dbt_vars={"capacity_as_of": as_of, "app_schema": app_schema},
        )
        with psycopg.connect(pg_conninfo) as conn:
            return conn.execute(
                f'select as_of_date, count(*) from "{models_schema}".workspace_capacity_history '
                "group by as_of_date order by as_of_date"
            ).fetchall()

    first = record("2026-03-02T09:00:00Z")
    assert [count for _, count in first] == [8]
    assert record("2026-03-02T15:00:00Z") == first  # same date, later run: replaced
    after = record("2026-02-23T09:00:00Z")
    assert [count for _, count in after] == [8, 8]  # a backfilled past date adds its own rows
