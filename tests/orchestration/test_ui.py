"""The Dagster UI in a real browser: `capacity orchestrate` on a free 127.0.0.1 port, on the
demo this session materialised through Dagster (``orchestrated_demo``).

Chromium opens the asset graph around workspace_capacity_30d, finds each asset's
last materialisation there, and on the asset's events page the run this session
started. The screenshot docs/dagster-ui.png shows is taken by
scripts/dagster_ui_screenshot.py with the same functions; here it goes to tmp_path.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from orchestration_support import OrchestratedDemo

from capacity.settings import PROJECT_DIR


def _script() -> Any:
    path = PROJECT_DIR / "scripts" / "dagster_ui_screenshot.py"
    spec = importlib.util.spec_from_file_location("dagster_ui_screenshot", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


@pytest.fixture(scope="module")
def dagster_ui(orchestrated_demo: OrchestratedDemo) -> Iterator[str]:
    """The UI's address while `capacity orchestrate` serves the session's demo."""
    port = SCRIPT.free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = orchestrated_demo.home / "orchestrate.log"
    with log_path.open("w") as log:
        process = SCRIPT.start_ui(orchestrated_demo.env, port, log)
        try:
            SCRIPT.wait_for_ui(url, process, timeout=180)
            yield url
        except Exception:
            print(log_path.read_text()[-4000:])
            raise
        finally:
            SCRIPT.stop_ui(process)


def test_ui_shows_the_asset_graph_and_the_sessions_materialisation(
    dagster_ui: str, browser: Any, orchestrated_demo: OrchestratedDemo, tmp_path: Path
) -> None:
    run_id = orchestrated_demo.runs.main.run_id
    context = browser.new_context(viewport=SCRIPT.VIEWPORT)
    try:
        page = context.new_page()
        SCRIPT.open_lineage(page, dagster_ui)
        # The nodes' statuses load after the graph: wait for them (a loaded machine is slow).
        graph = page.inner_text("body")
        for _ in range(120):
            if graph.count("Materialized") >= 5:
                break
            page.wait_for_timeout(500)
            graph = page.inner_text("body")
        # The asset, its neighbours up- and downstream, each node with its materialisation.
        for name in (
            "workspace_capacity_30d",
            "capacity_constrained_workspaces",
            "insights_snapshots",
        ):
            assert name in graph
        assert graph.count("Materialized") >= 5
        page.goto(dagster_ui + SCRIPT.EVENTS_PATH)
        page.get_by_text(f"Materialized in run {run_id[:8]}").first.wait_for(timeout=60_000)
    finally:
        context.close()

    picture = SCRIPT.take_screenshot(browser, dagster_ui, tmp_path / "dagster-ui.png")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
    assert (PROJECT_DIR / SCRIPT.PICTURE).exists(), "commit the picture docs/orchestration.md shows"
