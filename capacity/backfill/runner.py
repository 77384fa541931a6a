"""The batch loop of ``backfill_appointment_attribution``.

What it guarantees, and how:

- **Only NULLs are filled.** Candidates are rows whose provider's attribution column
  is NULL, and the UPDATE repeats ``... IS NULL`` in its own WHERE clause, so a value
  the app (or a person) wrote between our SELECT and our UPDATE is never overwritten;
  the resolved rows the UPDATE did not touch are counted as ``skipped_already_set``.
- **No other column changes.** The UPDATE sets exactly one column,
  "ghlCalendarId" or "calendlyEventTypeUri". In particular "updatedAt" is left
  alone: the backfill fills in a fact that was always true of the appointment; it
  is not an edit of the appointment, and bumping "updatedAt" on thousands of rows
  would look like activity to anything syncing on it.
- **Batches are independent and resumable.** Rows are read in keyset order
  (``"id" > :last_id ORDER BY "id" LIMIT :batch_size``); each batch's UPDATEs and its
  checkpoint upsert commit in one transaction (see :mod:`capacity.backfill.checkpoint`).
  The provider calls happen before that transaction opens, so no transaction or row
  lock is held while waiting on HTTP.
- **Dry run by default.** Without ``apply`` nothing is written: no UPDATE, no
  checkpoint table.

Candidate rows: provider (trimmed, upper-cased) ``GHL`` with a non-blank
"ghlAppointmentId" and NULL "ghlCalendarId", or ``CALENDLY`` with a non-blank
"calendlyScheduledEventUri" and NULL "calendlyEventTypeUri". The token comes from
"WorkspaceSettings" through "Lead"."clientId". ``--since`` filters on "startAt"
(``"startAt" >= since``; rows without "startAt" are then excluded), because what the
capacity figures count is appointments by start time: ``--since today`` fixes the
rows that the next 30 days' booking % depends on first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from capacity.backfill.checkpoint import (
    DEFAULT_CHECKPOINT_SCHEMA,
    CheckpointLockedError,
    CheckpointState,
    CheckpointStore,
    utc_now,
)
from capacity.backfill.db import Database
from capacity.backfill.progress import NoProgress, Progress
from capacity.backfill.providers import CALENDLY, GHL, Candidate, Outcome
from capacity.backfill.secret import secret_or_none
from capacity.backfill.summary import Summary

log = logging.getLogger(__name__)

# Per provider: (reference column, attribution column, token column).
PROVIDER_COLUMNS: dict[str, tuple[str, str, str]] = {
    GHL: ("ghlAppointmentId", "ghlCalendarId", "ghlPrivateIntegrationToken"),
    CALENDLY: ("calendlyScheduledEventUri", "calendlyEventTypeUri", "calendlyAccessToken"),
}


@dataclass(frozen=True)
class Filters:
    """What selects the rows; part of the checkpoint's run key."""

    workspaces: tuple[str, ...] = ()  # "Client"."id" values (via "Lead"."clientId")
    provider: str | None = None  # GHL or CALENDLY
    since: datetime | None = None  # naive UTC; "startAt" >= since

    def as_dict(self, app_schema: str) -> dict[str, Any]:
        return {
            "app_schema": app_schema,
            "workspaces": sorted(set(self.workspaces)),
            "provider": self.provider,
            "since": self.since.isoformat() if self.since else None,
        }


@dataclass(frozen=True)
class BackfillOptions:
    """How to run; the CLI maps its flags onto this."""

    apply: bool = False
    batch_size: int = 500
    limit: int | None = None  # rows examined by this invocation, at most
    filters: Filters = field(default_factory=Filters)
    concurrency: int = 8  # provider requests in flight at once
    checkpoint_schema: str = DEFAULT_CHECKPOINT_SCHEMA
    reset_checkpoint: bool = False

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.filters.provider is not None and self.filters.provider not in PROVIDER_COLUMNS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDER_COLUMNS)}")


Resolve = Callable[[Candidate], Outcome]


class BackfillAborted(RuntimeError):
    """The run stopped before the end; ``summary`` counts what was done until then.

    Batches committed before the failure stay committed, and the checkpoint points
    after the last of them, so running the same command again resumes.
    """

    def __init__(self, summary: Summary, *, interrupted: bool = False) -> None:
        super().__init__(summary.fatal_error or "backfill aborted")
        self.summary = summary
        self.interrupted = interrupted


def describe_error(exc: BaseException) -> str:
    """A one-line description of an exception (type and message, whitespace collapsed)."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _provider_expr() -> str:
    return 'upper(trim(a."provider"))'


def _candidate_where(
    db: Database, filters: Filters, after_id: str | None
) -> tuple[list[str], list[Any]]:
    provider = _provider_expr()
    branches = []
    for name, (reference, attribution, _token) in PROVIDER_COLUMNS.items():
        if filters.provider not in (None, name):
            continue
        branches.append(
            f"({provider} = '{name}' and a.\"{attribution}\" is null "
            f"and trim(coalesce(a.\"{reference}\", '')) <> '')"
        )
    where = ["(" + " or ".join(branches) + ")"]
    params: list[Any] = []
    if after_id is not None:
        where.append('a."id" > ?')
        params.append(after_id)
    if filters.workspaces:
        marks = ", ".join("?" for _ in filters.workspaces)
        where.append(
            f'a."leadId" in (select l2."id" from {db.table("Lead")} as l2 '
            f'where l2."clientId" in ({marks}))'
        )
        params.extend(filters.workspaces)
    if filters.since is not None:
        where.append('a."startAt" >= ?')
        params.append(filters.since)
    return where, params


def candidate_query(
    db: Database, filters: Filters, after_id: str | None, limit: int
) -> tuple[str, list[Any]]:
    """The keyset page of candidates, joined to their workspace's token.

    The page is chosen in a subquery (primary-key order, LIMIT) before the joins, so
    each batch costs an index range scan, not a join over the whole table.
    """
    where, params = _candidate_where(db, filters, after_id)
    provider = _provider_expr()
    ghl_ref, _, ghl_token = PROVIDER_COLUMNS[GHL]
    cal_ref, _, cal_token = PROVIDER_COLUMNS[CALENDLY]
    sql = f"""select c."id", c."provider", c."reference", l."clientId",
  case when c."provider" = '{GHL}' then ws."{ghl_token}" else ws."{cal_token}" end
from (
  select a."id", a."leadId", {provider} as "provider",
    case when {provider} = '{GHL}' then a."{ghl_ref}" else a."{cal_ref}" end as "reference"
  from {db.table("Appointment")} as a
  where {" and ".join(where)}
  order by a."id"
  limit ?
) as c
left join {db.table("Lead")} as l on l."id" = c."leadId"
left join {db.table("WorkspaceSettings")} as ws on ws."clientId" = l."clientId"
order by c."id"
"""
    return sql, [*params, limit]


def count_candidates(db: Database, filters: Filters, after_id: str | None) -> int:
    """How many candidates remain (for the progress bar only)."""
    where, params = _candidate_where(db, filters, after_id)
    rows = db.fetchall(
        f"select count(*) from {db.table('Appointment')} as a where {' and '.join(where)}", params
    )
    return int(rows[0][0]) if rows else 0


def update_statement(
    db: Database, provider: str, pairs: Sequence[tuple[str, str]]
) -> tuple[str, list[Any]]:
    """One UPDATE for a batch's resolved rows of one provider; re-checks IS NULL."""
    _, attribution, _ = PROVIDER_COLUMNS[provider]
    values = ", ".join("(?, ?)" for _ in pairs)
    sql = f"""update {db.table("Appointment")} as a
set "{attribution}" = v."value"
from (values {values}) as v("id", "value")
where a."id" = v."id" and a."{attribution}" is null
returning a."id"
"""
    params = [item for pair in pairs for item in pair]
    return sql, params


def _to_candidate(row: Sequence[Any]) -> Candidate:
    appointment_id, provider, reference, workspace_id, token = row
    return Candidate(
        appointment_id=str(appointment_id),
        provider=str(provider),
        reference=str(reference).strip(),
        workspace_id=None if workspace_id is None else str(workspace_id),
        token=secret_or_none(token),
    )


def run_backfill(
    db: Database,
    resolve: Resolve,
    options: BackfillOptions,
    *,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Summary:
    """Run the backfill and return its summary.

    Writes (with ``options.apply``) only the provider's attribution column of rows
    where it is still NULL; no other column, "updatedAt" included, is ever changed.

    Provider failures are per-row outcomes and never raise. A database or unexpected
    error (or Ctrl-C) raises :class:`BackfillAborted` carrying the summary so far; the
    batches before the failing one are committed. :class:`CheckpointLockedError` is
    raised as is, before anything was done.
    """
    progress = progress or NoProgress()
    started = clock()
    filters_dict = options.filters.as_dict(db.app_schema)
    summary = Summary(dry_run=not options.apply, filters=filters_dict)
    store = CheckpointStore(db, options.checkpoint_schema, filters_dict)
    round_trips_before = db.round_trips
    locked = False
    try:
        if options.apply:
            store.ensure()
            store.lock()
            locked = True
            if options.reset_checkpoint:
                store.clear()
        state = None if options.reset_checkpoint else store.load()
        if state is not None and not state.in_progress:
            state = None  # the last run completed: start again from the beginning
        after_id = state.last_id if state else None
        summary.resumed_after_id = after_id
        totals = state or CheckpointState("", 0, 0, 0, utc_now(), None)
        if after_id is not None:
            log.info("resuming after appointment %s (checkpoint %s)", after_id, store.key)

        progress.start(
            count_candidates(db, options.filters, after_id)
            if getattr(progress, "wants_total", False)
            else None
        )
        remaining = options.limit
        pool = ThreadPoolExecutor(options.concurrency, thread_name_prefix="backfill")
        try:
            while remaining is None or remaining > 0:
                size = (
                    options.batch_size if remaining is None else min(options.batch_size, remaining)
                )
                sql, params = candidate_query(db, options.filters, after_id, size)
                candidates = [_to_candidate(row) for row in db.fetchall(sql, params)]
                if not candidates:
                    summary.completed = True
                    break
                outcomes = list(pool.map(resolve, candidates))
                totals = _finish_batch(db, store, options, candidates, outcomes, summary, totals)
                after_id = summary.last_id = candidates[-1].appointment_id
                summary.batches += 1
                if remaining is not None:
                    remaining -= len(candidates)
                progress.update(summary)
                if len(candidates) < size:
                    summary.completed = True
                    break
        finally:
            # On Ctrl-C or an error, drop the batch's queued lookups instead of sending them.
            pool.shutdown(wait=True, cancel_futures=True)
        if options.apply and summary.completed:
            store.save(
                CheckpointState(
                    after_id or "",
                    totals.batches,
                    totals.rows_examined,
                    totals.rows_written,
                    totals.started_at,
                    utc_now(),
                )
            )
    except CheckpointLockedError:
        raise
    except KeyboardInterrupt:
        summary.fatal_error = "interrupted"
        raise BackfillAborted(summary, interrupted=True) from None
    except Exception as exc:
        summary.fatal_error = describe_error(exc)
        log.debug("backfill aborted", exc_info=True)
        raise BackfillAborted(summary) from exc
    finally:
        if locked:
            try:
                store.unlock()
            except Exception:  # the connection may be gone; the lock goes with it
                log.debug("could not release the advisory lock", exc_info=False)
        summary.db_round_trips = db.round_trips - round_trips_before
        summary.elapsed_seconds = clock() - started
        progress.finish(summary)
    return summary


def _finish_batch(
    db: Database,
    store: CheckpointStore,
    options: BackfillOptions,
    candidates: Sequence[Candidate],
    outcomes: Sequence[Outcome],
    summary: Summary,
    totals: CheckpointState,
) -> CheckpointState:
    """Count the batch's outcomes and, on ``apply``, write it and move the checkpoint.

    Returns the run's totals after this batch (what the checkpoint now says).
    """
    writes: dict[str, list[tuple[str, str]]] = {GHL: [], CALENDLY: []}
    for candidate, outcome in zip(candidates, outcomes, strict=True):
        summary.examined += 1
        summary.http_requests += outcome.http_requests
        summary.record(outcome)
        if outcome.kind == "resolved" and outcome.value is not None:
            writes[candidate.provider].append((candidate.appointment_id, outcome.value))
            log.debug("appointment %s (%s): resolved", candidate.appointment_id, candidate.provider)
        else:
            log.debug(
                "appointment %s (%s): %s (%s)",
                candidate.appointment_id,
                candidate.provider,
                outcome.kind,
                outcome.reason,
            )
    resolved = sum(len(pairs) for pairs in writes.values())
    written = 0

    def after(written: int) -> CheckpointState:
        return CheckpointState(
            candidates[-1].appointment_id,
            totals.batches + 1,
            totals.rows_examined + len(candidates),
            totals.rows_written + written,
            totals.started_at,
            None,
        )

    if not options.apply:
        return after(0)
    with db.transaction():
        for provider, pairs in writes.items():
            if pairs:
                written += len(db.fetchall(*update_statement(db, provider, pairs)))
        store.save(after(written))
    summary.written += written
    summary.skipped_already_set += resolved - written
    if resolved - written:
        log.info(
            "%d resolved row(s) were set by someone else meanwhile; left as they are",
            resolved - written,
        )
    return after(written)
