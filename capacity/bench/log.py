"""Progress of long benchmark steps, as plain lines on stderr.

Lines rather than a redrawn ``\\r`` line: the 10,000-workspace run is usually left in
the background with stderr in a log file, where carriage returns are noise. At most
one line per ``interval`` seconds, plus the last one.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def say(message: str, stream: TextIO | None = None) -> None:
    """One progress line on stderr (stdout stays for results)."""
    stream = stream or sys.stderr
    stream.write(f"[bench] {message}\n")
    stream.flush()


class Progress:
    """Counts work done toward a known total and reports it now and then."""

    def __init__(self, label: str, total: int, unit: str, interval: float = 5.0) -> None:
        self.label, self.total, self.unit, self.interval = label, total, unit, interval
        self.started = time.perf_counter()
        self.last = self.started
        self.done = 0

    def advance(self, amount: int, detail: str = "") -> None:
        self.done += amount
        now = time.perf_counter()
        if now - self.last >= self.interval or self.done >= self.total:
            self.last = now
            suffix = f", {detail}" if detail else ""
            say(
                f"{self.label}: {self.done:,}/{self.total:,} {self.unit} "
                f"({now - self.started:.0f} s{suffix})"
            )
