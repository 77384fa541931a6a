"""Fixtures for the backfill tests: a scratch PostgreSQL schema, a DuckDB file, the fakes.

PostgreSQL: each test gets fresh schemas (app tables from ``capacity.app_schema``,
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

from capacity.app_schema import create_app_tables, create_app_tables_duckdb
from capacity.backfill.db import Database, open_database, quote_ident
from capacity.fakes.calendar_providers import FakeCalendarProviders


@pytest.fixture(scope="session")
def pg_url(pg_conninfo: str) -> str:
    """The server of the root conftest's pg_conninfo, as the URL the backfill CLI takes."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(pg_conninfo)
    password = f":{params['password']}" if params.get("password") else ""
    return (
        f"postgresql://{params['user']}{password}@{params['host']}:{params['port']}"
        f"/{params['dbname']}"
    )


@dataclass
class PgScratch:
    """A scratch app schema (SPEC §2 tables) and checkpoint schema on PostgreSQL."""

    url: str
    schema: str
    checkpoint_schema: str
    conn: object  # psycopg.Connection, autocommit
    db: Database  # for seeding and reading back, through the backfill's own layer


@pytest.fixture
def pg(pg_url: str) -> Iterator[PgScratch]:
    import psycopg

    suffix = uuid.uuid4().hex[:10]
    schema, checkpoint_schema = f"bf_app_{suffix}", f"bf_cp_{suffix}"
    conn = psycopg.connect(pg_url, autocommit=True)
    create_app_tables(conn, schema)
    db = open_database(pg_url, schema)
    try:
        yield PgScratch(pg_url, schema, checkpoint_schema, conn, db)
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
    url: str
    schema: str
    checkpoint_schema: str


@pytest.fixture
def duck(tmp_path: Path) -> DuckScratch:
    """A DuckDB file with the app tables in ``main_app`` (like the demo database)."""
    import duckdb

    path = tmp_path / "demo.duckdb"
    with duckdb.connect(str(path)) as conn:
        create_app_tables_duckdb(conn, "main_app")
    return DuckScratch(path, f"duckdb:///{path}", "main_app", "capacity_backfill")
