"""Run a command as a child process and measure it: wall time and the child's peak RSS.

The peak comes from ``os.wait4``, the rusage of exactly that child (and of any
grandchildren it waited for), so a measurement never includes this process's own
memory or an earlier child's, which ``RUSAGE_CHILDREN`` would (it keeps the maximum
over all children ever reaped).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """One child process: how it ended, how long it took, how much memory it peaked at."""

    argv: tuple[str, ...]
    exit_code: int
    seconds: float
    peak_rss_bytes: int
    output_path: Path

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_bytes / 2**20

    def output_tail(self, lines: int = 40) -> str:
        text = self.output_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class CommandFailed(RuntimeError):
    """A measured command exited non-zero; the message carries the end of its output."""


# A query plan gone wrong can spill tens of gigabytes (DuckDB writes its temp files
# next to the database): stop the child before the disk, shared with others, is full.
MIN_FREE_DISK_BYTES = 8 * 2**30


def _guard_disk(process: subprocess.Popen[bytes], path: Path, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if shutil.disk_usage(path).free < MIN_FREE_DISK_BYTES:
            process.send_signal(signal.SIGTERM)
            return


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    output_path: Path,
    check: bool = True,
) -> Measured:
    """Run ``argv`` to completion; stdout and stderr go to ``output_path`` (not a pipe,
    which a chatty child could fill and block on). The child is stopped (SIGTERM) if the
    free space of the disk it writes to falls below MIN_FREE_DISK_BYTES."""
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        stop = threading.Event()
        guard = threading.Thread(
            target=_guard_disk, args=(process, output_path.parent, stop), daemon=True
        )
        guard.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            stop.set()
        seconds = time.perf_counter() - started
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code  # reaped here: tell Popen so it does not wait again
    measured = Measured(
        argv=tuple(argv),
        exit_code=exit_code,
        seconds=seconds,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
        output_path=output_path,
    )
    if check and exit_code != 0:
        raise CommandFailed(
            f"{' '.join(argv[:3])} ... exited {exit_code}:\n{measured.output_tail()}"
        )
    return measured
