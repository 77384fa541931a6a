"""The batch loop of ``backfill_appointment_attribution``.

What it guarantees, and how:

- **Only missing identifiers are filled, and only with what was asked for.**
  Candidates are rows whose provider's attribution column is missing (NULL, '' or
  whitespace only: SPEC §5). The UPDATE is a compare-and-set: it writes only where
  the target still holds exactly the missing value read *and* "provider",
  "ghlAppointmentId" and "calendlyScheduledEventUri" still equal what the answer was
  fetched for. A row the app changed meanwhile is left alone and counted
  (``skipped_already_set``, ``changed_during_run``, ``deleted_during_run``).
- **No other column changes.** The UPDATE sets the attribution columns only (the
  other one to itself). "updatedAt" is left alone: the backfill fills in a fact that
  was always true of the appointment; it is not an edit.
- **One bad row never stops a run.** References and tokens are checked before any
  request, answers before any write (:mod:`capacity.backfill.validation`); a row
  that fails is quarantined with its reason (:mod:`capacity.backfill.ledger`) and
  skipped by later runs unless ``retry_quarantined``.
- **Batches are independent and resumable.** Rows are read in keyset order; each
  batch's UPDATE, its audit rows, its quarantine rows and its checkpoint commit in
  one transaction (see :mod:`capacity.backfill.checkpoint`). The provider calls run
  concurrently on one event loop before that transaction opens, so no transaction or
  row lock is held while waiting on HTTP.
- **Dry run by default.** Without ``apply`` nothing is written: no UPDATE, no table.

Candidate rows: provider (trimmed, upper-cased) ``GHL`` with a non-blank
"ghlAppointmentId" and a missing "ghlCalendarId", or ``CALENDLY`` with a non-blank
"calendlyScheduledEventUri" and a missing "calendlyEventTypeUri". The token comes
from "WorkspaceSettings" through "Lead"."clientId". ``--since`` filters on "startAt"
(``"startAt" >= since``; rows without "startAt" are then excluded), because what the
capacity figures count is appointments by start time.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from capacity.backfill.checkpoint import (
    DEFAULT_CHECKPOINT_SCHEMA,
    CheckpointLockedError,
    CheckpointState,
    CheckpointStore,
    utc_now,
)
from capacity.backfill.db import Database
from capacity.backfill.ledger import Ledger, Quarantined, Write, input_key
from capacity.backfill.providers import CALENDLY, GHL, AuthFailure, Candidate, Outcome
from capacity.backfill.secret import Secret, fingerprint_of, printable, redact, register
from capacity.backfill.status_line import NoProgress, Progress
from capacity.backfill.summary import Summary
from capacity.backfill.validation import (
    MAX_BATCH_SIZE,
    Rejected,
    checked_token,
    is_missing,
)

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
    limit: int | None = None  # rows read by this invocation, at most
    filters: Filters = field(default_factory=Filters)
    concurrency: int = 16  # provider requests in flight at once
    checkpoint_schema: str = DEFAULT_CHECKPOINT_SCHEMA
    reset_checkpoint: bool = False
    retry_quarantined: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.filters.provider is not None and self.filters.provider not in PROVIDER_COLUMNS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDER_COLUMNS)}")


class Resolver(Protocol):
    """What the runner needs from :class:`~capacity.backfill.providers.AttributionResolver`."""

    @property
    def requests_sent(self) -> int: ...
    async def resolve(self, candidate: Candidate) -> Outcome: ...
    def auth_failures(self) -> list[AuthFailure]: ...
    async def aclose(self) -> None: ...


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
        target_missing = db.is_blank(f'a."{attribution}"')
        reference_blank = db.is_blank(f'a."{reference}"')
        branches.append(f"({provider} = '{name}' and {target_missing} and not {reference_blank})")
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
    db: Database,
    filters: Filters,
    after_id: str | None,
    limit: int,
    quarantine_table: str | None,
) -> tuple[str, list[Any]]:
    """The keyset page of candidates, joined to their workspace's token and, when
    ``quarantine_table`` is given, to the row's quarantine key.

    The page is chosen in a subquery (primary-key order, LIMIT) before the joins, so
    each batch costs an index range scan, not a join over the whole table.
    """
    where, params = _candidate_where(db, filters, after_id)
    provider = _provider_expr()
    ghl_ref, ghl_target, ghl_token = PROVIDER_COLUMNS[GHL]
    cal_ref, cal_target, cal_token = PROVIDER_COLUMNS[CALENDLY]
    quarantine_key = 'q."input_key"' if quarantine_table else "null"
    quarantine_join = (
        f'left join {quarantine_table} as q on q."appointment_id" = c."id"'
        if quarantine_table
        else ""
    )
    sql = f"""select c."id", c."provider", c."provider_raw", c."ghl_ref", c."cal_ref",
  c."target", l."clientId",
  case when c."provider" = '{GHL}' then ws."{ghl_token}" else ws."{cal_token}" end,
  {quarantine_key}
from (
  select a."id", a."leadId", {provider} as "provider", a."provider" as "provider_raw",
    a."{ghl_ref}" as "ghl_ref", a."{cal_ref}" as "cal_ref",
    case when {provider} = '{GHL}' then a."{ghl_target}" else a."{cal_target}" end as "target"
  from {db.table("Appointment")} as a
  where {" and ".join(where)}
  order by a."id"
  limit ?
) as c
left join {db.table("Lead")} as l on l."id" = c."leadId"
left join {db.table("WorkspaceSettings")} as ws on ws."clientId" = l."clientId"
{quarantine_join}
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


@dataclass(frozen=True)
class Row:
    """A candidate plus what the runner needs beside it (its quarantine keys)."""

    candidate: Candidate
    input_key: str
    stored_quarantine_key: str | None

    @property
    def skipped_as_quarantined(self) -> bool:
        return self.stored_quarantine_key == self.input_key


def to_row(record: Sequence[Any]) -> Row:
    """A page row (see :func:`candidate_query`) as a :class:`Row`."""
    (appointment_id, provider, provider_raw, ghl_ref, cal_ref, target, workspace_id) = record[:7]
    raw_token, stored_key = record[7], record[8]
    register(raw_token)
    token: Secret | None = None
    token_rejected = False
    try:
        token = checked_token(raw_token)
    except Rejected:
        token_rejected = True
    reference = ghl_ref if provider == GHL else cal_ref
    candidate = Candidate(
        appointment_id=str(appointment_id),
        provider=str(provider),
        reference=str(reference),
        workspace_id=None if workspace_id is None else str(workspace_id),
        token=token,
        provider_raw=str(provider_raw),
        ghl_reference=ghl_ref,
        calendly_reference=cal_ref,
        previous_value=target,
        token_rejected=token_rejected,
    )
    fingerprint = None if raw_token is None else fingerprint_of(raw_token)
    key = input_key(str(provider_raw), ghl_ref, cal_ref, fingerprint)
    return Row(candidate, key, None if stored_key is None else str(stored_key))


def update_statement(db: Database, writes: Sequence[tuple[Candidate, str]]) -> tuple[str, list]:
    """One compare-and-set UPDATE for a batch's resolved rows, both providers.

    A row is written only where its target still holds exactly the missing value
    read, and "provider" and both reference columns still equal what was read.
    """
    ghl_ref, ghl_target, _ = PROVIDER_COLUMNS[GHL]
    cal_ref, cal_target, _ = PROVIDER_COLUMNS[CALENDLY]
    columns = ("id", "provider", "value", "provider_raw", "ghl_ref", "cal_ref", "previous")
    target = f'case when v."provider" = \'{GHL}\' then a."{ghl_target}" else a."{cal_target}" end'
    sql = f"""update {db.table("Appointment")} as a
set "{ghl_target}" = case when v."provider" = '{GHL}' then v."value" else a."{ghl_target}" end,
  "{cal_target}" = case when v."provider" = '{CALENDLY}' then v."value" else a."{cal_target}" end
from {db.rows_of(columns)} as v
where a."id" = v."id"
  and a."provider" = v."provider_raw"
  and a."{ghl_ref}" is not distinct from v."ghl_ref"
  and a."{cal_ref}" is not distinct from v."cal_ref"
  and {target} is not distinct from v."previous"
  and {db.is_blank(target)}
returning a."id"
"""
    params = [
        [c.appointment_id for c, _ in writes],
        [c.provider for c, _ in writes],
        [value for _, value in writes],
        [c.provider_raw for c, _ in writes],
        [c.ghl_reference for c, _ in writes],
        [c.calendly_reference for c, _ in writes],
        [c.previous_value for c, _ in writes],
    ]
    return sql, params


def _classify_unwritten(db: Database, candidates: Sequence[Candidate], summary: Summary) -> None:
    """Why resolved rows were not written: deleted, set meanwhile, or changed."""
    ghl_ref, ghl_target, _ = PROVIDER_COLUMNS[GHL]
    cal_ref, cal_target, _ = PROVIDER_COLUMNS[CALENDLY]
    current = {
        str(row[0]): row[1:]
        for row in db.fetchall(
            f'select "id", "provider", "{ghl_ref}", "{cal_ref}", "{ghl_target}", '
            f'"{cal_target}" from {db.table("Appointment")} '
            f'where "id" in (select "id" from {db.rows_of(["id"])} as ids)',
            [[c.appointment_id for c in candidates]],
        )
    }
    for candidate in candidates:
        row = current.get(candidate.appointment_id)
        if row is None:
            summary.deleted_during_run += 1
            continue
        provider_raw, ghl, cal, ghl_value, cal_value = row
        target = ghl_value if candidate.provider == GHL else cal_value
        if (provider_raw, ghl, cal) == (
            candidate.provider_raw,
            candidate.ghl_reference,
            candidate.calendly_reference,
        ) and not is_missing(target):
            summary.skipped_already_set += 1
        else:
            summary.changed_during_run += 1


async def _resolve_batch(
    resolver: Resolver, candidates: Sequence[Candidate], gate: asyncio.Semaphore
) -> list[Outcome]:
    """Resolve a batch, each lookup holding a slot of ``gate`` (the run's concurrency)."""

    async def one(candidate: Candidate) -> Outcome:
        async with gate:
            return await resolver.resolve(candidate)

    return list(await asyncio.gather(*(one(c) for c in candidates)))


class _BatchLoop:
    """Reads, resolves and writes the batches, the database overlapping the HTTP.

    Database work runs in order on one thread of its own (one connection): while
    batch N's lookups are in flight, batch N-1 commits and batch N+1 is read. The
    counters and the checkpoint move only when a batch commits, in that thread.
    """

    def __init__(
        self,
        db: Database,
        store: CheckpointStore,
        ledger: Ledger,
        resolver: Resolver,
        options: BackfillOptions,
        summary: Summary,
        progress: Progress,
        totals: CheckpointState,
    ) -> None:
        self.db = db
        self.store = store
        self.ledger = ledger
        self.resolver = resolver
        self.options = options
        self.summary = summary
        self.progress = progress
        self.totals = totals
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="backfill-db")

    def close(self) -> None:
        self._db_thread.shutdown(wait=True, cancel_futures=True)

    def _on_db_thread(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self._db_thread, fn, *args)

    def _read_page(self, after_id: str | None, size: int, quarantine: str | None) -> list[Row]:
        sql, params = candidate_query(self.db, self.options.filters, after_id, size, quarantine)
        return [to_row(record) for record in self.db.fetchall(sql, params)]

    def _write_batch(self, rows: Sequence[Row], outcomes: Sequence[Outcome]) -> None:
        self.totals = _finish_batch(
            self.db,
            self.store,
            self.ledger,
            self.options,
            rows,
            outcomes,
            self.summary,
            self.totals,
        )
        self.summary.last_id = rows[-1].candidate.appointment_id
        self.summary.batches += 1
        self.summary.http_requests = self.resolver.requests_sent
        self.progress.update(self.summary)

    async def run(self, after_id: str | None, quarantine: str | None) -> None:
        """Process every page after ``after_id``, at most ``options.limit`` rows.

        Two batches resolve at once, sharing the concurrency: the next batch's lookups
        fill the slots the current batch's last ones leave free, instead of the
        connections idling while a batch's slowest answer comes back.
        """
        remaining = self.options.limit
        size = self._page_size(remaining)
        if size == 0:
            return
        gate = asyncio.Semaphore(self.options.concurrency)
        next_page = self._on_db_thread(self._read_page, after_id, size, quarantine)
        resolving: tuple[list[Row], asyncio.Future[list[Outcome]]] | None = None
        writing: asyncio.Future[Any] | None = None
        while next_page is not None or resolving is not None:
            started = None
            if next_page is not None:
                rows: list[Row] = await next_page
                next_page = None
                if remaining is not None:
                    remaining -= len(rows)
                following = self._page_size(remaining)
                if len(rows) < size:
                    self.summary.completed = True
                elif following:
                    # Keyset order: the next page needs only this page's last id.
                    last_id = rows[-1].candidate.appointment_id
                    next_page = self._on_db_thread(self._read_page, last_id, following, quarantine)
                size = following
                if rows:
                    candidates = [row.candidate for row in rows if not row.skipped_as_quarantined]
                    lookups = asyncio.ensure_future(_resolve_batch(self.resolver, candidates, gate))
                    started = (rows, lookups)
            if resolving is not None:
                done_rows, lookups = resolving
                outcomes = await lookups
                if writing is not None:
                    await writing  # in order, and a failed write stops the run here
                writing = self._on_db_thread(self._write_batch, done_rows, outcomes)
            resolving = started
        if writing is not None:
            await writing

    def _page_size(self, remaining: int | None) -> int:
        size = self.options.batch_size
        return size if remaining is None else min(size, remaining)


def run_backfill(
    db: Database,
    resolver: Resolver,
    options: BackfillOptions,
    *,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Summary:
    """Run the backfill and return its summary.

    Writes (with ``options.apply``) only the provider's attribution column of rows
    where it is still missing and nothing the answer depends on has changed.

    Per-row failures are outcomes and never raise. A database or unexpected error
    (or Ctrl-C / SIGTERM) raises :class:`BackfillAborted` carrying the summary so far;
    the batches before the failing one are committed. :class:`CheckpointLockedError`
    is raised as is, before anything was done.
    """
    progress = progress or NoProgress()
    started = clock()
    filters_dict = options.filters.as_dict(db.app_schema)
    summary = Summary(dry_run=not options.apply, filters=filters_dict, run_id=uuid.uuid4().hex[:16])
    store = CheckpointStore(db, options.checkpoint_schema, filters_dict)
    ledger = Ledger(db, options.checkpoint_schema)
    round_trips_before = db.round_trips
    locked = False
    loop = asyncio.Runner()
    try:
        if options.apply:
            store.ensure()
            ledger.ensure()
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
            log.info(
                "resuming after appointment %s (checkpoint %s)", printable(after_id), store.key
            )
        quarantine_table = (
            ledger.quarantine
            if not options.retry_quarantined and ledger.quarantine_exists()
            else None
        )

        if progress.wants_total:
            total = count_candidates(db, options.filters, after_id)
            progress.start(total if options.limit is None else min(total, options.limit))
        else:
            progress.start(None)
        batches = _BatchLoop(db, store, ledger, resolver, options, summary, progress, totals)
        try:
            loop.run(batches.run(after_id, quarantine_table))
        finally:
            batches.close()  # waits for a write in progress: it commits whole or not at all
        totals = batches.totals
        after_id = summary.last_id or after_id
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
        summary.fatal_error = redact(describe_error(exc))
        log.debug("backfill aborted", exc_info=True)
        raise BackfillAborted(summary) from exc
    finally:
        try:
            loop.run(resolver.aclose())
        finally:
            loop.close()
        if locked:
            try:
                store.unlock()
            except Exception:  # the connection may be gone; the lock goes with it
                log.debug("could not release the advisory lock", exc_info=False)
        summary.http_requests = resolver.requests_sent
        summary.auth_failures = resolver.auth_failures()
        summary.db_round_trips = db.round_trips - round_trips_before
        summary.elapsed_seconds = clock() - started
        progress.finish(summary)
    return summary


def _finish_batch(
    db: Database,
    store: CheckpointStore,
    ledger: Ledger,
    options: BackfillOptions,
    rows: Sequence[Row],
    outcomes: Sequence[Outcome],
    summary: Summary,
    totals: CheckpointState,
) -> CheckpointState:
    """Count the batch's outcomes and, on ``apply``, write it and move the checkpoint.

    Returns the run's totals after this batch (what the checkpoint now says).
    """
    resolved = [row for row in rows if not row.skipped_as_quarantined]
    summary.skipped_quarantined += len(rows) - len(resolved)
    writes: list[tuple[Candidate, str, Outcome]] = []
    quarantined: list[Quarantined] = []
    cleared: list[str] = []  # rows with a stale quarantine entry, dealt with now
    debug = log.isEnabledFor(logging.DEBUG)  # one line per row: not even formatted unless -v
    for row, outcome in zip(resolved, outcomes, strict=True):
        candidate = row.candidate
        summary.examined += 1
        summary.record(candidate, outcome)
        if outcome.kind == "resolved" and outcome.value is not None:
            writes.append((candidate, outcome.value, outcome))
        if outcome.kind == "quarantined":
            quarantined.append(
                Quarantined(
                    candidate.appointment_id,
                    candidate.provider,
                    outcome.reason or "unknown",
                    row.input_key,
                )
            )
        elif row.stored_quarantine_key is not None:
            cleared.append(candidate.appointment_id)
        if debug:
            log.debug(
                "appointment %s (%s): %s (%s)",
                printable(candidate.appointment_id),
                candidate.provider,
                outcome.kind,
                outcome.reason,
            )
    written_count = 0

    def after(written: int) -> CheckpointState:
        return CheckpointState(
            rows[-1].candidate.appointment_id,
            totals.batches + 1,
            totals.rows_examined + len(rows),
            totals.rows_written + written,
            totals.started_at,
            None,
        )

    if not options.apply:
        return after(0)
    now = utc_now()
    with db.transaction():
        written_ids: set[str] = set()
        if writes:
            pairs = [(candidate, value) for candidate, value, _ in writes]
            written_ids = {str(r[0]) for r in db.fetchall(*update_statement(db, pairs))}
            unwritten = [c for c, _, _ in writes if c.appointment_id not in written_ids]
            if unwritten:
                _classify_unwritten(db, unwritten, summary)
        ledger.record_writes(
            summary.run_id,
            [
                Write(
                    candidate.appointment_id,
                    PROVIDER_COLUMNS[candidate.provider][1],
                    value,
                    candidate.previous_value,
                    outcome.answer_id,
                )
                for candidate, value, outcome in writes
                if candidate.appointment_id in written_ids
            ],
            now,
        )
        ledger.record_quarantine(summary.run_id, quarantined, cleared, now)
        written_count = len(written_ids)
        store.save(after(written_count))
    summary.written += written_count
    not_written = len(writes) - written_count
    if not_written:
        log.info("%d resolved row(s) changed meanwhile; left as they are", not_written)
    return after(written_count)
