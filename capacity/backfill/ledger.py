"""The backfill's own records beside the checkpoint: every write, every quarantined row.

Both tables live in the checkpoint schema (default ``capacity_backfill``), are
created on the first ``--apply`` and are written in the batch's transaction, so they
agree with the app table whatever happens to the process.

``attribution_writes``: one row per value written: ``run_id`` (one per invocation,
printed in the summary), ``appointment_id``, ``column_name``, ``value_written``,
``previous_value`` (the NULL, '' or whitespace that was there), ``provider_answer_id``
(the GHL event id or Calendly event URI of the answer), ``written_at``, and
``reverted_at`` once ``--revert`` put it back.

``attribution_quarantine``: one row per appointment whose reference, token or answer
cannot be used: ``reason``, ``input_key`` (a hash of the provider, both reference
columns and the token's fingerprint as read), ``run_id``, ``quarantined_at``. A later
run skips the row while its inputs still hash to ``input_key`` (so fixing the
reference or the token makes it eligible again) unless ``--retry-quarantined``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from capacity.backfill.db import Database
from capacity.sql import quote_ident

WRITES_TABLE = "attribution_writes"
QUARANTINE_TABLE = "attribution_quarantine"
ATTRIBUTION_COLUMNS = ("ghlCalendarId", "calendlyEventTypeUri")


class UnknownRunError(LookupError):
    """``--revert`` named a run that recorded no write here (a usage error)."""


def input_key(
    provider_raw: str,
    ghl_reference: str | None,
    calendly_reference: str | None,
    token_fingerprint: str | None,
) -> str:
    """What a quarantine decision was made on; any change makes the row eligible again."""
    canonical = json.dumps([provider_raw, ghl_reference, calendly_reference, token_fingerprint])
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Write:
    appointment_id: str
    column_name: str
    value_written: str
    previous_value: str | None
    provider_answer_id: str | None


@dataclass(frozen=True)
class Quarantined:
    appointment_id: str
    provider: str
    reason: str
    input_key: str


def _unnests(count: int) -> str:
    """``count`` array parameters unnested side by side (zipped into rows)."""
    return ", ".join("unnest(?::text[])" for _ in range(count))


class Ledger:
    """The two tables of one checkpoint schema, through the shared :class:`Database`."""

    def __init__(self, db: Database, schema: str) -> None:
        quote_ident(schema)  # validates
        self.db = db
        self.schema = schema
        self.writes = db.table(WRITES_TABLE, schema=schema)
        self.quarantine = db.table(QUARANTINE_TABLE, schema=schema)

    def ensure(self) -> None:
        """Create both tables if missing (only on ``--apply``; the schema exists by then)."""
        self.db.execute(
            f"""create table if not exists {self.writes} (
  "run_id" text not null,
  "appointment_id" text not null,
  "column_name" text not null,
  "value_written" text not null,
  "previous_value" text,
  "provider_answer_id" text,
  "written_at" timestamp not null,
  "reverted_at" timestamp,
  primary key ("run_id", "appointment_id", "column_name")
)"""
        )
        self.db.execute(
            f"""create table if not exists {self.quarantine} (
  "appointment_id" text primary key,
  "provider" text not null,
  "reason" text not null,
  "input_key" text not null,
  "run_id" text not null,
  "quarantined_at" timestamp not null
)"""
        )

    def quarantine_exists(self) -> bool:
        return self.db.table_exists(self.schema, QUARANTINE_TABLE)

    def record_writes(self, run_id: str, writes: Sequence[Write], at: datetime) -> None:
        if not writes:
            return
        # Scalars and arrays in one select list, no FROM: DuckDB numbers the parameters
        # of a FROM subquery before those of the select list.
        self.db.execute(
            f'insert into {self.writes} ("run_id", "appointment_id", "column_name", '
            '"value_written", "previous_value", "provider_answer_id", "written_at") '
            f"select ?, {_unnests(5)}, ?",
            [
                run_id,
                [w.appointment_id for w in writes],
                [w.column_name for w in writes],
                [w.value_written for w in writes],
                [w.previous_value for w in writes],
                [w.provider_answer_id for w in writes],
                at,
            ],
        )

    def record_quarantine(
        self, run_id: str, rows: Sequence[Quarantined], cleared: Sequence[str], at: datetime
    ) -> None:
        """Upsert this batch's quarantined rows; forget ``cleared`` ones (now dealt with)."""
        if cleared:
            self.db.execute(
                f'delete from {self.quarantine} where "appointment_id" in '
                f'(select "id" from {self.db.rows_of(["id"])} as ids)',
                [list(cleared)],
            )
        if not rows:
            return
        self.db.execute(
            f'insert into {self.quarantine} ("appointment_id", "provider", "reason", '
            f'"input_key", "run_id", "quarantined_at") '
            f"select {_unnests(4)}, ?, ? "
            'on conflict ("appointment_id") do update set "provider" = excluded."provider", '
            '"reason" = excluded."reason", "input_key" = excluded."input_key", '
            '"run_id" = excluded."run_id", "quarantined_at" = excluded."quarantined_at"',
            [
                [row.appointment_id for row in rows],
                [row.provider for row in rows],
                [row.reason for row in rows],
                [row.input_key for row in rows],
                run_id,
                at,
            ],
        )

    def revert(self, run_id: str, at: datetime) -> dict[str, int]:
        """Put back ``run_id``'s writes where the value is still the one written.

        One transaction. A value changed since (an explicit edit) or a row deleted is
        left alone and counted; a write already reverted is not reverted twice.
        """
        if not self.db.table_exists(self.schema, WRITES_TABLE):
            raise UnknownRunError(f"no write is recorded for run {run_id}")
        with self.db.transaction():
            total, already = self.db.fetchall(
                f'select count(*), count("reverted_at") from {self.writes} where "run_id" = ?',
                (run_id,),
            )[0]
            if not total:
                raise UnknownRunError(f"no write is recorded for run {run_id}")
            reverted = 0
            for column in ATTRIBUTION_COLUMNS:
                col = quote_ident(column)
                ids = [
                    str(row[0])
                    for row in self.db.fetchall(
                        f"""update {self.db.table("Appointment")} as a
set {col} = w."previous_value"
from {self.writes} as w
where w."run_id" = ? and w."column_name" = ? and w."reverted_at" is null
  and a."id" = w."appointment_id" and a.{col} = w."value_written"
returning a."id"
""",
                        (run_id, column),
                    )
                ]
                if ids:
                    self.db.execute(
                        f'update {self.writes} set "reverted_at" = ? where "run_id" = ? '
                        'and "column_name" = ? and "appointment_id" in '
                        f'(select "id" from {self.db.rows_of(["id"])} as ids)',
                        [at, run_id, column, ids],
                    )
                reverted += len(ids)
        return {
            "writes": int(total),
            "reverted": reverted,
            "left_alone_changed_since": int(total) - int(already) - reverted,
            "already_reverted": int(already),
        }
