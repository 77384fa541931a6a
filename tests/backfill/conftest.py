"""Fixtures for the backfill tests: a scratch PostgreSQL schema, a DuckDB file, the fakes.

PostgreSQL: each test gets fresh schemas (app tables from ``capacity.app_tables``,
plus an empty one for the checkpoint), dropped afterwards. Reachability (skip, or
fail under ``CI=true``) is the root conftest's ``pg_conninfo`` fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from backfill_support import (
    scenario_fake,
    seed_scenario,
)
from fakes.calendar_providers import FakeCalendarProviders

from capacity.app_tables import create_app_tables, create_app_tables_duckdb
from capacity.backfill.db import Database, open_database
from capacity.sql import quote_ident
from capacity.warehouse import Warehouse, warehouse_for


@dataclass
class PgScratch:
    """A scratch app schema (SPEC §2 tables) and checkpoint schema on PostgreSQL."""

    url: str  # the postgres target's libpq connection string
    schema: str
    checkpoint_schema: str
    conn: object  # psycopg.Connection, autocommit
    db: Database  # for seeding and reading back, through the backfill's own layer
    target: str = "postgres"  # what the backfill's --target names


@pytest.fixture
def pg(pg_conninfo: str) -> Iterator[PgScratch]:
    import psycopg

    suffix = uuid.uuid4().hex[:10]
    schema, checkpoint_schema = f"bf_app_{suffix}", f"bf_cp_{suffix}"
    conn = psycopg.connect(pg_conninfo, autocommit=True)
    create_app_tables(conn, schema)
    db = open_database(warehouse_for("postgres"), schema)
    try:
        yield PgScratch(pg_conninfo, schema, checkpoint_schema, conn, db)
    finally:
        db.close()
        for name in (schema, checkpoint_schema):
            conn.execute(f"drop schema if exists {quote_ident(name)} cascade")
        conn.close()


@pytest.fixture
def fake() -> Iterator[FakeCalendarProviders]:
    """The scenario's fake providers, started in this process."""
    with scenario_fake() as server:
        yield server


@pytest.fixture
def seeded_pg(pg: PgScratch, fake: FakeCalendarProviders) -> PgScratch:
    seed_scenario(pg.db, fake.calendly_base_url)
    return pg


@dataclass
class DuckScratch:
    path: Path
    schema: str
    checkpoint_schema: str
    target: str = "dev"  # what the backfill's --target names (CAPACITY_DUCKDB_PATH: path)

    @property
    def warehouse(self) -> Warehouse:
        return warehouse_for("dev")


@pytest.fixture
def duck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DuckScratch:
    """A DuckDB file with the app tables in ``main_app`` (like the demo database), which
    the dev target opens for the test."""
    import duckdb

    path = tmp_path / "demo.duckdb"
    with duckdb.connect(str(path)) as conn:
        create_app_tables_duckdb(conn, "main_app")
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(path))
    return DuckScratch(path, "main_app", "capacity_backfill")
