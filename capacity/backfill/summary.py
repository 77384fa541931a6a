"""The run's counters and the JSON summary printed on stdout at the end.

Kept separate from the runner so the summary's shape is in one place (the README
documents it field by field) and so nothing secret can reach it: it only ever
receives counts, reasons, ids and filter values.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from capacity.backfill.providers import Outcome


@dataclass
class Summary:
    """Counters for one invocation of the backfill (not cumulative over resumed runs)."""

    dry_run: bool
    examined: int = 0
    resolved: int = 0
    written: int = 0
    skipped_already_set: int = 0
    unresolvable: Counter[str] = field(default_factory=Counter)
    errors_by_reason: Counter[str] = field(default_factory=Counter)
    http_requests: int = 0
    batches: int = 0
    db_round_trips: int = 0
    resumed_after_id: str | None = None
    last_id: str | None = None
    completed: bool = False
    fatal_error: str | None = None
    elapsed_seconds: float = 0.0
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(self.errors_by_reason.values())

    def record(self, outcome: Outcome) -> None:
        """Count one resolved/unresolvable/error outcome (writes are counted separately)."""
        if outcome.kind == "resolved":
            self.resolved += 1
        elif outcome.kind == "unresolvable":
            self.unresolvable[outcome.reason or "unknown"] += 1
        else:
            self.errors_by_reason[outcome.reason or "unknown"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "examined": self.examined,
            "resolved": self.resolved,
            "written": self.written,
            "skipped_already_set": self.skipped_already_set,
            "unresolvable": dict(sorted(self.unresolvable.items())),
            "errors": self.errors,
            "errors_by_reason": dict(sorted(self.errors_by_reason.items())),
            "http_requests": self.http_requests,
            "batches": self.batches,
            "db_round_trips": self.db_round_trips,
            "resumed_after_id": self.resumed_after_id,
            "last_id": self.last_id,
            "completed": self.completed,
            "fatal_error": self.fatal_error,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "filters": self.filters,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=False)
