"""A one-line progress display on stderr, only when stderr is a terminal.

stdout is reserved for the summary (so it can be piped), and a log file or CI
log must not fill with carriage-return noise, hence the TTY check.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

from capacity.backfill.summary import Summary


class Progress(Protocol):
    wants_total: bool  # whether the runner should count the candidates first

    def start(self, total: int | None) -> None: ...
    def update(self, summary: Summary) -> None: ...
    def finish(self, summary: Summary) -> None: ...


class NoProgress:
    """Used when stderr is not a terminal or ``--no-progress`` is given."""

    wants_total = False

    def start(self, total: int | None) -> None:
        pass

    def update(self, summary: Summary) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        pass


class ProgressLine:
    """Redraws one line (``\\r``) at most every ``interval`` seconds."""

    wants_total = True

    def __init__(
        self,
        stream: TextIO | None = None,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self.clock = clock
        self.total: int | None = None
        self.started = clock()
        self.last_draw = 0.0
        self.width = 0

    def start(self, total: int | None) -> None:
        self.total = total
        self.started = self.clock()

    def update(self, summary: Summary) -> None:
        now = self.clock()
        if now - self.last_draw >= self.interval:
            self.last_draw = now
            self._draw(summary, now)

    def finish(self, summary: Summary) -> None:
        self._draw(summary, self.clock())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, summary: Summary, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = summary.examined / elapsed
        mode = "dry run" if summary.dry_run else "apply"
        if self.total:
            done = min(summary.examined / self.total, 1.0)
            filled = int(done * 24)
            head = f"[{'#' * filled}{'.' * (24 - filled)}] {summary.examined}/{self.total}"
        else:
            head = f"{summary.examined} rows"
        unresolvable = sum(summary.unresolvable.values())
        text = (
            f"backfill ({mode}) {head} | resolved {summary.resolved} written {summary.written} "
            f"already-set {summary.skipped_already_set} unresolvable {unresolvable} "
            f"errors {summary.errors} | {rate:,.0f} rows/s"
        )
        pad = max(self.width - len(text), 0)
        self.width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()


def make_progress(enabled: bool | None, stream: TextIO | None = None) -> Progress:
    """``enabled`` None means "when the stream is a terminal"."""
    stream = stream or sys.stderr
    if enabled is None:
        enabled = bool(getattr(stream, "isatty", lambda: False)())
    return ProgressLine(stream) if enabled else NoProgress()
