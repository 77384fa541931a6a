"""Helpers the tests share (importable from any test folder: pytest's pythonpath has tests/)."""

from __future__ import annotations

from pathlib import Path

import pytest


def isolate_dbt_paths(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    """Give these dbt runs their own target/ and logs/ (parse state differs per target)."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp / "logs"))
