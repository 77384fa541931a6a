"""The run's counters, printed at the end as text or (``--json``) as one JSON object.

Kept separate from the runner so the summary's shape is in one place (docs/backfill.md
documents it field by field) and so nothing secret can reach it: it only ever
receives counts, reasons, ids and filter values.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from capacity.backfill.providers import AuthFailure, Candidate, Outcome
from capacity.backfill.secret import printable
from capacity.backfill.validation import TOKEN_INVALID


@dataclass
class Summary:
    """Counters for one invocation of the backfill (not cumulative over resumed runs)."""

    dry_run: bool
    run_id: str = ""
    examined: int = 0
    resolved: int = 0
    written: int = 0
    skipped_already_set: int = 0
    changed_during_run: int = 0
    deleted_during_run: int = 0
    unresolvable: Counter[str] = field(default_factory=Counter)
    errors_by_reason: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)
    skipped_quarantined: int = 0
    auth_failed_rows: int = 0
    auth_failures: list[AuthFailure] = field(default_factory=list)
    # provider -> workspaces whose stored token cannot go into a header at all
    unusable_tokens: dict[str, set[str]] = field(default_factory=dict)
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

    @property
    def token_problems(self) -> bool:
        """A workspace's token was rejected or cannot be used (exit code 3)."""
        return bool(self.auth_failures or self.unusable_tokens)

    def record(self, candidate: Candidate, outcome: Outcome) -> None:
        """Count one outcome (writes are counted separately)."""
        reason = outcome.reason or "unknown"
        if outcome.kind == "resolved":
            self.resolved += 1
        elif outcome.kind == "unresolvable":
            self.unresolvable[reason] += 1
        elif outcome.kind == "quarantined":
            self.quarantined[reason] += 1
            if reason == TOKEN_INVALID:
                workspaces = self.unusable_tokens.setdefault(candidate.provider, set())
                workspaces.add(candidate.workspace_id or "?")
        elif outcome.kind == "auth_failed":
            self.auth_failed_rows += 1
        else:
            self.errors_by_reason[reason] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "examined": self.examined,
            "resolved": self.resolved,
            "written": self.written,
            "skipped_already_set": self.skipped_already_set,
            "changed_during_run": self.changed_during_run,
            "deleted_during_run": self.deleted_during_run,
            "unresolvable": dict(sorted(self.unresolvable.items())),
            "quarantined": dict(sorted(self.quarantined.items())),
            "skipped_quarantined": self.skipped_quarantined,
            "auth_failed_rows": self.auth_failed_rows,
            "auth_failed": [
                {
                    "provider": failure.provider,
                    "status": failure.status,
                    "workspaces": sorted(failure.workspaces),
                    "rows_not_requested": failure.rows_not_requested,
                }
                for failure in self.auth_failures
            ],
            "token_invalid": [
                {"provider": provider, "workspaces": sorted(workspaces)}
                for provider, workspaces in sorted(self.unusable_tokens.items())
            ],
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

    def to_text(self) -> str:
        """The same figures for people: one ``name: value`` line per non-empty field."""
        lines = []
        for name, value in self.as_dict().items():
            if value in ({}, [], None) and name not in ("fatal_error",):
                continue
            if isinstance(value, dict):
                value = ", ".join(f"{key}={count}" for key, count in value.items())
            elif isinstance(value, list):
                value = "; ".join(
                    f"{item['provider']} {item.get('status', '')} for ".replace("  ", " ")
                    + ", ".join(printable(w) for w in item["workspaces"])
                    for item in value
                )
            lines.append(f"{name}: {printable(str(value))}")
        return "\n".join(lines)
