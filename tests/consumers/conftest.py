"""Fixtures of the consumer tests: the hand-worked demo mart and a headless Chromium.

The browser is Debian's chromium (scripts/ensure_chromium.sh installs it)
driven by Python Playwright; Playwright never downloads a browser here.
Without either, the browser tests skip with the reason, except under CI=true,
where they fail: CI must never go green by skipping them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from expected_demo_mart import EXPECTED_MART
from support import isolate_dbt_paths, skip_or_fail

from capacity.demo.cli import build_demo
from capacity.warehouse import Warehouse

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def expected_mart() -> dict[str, dict[str, Any]]:
    """workspace id -> the expected mart row of the demo (tests/expected_demo_mart.py)."""
    return EXPECTED_MART


@pytest.fixture(scope="session")
def demo_with_history(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The demo as `capacity demo` builds it (three earlier weekly runs, so trends show).

    The mart is the same as duckdb_demo's (same as_of); the planning model has
    four runs to compare instead of one.
    """
    tmp = tmp_path_factory.mktemp("demo_with_history")
    # A hyphen on purpose: dbt-duckdb names the database after the file, and the
    # sources must quote it (an unquoted `my-demo` broke every source query).
    database = tmp / "capacity-demo.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
        build_demo()
    return Warehouse("duckdb", str(database), "main")


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
