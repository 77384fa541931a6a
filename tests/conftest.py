"""Shared fixtures: PostgreSQL reachability, dbt builds of the demo on each engine, and a
headless Chromium (the KPI card's and the Dagster UI's browser tests).

PostgreSQL tests skip with the reason when no server is reachable, and browser
tests without Debian's chromium or Playwright, except under CI=true, where
either is a failure: CI must never go green by skipping them. The browser is
Debian's chromium (scripts/ensure_chromium.sh installs it) driven by Python
Playwright, which never downloads a browser here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import duckdb_demo_build, isolate_dbt_paths, postgres_scratch_build, skip_or_fail

from capacity.settings import DEMO_AS_OF, postgres_conninfo
from capacity.warehouse import Warehouse

PG_CONNINFO = postgres_conninfo()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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
    database = duckdb_demo_build(tmp_path_factory.mktemp("duckdb_demo"), DEMO_AS_OF)
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


def browser_unavailable(reason: str) -> None:
    """Skip, or under CI=true fail, because the headless browser cannot run."""
    skip_or_fail(
        f"headless Chromium unavailable: {reason}",
        "run scripts/ensure_chromium.sh; pip install playwright",
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian chromium for the session, driven by Playwright."""
    executable = shutil.which("chromium")
    if executable is None:
        browser_unavailable("no `chromium` on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
