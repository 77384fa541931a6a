"""The backfill's checkpoint: a small table in a schema of the backfill's own.

Design (why a table and not a file): the checkpoint row is upserted *in the same
transaction* as the batch's UPDATEs, so "these rows were written" and "resume after
this id" commit or vanish together. A run killed at any instant (SIGKILL, OOM, a
lost connection) resumes after the last committed batch; a file could only be
written before or after the commit, never atomically with it.

Table ``"<checkpoint schema>"."attribution_checkpoint"`` (default schema
``capacity_backfill``, created on the first ``--apply`` run, in the same database as
the app tables), one row per *run key*:

- ``run_key``: a hash of what selects the rows (app schema, ``--workspace``,
  ``--provider``, ``--since``), so a run with other filters has its own position;
- ``filters``: the same, as JSON, for people;
- ``last_id``: the keyset position: the last "Appointment"."id" of the last
  committed batch;
- ``batches``, ``rows_examined``, ``rows_written``: totals over the run, resumes
  included; ``started_at``, ``updated_at``, ``completed_at`` (UTC).

A run whose checkpoint has ``completed_at`` NULL is resumed; after a run completes,
the next run with the same filters starts from the beginning again (which then
re-examines only rows still missing a value, i.e. those unresolved before, less the
quarantined ones). ``--reset-checkpoint`` starts from the beginning regardless. A dry
run reads the checkpoint (to preview what ``--apply`` would do next) but never creates
or writes it. Tokens are never in it.

On PostgreSQL an ``--apply`` run also holds a session advisory lock on its run key,
so two backfills with the same filters cannot interleave.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from capacity.backfill.db import Database
from capacity.sql import quote_ident

TABLE = "attribution_checkpoint"
DEFAULT_CHECKPOINT_SCHEMA = "capacity_backfill"


class CheckpointLockedError(RuntimeError):
    """Another backfill with the same run key holds the lock."""


@dataclass(frozen=True)
class CheckpointState:
    """A stored checkpoint row."""

    last_id: str
    batches: int
    rows_examined: int
    rows_written: int
    started_at: datetime
    completed_at: datetime | None

    @property
    def in_progress(self) -> bool:
        return self.completed_at is None


def run_key(filters: dict[str, Any]) -> str:
    """A stable key for the filters that select the rows (order-independent)."""
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


def utc_now() -> datetime:
    """Naive UTC, like the app's timestamp(3) columns."""
    return datetime.now(UTC).replace(tzinfo=None)


class CheckpointStore:
    """Reads and writes one run key's checkpoint row through the shared :class:`Database`."""

    def __init__(self, db: Database, schema: str, filters: dict[str, Any]) -> None:
        quote_ident(schema)  # validates
        self.db = db
        self.schema = schema
        self.filters = filters
        self.key = run_key(filters)
        self.table = db.table(TABLE, schema=schema)

    def ensure(self) -> None:
        """Create the schema and table if missing (only on ``--apply``)."""
        self.db.execute(f"create schema if not exists {quote_ident(self.schema)}")
        self.db.execute(
            f"""create table if not exists {self.table} (
  "run_key" text primary key,
  "filters" text not null,
  "last_id" text not null,
  "batches" bigint not null,
  "rows_examined" bigint not null,
  "rows_written" bigint not null,
  "started_at" timestamp not null,
  "updated_at" timestamp not null,
  "completed_at" timestamp
)"""
        )

    def lock(self) -> None:
        """Take the run key's advisory lock (PostgreSQL; DuckDB locks the whole file)."""
        if self.db.dialect != "postgres":
            return
        rows = self.db.fetchall(
            "select pg_try_advisory_lock(hashtextextended(?, 0))", (f"{TABLE}:{self.key}",)
        )
        if not (rows and rows[0][0]):
            raise CheckpointLockedError(
                "another backfill with the same filters is running on this database"
            )

    def unlock(self) -> None:
        if self.db.dialect == "postgres":
            self.db.execute(
                "select pg_advisory_unlock(hashtextextended(?, 0))", (f"{TABLE}:{self.key}",)
            )

    def load(self) -> CheckpointState | None:
        """The stored row for this run key, or None (also when the table does not exist)."""
        if not self.db.table_exists(self.schema, TABLE):
            return None
        rows = self.db.fetchall(
            f'select "last_id", "batches", "rows_examined", "rows_written", "started_at", '
            f'"completed_at" from {self.table} where "run_key" = ?',
            (self.key,),
        )
        if not rows:
            return None
        last_id, batches, examined, written, started_at, completed_at = rows[0]
        return CheckpointState(
            str(last_id), int(batches), int(examined), int(written), started_at, completed_at
        )

    def save(self, state: CheckpointState) -> None:
        """Upsert the row; called inside the batch's transaction."""
        self.db.execute(
            f"""insert into {self.table} ("run_key", "filters", "last_id", "batches",
  "rows_examined", "rows_written", "started_at", "updated_at", "completed_at")
values (?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict ("run_key") do update set
  "filters" = excluded."filters", "last_id" = excluded."last_id",
  "batches" = excluded."batches", "rows_examined" = excluded."rows_examined",
  "rows_written" = excluded."rows_written", "started_at" = excluded."started_at",
  "updated_at" = excluded."updated_at", "completed_at" = excluded."completed_at"
""",
            (
                self.key,
                json.dumps(self.filters, sort_keys=True, default=str),
                state.last_id,
                state.batches,
                state.rows_examined,
                state.rows_written,
                state.started_at,
                utc_now(),
                state.completed_at,
            ),
        )

    def clear(self) -> None:
        """Forget this run key's position (``--reset-checkpoint`` on ``--apply``)."""
        self.db.execute(f'delete from {self.table} where "run_key" = ?', (self.key,))
