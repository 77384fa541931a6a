"""Run a command as a child process and measure it: wall time and the child's peak RSS.

The peak is the child's own high-water mark (``VmHWM`` in ``/proc/<pid>/status``),
read every 50 ms while it runs (growth in a child's last 50 ms, or all of a child that
lives less than that, is not seen: the commands measured here run for seconds).
Not ``ru_maxrss`` from ``wait4``/``RUSAGE_CHILDREN``:
Linux carries a process's maximum RSS across ``fork`` and ``execve``, so every child of
the benchmark would report at least the benchmark's own peak (which holds the data
generator and an in-process DuckDB). ``VmHWM`` belongs to the address space the
command's ``execve`` created, so it counts that command and nothing else.

A command that starts processes of its own (pyspark starts a JVM) is measured with
``include_descendants``: then the peak is also the largest sum of the resident sets of
the command and all its descendants seen by one poll.
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

POLL_SECONDS = 0.05
# A query plan gone wrong can spill tens of gigabytes (DuckDB writes its temp files
# next to the database): stop the child before the disk, shared with others, is full.
MIN_FREE_DISK_BYTES = 8 * 2**30


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


def high_water_rss(pid: int) -> int | None:
    """The peak resident set of a live process's address space, in bytes (None once it
    has exited, or is a zombie, which has no address space left)."""
    return _status_field(pid, "VmHWM:")


def _status_field(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def tree_rss(pid: int) -> int:
    """The summed resident set of ``pid`` and every process descended from it, now."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                # pid (comm) state ppid ...: comm may hold spaces, so split after ")"
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _status_field(current, "VmRSS:") or 0
        stack.extend(children.get(current, ()))
    return total


class _Watcher(threading.Thread):
    """Follows a child while it runs: its peak RSS, and the free space of a disk."""

    def __init__(
        self, process: subprocess.Popen[bytes], disk: Path, include_descendants: bool
    ) -> None:
        super().__init__(daemon=True)
        self.process, self.disk = process, disk
        self.include_descendants = include_descendants
        self.peak = 0
        self.stopped = threading.Event()
        self.disk_full = False

    def run(self) -> None:
        while True:
            peak = high_water_rss(self.process.pid)
            if peak is not None:
                self.peak = max(self.peak, peak)
            if self.include_descendants:
                self.peak = max(self.peak, tree_rss(self.process.pid))
            if not self.disk_full and shutil.disk_usage(self.disk).free < MIN_FREE_DISK_BYTES:
                self.disk_full = True
                self.process.send_signal(signal.SIGTERM)
            if self.stopped.wait(POLL_SECONDS):
                return


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    output_path: Path,
    check: bool = True,
    include_descendants: bool = False,
    show_stderr: bool = False,
) -> Measured:
    """Run ``argv`` to completion; stdout and stderr go to ``output_path`` (not a pipe,
    which a chatty child could fill and block on), or stderr to the terminal with
    ``show_stderr`` (a long step's progress lines). The child is stopped (SIGTERM) if the
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
            stderr=None if show_stderr else subprocess.STDOUT,
        )
        watcher = _Watcher(process, output_path.parent, include_descendants)
        watcher.start()
        try:
            # waitid with WNOWAIT: the child has exited but is not reaped yet, so the
            # watcher's last look at /proc is not a look at a recycled pid.
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
            seconds = time.perf_counter() - started
        except BaseException:  # interrupted: do not leave the child running
            process.kill()
            raise
        finally:
            watcher.stopped.set()
            watcher.join()
        exit_code = process.wait()
    measured = Measured(
        argv=tuple(argv),
        exit_code=exit_code,
        seconds=seconds,
        peak_rss_bytes=watcher.peak,
        output_path=output_path,
    )
    if watcher.disk_full:
        raise CommandFailed(
            f"{' '.join(argv[:3])} ... stopped: less than {MIN_FREE_DISK_BYTES // 2**30} GiB "
            f"left on the disk of {output_path.parent}"
        )
    if check and exit_code != 0:
        raise CommandFailed(
            f"{' '.join(argv[:3])} ... exited {exit_code}:\n{measured.output_tail()}"
        )
    return measured
