"""Fixtures for the backfill tests: a scratch PostgreSQL schema, a DuckDB file, the fakes.

PostgreSQL: each test gets fresh schemas (app tables from ``capacity.app_schema``,
plus an empty one for the checkpoint), dropped afterwards. When PostgreSQL cannot be
reached the test is skipped with the reason, except under ``CI=true``, where it
fails: CI must never go green by skipping the database tests.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the project may not be pip-installed in the venv
    sys.path.insert(0, str(ROOT))

from backfill_support import (  # noqa: E402
    create_duckdb_app_tables,
    scenario_fake,
    seed_scenario,
)

from capacity.app_schema import create_app_tables  # noqa: E402
from capacity.backfill.db import Database, open_database, quote_ident  # noqa: E402
from capacity.fakes.calendar_providers import FakeCalendarProviders  # noqa: E402

PG_URL = os.environ.get("CAPACITY_TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test")


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL not reachable at {PG_URL}: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: database tests must run, not skip)", pytrace=False)
    pytest.skip(message + " (start it: pg_ctlcluster --skip-systemctl-redirect 15 main start)")


@pytest.fixture(scope="session")
def pg_url() -> str:
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        _postgres_unavailable(" ".join(str(exc).split()))
    return PG_URL


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
        create_duckdb_app_tables(conn, "main_app")
    return DuckScratch(path, f"duckdb:///{path}", "main_app", "capacity_backfill")
