"""The benchmark's measurements: a child's own peak memory, and the best of repeats."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from capacity.bench.measure import CommandFailed, run_measured
from capacity.bench.runner import Step, best_of

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
