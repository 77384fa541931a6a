"""Shared fixtures: PostgreSQL reachability and dbt builds of the demo on each engine.

PostgreSQL tests skip with the reason when no server is reachable, except
under CI=true, where an unreachable server is a failure: CI must never go
green by skipping the database tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import isolate_dbt_paths, postgres_scratch_build, skip_or_fail

from capacity.mart import dbt_runner
from capacity.settings import DEMO_AS_OF, postgres_conninfo
from capacity.warehouse import Warehouse

PG_CONNINFO = postgres_conninfo()


@pytest.fixture(scope="session")
def pg_conninfo() -> str:
    import psycopg

    try:
        with psycopg.connect(PG_CONNINFO, connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        skip_or_fail(
            f"PostgreSQL not reachable ({PG_CONNINFO}): {' '.join(str(exc).split())}",
            "start it: pg_ctlcluster --skip-systemctl-redirect 15 main start",
        )
    return PG_CONNINFO


@pytest.fixture
def isolated_dbt_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This test's dbt runs write their target/ and logs/ under its tmp_path."""
    isolate_dbt_paths(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def duckdb_demo(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The demo built on a fresh DuckDB file at the demo's as_of."""
    tmp = tmp_path_factory.mktemp("duckdb_demo")
    database = tmp / "demo.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
        dbt_runner.build(
            target="dev", dbt_vars={"capacity_as_of": DEMO_AS_OF}, load_demo_seeds=True
        )
    return Warehouse("duckdb", str(database), "main")


@pytest.fixture(scope="session")
def postgres_demo(
    pg_conninfo: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The demo seeds in real app tables (SPEC DDL) in a scratch schema, built with dbt."""
    from fakes.demo_seeds import load_demo_seeds_into_postgres

    with postgres_scratch_build(
        pg_conninfo,
        tmp_path_factory.mktemp("postgres_demo"),
        "it",
        load_demo_seeds_into_postgres,
        {"capacity_as_of": DEMO_AS_OF},
    ) as warehouse:
        yield warehouse
