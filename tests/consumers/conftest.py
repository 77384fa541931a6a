"""Fixtures of the consumer tests: the hand-worked demo mart and the demo with history.

The headless Chromium (``browser``) is the root conftest's, shared with the
orchestration UI test.
"""

from __future__ import annotations

from typing import Any

import pytest
from expected_demo_mart import EXPECTED_MART
from support import isolate_dbt_paths

from capacity.demo.cli import build_demo
from capacity.warehouse import Warehouse


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
