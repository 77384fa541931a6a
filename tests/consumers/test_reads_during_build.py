"""Readers are never blocked by a build, and never see a half-built one (issue 16).

A build runs in a process of its own while this one reads every workspace's snapshot
in a loop, and a thread runs `capacity snapshot` and `capacity kpi-card` as the
Insights Chat and a dashboard would. Every read must succeed and give, for every
workspace, the figures of one complete build: the one before (as_of a week earlier)
or the new one, never an error, a missing mart or a mix of the two.

On the embedded DuckDB this holds because a build writes a copy of the file and
renames it into place (capacity.mart.publish); on PostgreSQL because dbt swaps each
table in a transaction (docs/operations.md, "What happens during a rebuild").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import duckdb_demo_build, isolate_dbt_paths, postgres_scratch_build

from capacity.consumers.snapshot import read_all_snapshots
from capacity.mart import dbt_runner, publish
from capacity.settings import DEMO_AS_OF, DEMO_HISTORY_AS_OF
from capacity.warehouse import Warehouse

BEFORE_AS_OF = DEMO_HISTORY_AS_OF[-1]  # the complete build readers start from
WORKSPACE = "ws_acme"
# Pauses between reads: readers that never pause take the 2 cores from the build they
# wait for (a 20 s build took 70). Still dozens of reads, and several CLI runs, per build.
READ_PAUSE_SECONDS = 0.05
CLI_PAUSE_SECONDS = 0.5


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "capacity.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _comparable(snapshots: list[dict[str, Any]], engine: str) -> dict[str, Any]:
    """Snapshots by workspace. On PostgreSQL without the planning trend: the planning
    model is swapped after the mart, so a read between the two pairs them (documented)."""
    if engine == "postgres":
        snapshots = [{k: v for k, v in s.items() if k != "capacityTrend"} for s in snapshots]
    return {snapshot["workspaceId"]: snapshot for snapshot in snapshots}


class ReadLoop:
    """Reads while a build process runs: in-process snapshots, and the two CLIs."""

    def __init__(self, warehouse: Warehouse, env: dict[str, str], card: Path) -> None:
        self.warehouse, self.env, self.card = warehouse, env, card
        self.reads: list[dict[str, Any]] = []
        self.cli_snapshots: list[dict[str, Any]] = []
        self.failures: list[str] = []

    def read_once(self) -> None:
        try:
            self.reads.append(
                _comparable(read_all_snapshots(self.warehouse), self.warehouse.engine)
            )
        except Exception as error:  # every read must succeed: keep the reason
            self.failures.append(f"in-process read: {type(error).__name__}: {error}")

    def run_clis(self, building: subprocess.Popen[str]) -> None:
        while building.poll() is None:
            snapshot = _cli("snapshot", "--workspace", WORKSPACE, env=self.env)
            if snapshot.returncode != 0:
                self.failures.append(f"capacity snapshot: {snapshot.stderr.strip()}")
            else:
                self.cli_snapshots.append(json.loads(snapshot.stdout))
            card = _cli("kpi-card", "--output", str(self.card), env=self.env)
            if card.returncode != 0:
                self.failures.append(f"capacity kpi-card: {card.stderr.strip()}")
            time.sleep(CLI_PAUSE_SECONDS)

    def during(self, building: subprocess.Popen[str]) -> float:
        """Read until the build process ends; returns how long it ran."""
        started = time.monotonic()
        clis = threading.Thread(target=self.run_clis, args=(building,))
        clis.start()
        while building.poll() is None:
            self.read_once()
            time.sleep(READ_PAUSE_SECONDS)
        clis.join()
        return time.monotonic() - started


def check_reads(loop: ReadLoop, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert not loop.failures, "\n".join(loop.failures[:5])
    assert before != after  # two as_of dates: a read tells which build it saw
    mixed = [read for read in loop.reads if read not in (before, after)]
    assert not mixed, "a read matched neither complete build (half-built or mixed)"
    assert loop.reads.count(before) >= 2, "too few reads while the build ran to tell"
    for snapshot in loop.cli_snapshots:
        assert _comparable([snapshot], loop.warehouse.engine)[WORKSPACE] in (
            before[WORKSPACE],
            after[WORKSPACE],
        )
    assert loop.cli_snapshots, "no `capacity snapshot` ran during the build"


@contextmanager
def _build_process(
    args: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "capacity.main", "build", *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture(scope="module")
def duckdb_before(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once at BEFORE_AS_OF; each test works on a copy of the file."""
    database = duckdb_demo_build(tmp_path_factory.mktemp("reads_before"), BEFORE_AS_OF)
    assert not publish.staging_path(database).exists()
    return database


def test_duckdb_readers_see_the_last_complete_build_while_a_build_runs(
    duckdb_before: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = tmp_path / "demo.duckdb"
    shutil.copyfile(duckdb_before, database)
    isolate_dbt_paths(monkeypatch, tmp_path)
    monkeypatch.setenv("CAPACITY_HOME", str(tmp_path))
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
    monkeypatch.setenv("CAPACITY_TARGET", "dev")
    warehouse = Warehouse("duckdb", str(database), "main")
    before = _comparable(read_all_snapshots(warehouse), "duckdb")
    first_inode = database.stat().st_ino

    loop = ReadLoop(warehouse, dict(os.environ), tmp_path / "card.html")
    args = ["--target", "dev", "--demo-seeds", "--as-of", DEMO_AS_OF, "--json"]
    with _build_process(args, dict(os.environ), tmp_path / "build.log") as building:
        seconds = loop.during(building)
    assert building.returncode == 0, (tmp_path / "build.log").read_text()[-3000:]
    after = _comparable(read_all_snapshots(warehouse), "duckdb")
    check_reads(loop, before, after)
    assert database.stat().st_ino != first_inode  # the new build was renamed into place
    assert not publish.staging_path(database).exists()
    print(f"{len(loop.reads)} reads, {len(loop.cli_snapshots)} CLI snapshots, {seconds:.0f} s")


def test_a_failed_duckdb_build_leaves_the_last_complete_one(
    duckdb_before: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = tmp_path / "demo.duckdb"
    shutil.copyfile(duckdb_before, database)
    isolate_dbt_paths(monkeypatch, tmp_path)
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
    warehouse = Warehouse("duckdb", str(database), "main")
    before = read_all_snapshots(warehouse)
    with pytest.raises(dbt_runner.DbtCommandError):
        dbt_runner.build(
            target="dev", dbt_vars={"capacity_as_of": DEMO_AS_OF, "app_schema": "no_such_schema"}
        )
    assert read_all_snapshots(warehouse) == before
    assert not publish.staging_path(database).exists()


@pytest.mark.postgres
def test_postgres_readers_never_see_a_missing_or_half_built_mart(
    pg_conninfo: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fakes.demo_seeds import load_demo_seeds_into_postgres

    with postgres_scratch_build(
        pg_conninfo,
        tmp_path / "first",
        "reads",
        load_demo_seeds_into_postgres,
        {"capacity_as_of": BEFORE_AS_OF},
    ) as warehouse:
        app_schema = warehouse.schema.replace("reads_models_", "reads_app_")
        isolate_dbt_paths(monkeypatch, tmp_path)
        monkeypatch.setenv("CAPACITY_HOME", str(tmp_path))
        monkeypatch.setenv("CAPACITY_TARGET", "postgres")
        monkeypatch.setenv("CAPACITY_PG_SCHEMA", warehouse.schema)
        monkeypatch.setenv("CAPACITY_APP_SCHEMA", app_schema)
        before = _comparable(read_all_snapshots(warehouse), "postgres")
        loop = ReadLoop(warehouse, dict(os.environ), tmp_path / "card.html")
        args = ["--target", "postgres", "--as-of", DEMO_AS_OF, "--json"]
        with _build_process(args, dict(os.environ), tmp_path / "build.log") as building:
            seconds = loop.during(building)
        assert building.returncode == 0, (tmp_path / "build.log").read_text()[-3000:]
        after = _comparable(read_all_snapshots(warehouse), "postgres")
        check_reads(loop, before, after)
        print(f"{len(loop.reads)} reads, {len(loop.cli_snapshots)} CLI snapshots, {seconds:.0f} s")
