"""Screenshot of the Dagster UI on the demo, for docs/orchestration.md (docs/dagster-ui.png).

    .venv/bin/python scripts/dagster_ui_screenshot.py [--out docs/dagster-ui.png]

Runs `capacity orchestrate --demo` in a temporary CAPACITY_HOME (the demo
materialised through Dagster: seeds, the three earlier history runs, every asset
at the demo's as_of, the freshness check), waits for the UI on a free
127.0.0.1 port, and photographs the lineage around workspace_capacity_30d: each
asset with its last materialisation and its checks. The checkout's own files are
not touched. The browser is Debian's chromium driven by Playwright
(scripts/ensure_chromium.sh). tests/orchestration/test_ui.py uses the same functions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Tall enough for the graph's fitted zoom to draw whole nodes (name, checks, last
# materialisation): the layer groups stack, and a shorter window shows names only.
VIEWPORT = {"width": 1600, "height": 1300}
ASSET = "workspace_capacity_30d"
# The asset with its nearest neighbours: close enough for each node to show its last
# materialisation and its checks, which a view of all 29 assets draws too small to read.
LINEAGE_PATH = f"/assets/{ASSET}?view=lineage&lineageDepth=1"
EVENTS_PATH = f"/assets/{ASSET}?view=events"
PICTURE = Path("docs") / "dagster-ui.png"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def capacity_command() -> str:
    """The `capacity` script beside this interpreter (the venv's)."""
    beside = Path(sys.executable).with_name("capacity")
    return str(beside) if beside.exists() else shutil.which("capacity") or "capacity"


def start_ui(
    env: Mapping[str, str], port: int, log: IO[str], *, demo: bool = False
) -> subprocess.Popen[str]:
    """`capacity orchestrate` in a session of its own (so it can be stopped whole)."""
    command = [capacity_command(), "orchestrate", "--port", str(port)]
    if demo:
        command.append("--demo")
    return subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for_ui(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    """Until the webserver answers (the code location may still be loading)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"capacity orchestrate exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise TimeoutError(f"no Dagster UI at {url} after {timeout:.0f} s")


def stop_ui(process: subprocess.Popen[str], timeout: float = 60) -> None:
    """SIGTERM, which dagster dev handles as Ctrl-C (webserver, daemon and code server stop);
    the whole session killed if it has not stopped in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def open_lineage(page: Any, url: str, timeout_ms: float = 120_000) -> None:
    """The lineage around ASSET, once its node shows its materialisation."""
    page.goto(url + LINEAGE_PATH)
    page.get_by_text("Materialized", exact=True).first.wait_for(timeout=timeout_ms)
    # Its first visit may show a "join the community" dialog (dagster.yaml turns it off).
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.click()
    page.mouse.move(1, 1)
    page.wait_for_timeout(1500)  # the graph settles its layout after the data arrives


def take_screenshot(browser: Any, url: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        page = context.new_page()
        open_lineage(page, url)
        page.screenshot(path=str(out))
    finally:
        context.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PICTURE, help="the PNG to write")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds for demo and UI")
    args = parser.parse_args(argv)
    executable = shutil.which("chromium")
    if executable is None:
        sys.stderr.write("no chromium on PATH: run scripts/ensure_chromium.sh\n")
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="dagster_ui_demo_") as tmp:
        env = {"CAPACITY_HOME": tmp, "DAGSTER_HOME": str(Path(tmp) / ".dagster")}
        env.update(
            CAPACITY_TARGET="dev", DBT_TARGET_PATH=f"{tmp}/target", DBT_LOG_PATH=f"{tmp}/logs"
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with (Path(tmp) / "orchestrate.log").open("w") as log:
            process = start_ui(env, port, log, demo=True)
            try:
                wait_for_ui(url, process, args.timeout)
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=executable, args=CHROMIUM_ARGS
                    )
                    try:
                        path = take_screenshot(browser, url, args.out)
                    finally:
                        browser.close()
            except Exception:
                sys.stderr.write((Path(tmp) / "orchestrate.log").read_text()[-4000:])
                raise
            finally:
                stop_ui(process)
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
