"""Screenshots of the demo's "Capacity (30d)" KPI card page, for docs/consumers.md.

    .venv/bin/python scripts/kpi_card_screenshots.py [--page PAGE.html] [--out docs]

Without ``--page`` it builds the demo as ``capacity demo`` does (the earlier
weekly runs included, so the planning trend shows) into a temporary DuckDB
file and renders the page from it; the app's own files are not touched.
Writes ``kpi-card-demo.png`` (the whole page) and ``kpi-card-demo-tooltip.png``
(the same page with one card's breakdown open, by keyboard focus). The browser
is Debian's chromium driven by Playwright (scripts/ensure_chromium.sh).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1100, "height": 900}
FULL_PAGE = "kpi-card-demo.png"
WITH_TOOLTIP = "kpi-card-demo-tooltip.png"
# The card whose breakdown the second picture opens: the demo's one with most signals.
TOOLTIP_WORKSPACE = "ws_fern"


def build_demo_page(work_dir: Path) -> Path:
    """Build the demo into ``work_dir`` (DuckDB file, dbt target/ and logs/); render the page."""
    os.environ["CAPACITY_DUCKDB_PATH"] = str(work_dir / "demo.duckdb")
    os.environ["DBT_TARGET_PATH"] = str(work_dir / "target")
    os.environ["DBT_LOG_PATH"] = str(work_dir / "logs")
    from capacity.consumers import kpi_card
    from capacity.demo.cli import build_demo
    from capacity.warehouse import warehouse_for

    build_demo()
    warehouse = warehouse_for("dev")
    return kpi_card.write_kpi_page(warehouse, work_dir / "kpi_card.html")


def take_screenshots(browser: Any, page_path: Path, out_dir: Path) -> list[Path]:
    """The whole page, then the same with TOOLTIP_WORKSPACE's breakdown open; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(page_path.resolve().as_uri())
        page.mouse.move(1, 1)
        full = out_dir / FULL_PAGE
        page.screenshot(path=str(full), full_page=True)
        page.locator(f'.card[data-workspace-id="{TOOLTIP_WORKSPACE}"]').focus()
        page.locator(f'.card[data-workspace-id="{TOOLTIP_WORKSPACE}"] .tooltip').wait_for()
        tooltip = out_dir / WITH_TOOLTIP
        page.screenshot(path=str(tooltip), full_page=True)
    finally:
        context.close()
    return [full, tooltip]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", type=Path, default=None, help="an already rendered page")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder of the PNGs")
    args = parser.parse_args(argv)
    executable = shutil.which("chromium")
    if executable is None:
        sys.stderr.write("no chromium on PATH: run scripts/ensure_chromium.sh\n")
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kpi_card_demo_") as tmp:
        page_path = args.page or build_demo_page(Path(tmp))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                paths = take_screenshots(browser, page_path, args.out)
            finally:
                browser.close()
    for path in paths:
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
