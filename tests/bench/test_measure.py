"""The benchmark's measurements: a child's own peak memory, and the best of repeats
(dbt run, dbt build and the hand-written query alike, each repetition's figures checked)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from capacity.bench.dbt_bench import DbtBench, DbtTiming, parse_mode
from capacity.bench.figures import FiguresDiffer
from capacity.bench.floor import FIGURE_COLUMNS
from capacity.bench.generate import GeneratedData
from capacity.bench.measure import CommandFailed, Measured, run_measured
from capacity.bench.runner import EngineResult, Step, best_of
from capacity.bench.scenario import BenchSettings

MIB = 2**20


def test_peak_is_the_childs_own_not_the_parents(tmp_path: Path) -> None:
    # The parent holds 300 MiB: a child that allocates little must not report it
    # (ru_maxrss would: Linux carries the maximum RSS across fork and execve).
    ballast = bytearray(300 * MIB)
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = run_measured(
        [sys.executable, "-c", "import time; time.sleep(0.3)"],
        output_path=tmp_path / "small.out",
    )
    big = run_measured(
        [
            sys.executable,
            "-c",
            "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
            "import time; time.sleep(0.3)",
        ],
        output_path=tmp_path / "big.out",
    )
    del ballast
    assert small.peak_rss_bytes < 100 * MIB
    assert big.peak_rss_bytes > 200 * MIB
    assert small.exit_code == big.exit_code == 0
    assert 0.3 <= small.seconds < 10


def test_a_failing_command_raises_with_its_output(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed, match="exited 3:\nboom"):
        run_measured(
            [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
            output_path=tmp_path / "fail.out",
        )


def test_best_of_keeps_the_fastest_and_every_sample() -> None:
    steps = [Step("dbt run", 10.0, work, 1) for work in (8.0, 6.5, 7.0)]
    best = best_of(steps)
    assert best.work_seconds == 6.5
    assert best.samples == (8.0, 6.5, 7.0)


def test_descendants_count_when_asked(tmp_path: Path) -> None:
    # The child starts a grandchild that holds 200 MiB (as pyspark starts its JVM).
    grandchild = (
        "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
        "import time; time.sleep(1.0)"
    )
    child = [
        sys.executable,
        "-c",
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])",
    ]
    alone = run_measured(child, output_path=tmp_path / "alone.out")
    tree = run_measured(child, output_path=tmp_path / "tree.out", include_descendants=True)
    assert alone.peak_rss_bytes < 100 * MIB
    assert tree.peak_rss_bytes > 200 * MIB


class _FakeDbt:
    """dbt run and build that take the given work times, in the order called; every
    call goes to the shared `order`."""

    order: ClassVar[list[str]] = []

    def __init__(self, engine: str, settings: BenchSettings) -> None:
        pass

    def _timing(self, command: str, seconds: float) -> DbtTiming:
        self.order.append(command)
        process = Measured((command,), 0, seconds + 3, 2**20, Path(command))
        return DbtTiming(command, process, "partial", seconds, 12, 100)

    def run(self) -> DbtTiming:
        return self._timing("run", (9.0, 8.0)[self.order.count("run")])

    def build(self) -> DbtTiming:
        return self._timing("build", (20.0, 15.0)[self.order.count("build")])

    def scheduled_build(self) -> DbtTiming:
        return self._timing("scheduled build", (14.0, 13.0)[self.order.count("scheduled build")])

    def whole_project_build(self) -> DbtTiming:
        return self._timing("whole project", 60.0)


SAME = tuple(range(len(FIGURE_COLUMNS)))
OTHER = (*SAME[:-1], 99)


def _fake_bench(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    figures: dict[str, list],
    *,
    with_whole_project: bool = False,
) -> tuple[EngineResult, list[str]]:
    """bench_engine, repeat 2, with dbt and the workers faked: `figures` maps each worker
    task to the figures its successive runs return. Also returns the order of the calls."""
    from capacity.bench import runner

    order: list[str] = []
    monkeypatch.setattr(_FakeDbt, "order", order)
    monkeypatch.setattr(runner, "DbtBench", _FakeDbt)
    served = {task: iter(values) for task, values in figures.items()}

    def worker(task: str, engine: str, settings: BenchSettings, workspaces: int):
        order.append(task)
        return Measured((task,), 0, 5.0, 2**20, tmp_path / task), tmp_path / task

    def read(path: Path):
        return {"w1": next(served[path.name])}, {"seconds": 4.0}

    monkeypatch.setattr(runner, "_worker", worker)
    monkeypatch.setattr(runner, "read_figures", read)
    data = GeneratedData(workspaces=10, slot_entries=100, rows={}, seconds=1.0)
    settings = BenchSettings(data_dir=tmp_path)
    result = runner.bench_engine(
        "duckdb", data, settings, with_naive=False, with_whole_project=with_whole_project, repeat=2
    )
    return result, order


def test_repeat_alternates_and_keeps_the_best_of_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, order = _fake_bench(monkeypatch, tmp_path, {"mart": [SAME] * 6, "floor": [SAME] * 2})
    assert order == ["run", "mart", "floor", "build", "mart", "scheduled build", "mart"] * 2
    build = result.steps["dbt build"]
    assert build.work_seconds == 15.0
    assert build.samples == (20.0, 15.0)
    assert result.steps["dbt build, scheduled"].samples == (14.0, 13.0)
    assert result.steps["dbt run"].samples == (9.0, 8.0)
    assert result.steps["hand-written SQL"].samples == (4.0, 4.0)


def test_the_whole_project_builds_once_after_the_repetitions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    figures = {"mart": [SAME] * 7, "floor": [SAME] * 2}
    result, order = _fake_bench(monkeypatch, tmp_path, figures, with_whole_project=True)
    repetition = ["run", "mart", "floor", "build", "mart", "scheduled build", "mart"]
    assert order == [*repetition, *repetition, "whole project", "mart"]
    whole = result.steps["dbt build, whole project, scheduled"]
    assert (whole.work_seconds, whole.samples) == (60.0, ())
    # the mart it leaves behind is checked like every other build's
    figures["mart"][-1] = OTHER
    with pytest.raises(FiguresDiffer, match="whole project"):
        _fake_bench(monkeypatch, tmp_path, figures, with_whole_project=True)


@pytest.mark.parametrize(
    ("task", "position", "name"),
    [
        ("mart", 0, "dbt run"),
        ("mart", 1, "dbt build"),
        ("mart", 2, "dbt build, scheduled"),
        ("mart", 3, "dbt run, run 2"),
        ("mart", 4, "dbt build, run 2"),
        ("mart", 5, "dbt build, scheduled, run 2"),
        ("floor", 0, "hand-written SQL"),
        ("floor", 1, "hand-written SQL, run 2"),
    ],
)
def test_every_repetitions_figures_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, task: str, position: int, name: str
) -> None:
    figures = {"mart": [SAME] * 6, "floor": [SAME] * 2}
    figures[task] = [OTHER if index == position else SAME for index in range(len(figures[task]))]
    # no time is reported for figures that differ, whichever repetition gave them
    with pytest.raises(FiguresDiffer, match=re.escape(name)):
        _fake_bench(monkeypatch, tmp_path, figures)


def _node(unique_id: str, status: str, start: str, end: str) -> dict[str, object]:
    day = "2026-12-03T12:00:"
    timing = [{"name": "execute", "started_at": day + start, "completed_at": day + end}]
    return {"unique_id": unique_id, "status": status, "timing": timing}


def test_node_window_spans_the_nodes_and_takes_exposures_as_no_op(tmp_path: Path) -> None:
    dbt = DbtBench("duckdb", BenchSettings(data_dir=tmp_path))
    dbt.target_dir.mkdir(parents=True)
    results = [
        _node("model.capacity.m", "success", "01.000000Z", "04.000000Z"),
        _node("test.capacity.t", "warn", "04.000000Z", "05.500000Z"),
        _node("unit_test.capacity.m.u", "pass", "00.500000Z", "01.000000Z"),
        # a build of the whole project lists the exposures, which run nothing
        _node("exposure.capacity.e", "no-op", "05.500000Z", "05.500001Z"),
    ]
    run_results = dbt.target_dir / "run_results.json"
    run_results.write_text(json.dumps({"results": results}))
    assert dbt._node_window() == (pytest.approx(5.000001), 1, 2)
    # anything else that did not succeed stops the benchmark, an exposure included
    for failed in (
        _node("model.capacity.n", "error", "01.0Z", "02.0Z"),
        _node("exposure.capacity.f", "error", "01.0Z", "02.0Z"),
        _node("test.capacity.s", "skipped", "01.0Z", "02.0Z"),
    ):
        run_results.write_text(json.dumps({"results": [*results, failed]}))
        with pytest.raises(RuntimeError, match=re.escape(str(failed["unique_id"]))):
            dbt._node_window()


def test_parse_mode_from_the_file_log_at_info_or_debug(tmp_path: Path) -> None:
    def log(*events: tuple[str, str]) -> Path:
        path = tmp_path / "dbt.log"
        lines = [json.dumps({"info": {"code": code, "msg": msg}}) for code, msg in events]
        path.write_text("\n".join([*lines, "I024 W006 not json"]) + "\n")
        return path

    # at info level, past parsing without a refusal is a partial parse; at debug, its
    # detail shows; a log that never got past parsing says nothing
    assert parse_mode(log(("W006", "Found 12 models"))) == "partial"
    assert parse_mode(log(("Q001", "Running"))).startswith("unknown")
    assert parse_mode(log()).startswith("unknown")
    assert parse_mode(log(("I040", "Partial parsing enabled: 0 files changed."))) == (
        "partial (0 files changed)"
    )
    refused = ("I024", "Unable to do partial parsing because saved manifest not found.")
    assert parse_mode(log(refused)) == "full: because saved manifest not found."
    assert parse_mode(tmp_path / "missing.log") == "unknown (no log)"
