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
from support import skip_or_fail

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def expected_mart() -> dict[str, dict[str, Any]]:
    """workspace id -> the expected mart row of the demo (tests/expected_demo_mart.py)."""
    return EXPECTED_MART


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
