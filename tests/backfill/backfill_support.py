"""Shared test data and helpers for the backfill tests (imported by conftest and tests).

The scenario covers what real rows look like: both providers, provider values in
odd case and spacing, a recurring GHL instance id, the ``event`` envelope, rows
already attributed, rows without a reference, a workspace without a token, a
revoked token, a deleted event and a Calendly URI on a foreign host.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fakes.calendar_providers import Behaviour, FakeCalendarProviders

from capacity.backfill import cli as backfill_cli
from capacity.backfill.db import Database
from capacity.cli import EXIT_TOKEN_FAILED

# Tokens look like secrets on purpose: tests grep every output for them.
GHL_TOKEN = "pit-ghl-9f3a0c5e-LIVE-SECRET-aaaa"
CALENDLY_TOKEN = "eyJraWQiOiJjYWxlbmRseSJ9.LIVE-SECRET-bbbb"
REVOKED_TOKEN = "pit-ghl-revoked-SECRET-cccc"
ALL_TOKENS = (GHL_TOKEN, CALENDLY_TOKEN, REVOKED_TOKEN)

# Event types as paths: the fake serves them under its own Calendly base, the only
# place the backfill accepts them from.
ET_INTRO = "/event_types/ET-INTRO"
ET_DIRECT = "/event_types/ET-DIRECT"
ET_PREEXISTING = "https://api.calendly.com/event_types/ET-DIRECT"
FOREIGN_URI = "https://evil.example.invalid/scheduled_events/u-13"
RECURRING_ID = "master9_1767225600000_30"

ATTRIBUTION = ("ghlCalendarId", "calendlyEventTypeUri")


def ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class Appt:
    id: str
    lead: str
    provider: str
    ghl_ref: str | None = None
    calendly_ref: str | None = None
    ghl_cal: str | None = None
    calendly_type: str | None = None
    status: str = "CONFIRMED"
    start: str | None = "2026-03-03 10:00:00"


def scenario_appointments(calendly_base: str) -> list[Appt]:
    def uri(uuid: str) -> str:
        return f"{calendly_base}/scheduled_events/{uuid}"

    return [
        Appt("a01", "lead_ghl_1", "GHL", ghl_ref="evt-01"),
        Appt("a02", "lead_ghl_1", " ghl ", ghl_ref="evt-02", status=" confirmed"),
        Appt(
            "a03",
            "lead_ghl_2",
            "GHL",
            ghl_ref=RECURRING_ID,
            status="CANCELED",
            start="2026-01-10 09:00:00",
        ),
        Appt("a04", "lead_ghl_2", "GHL", ghl_ref="evt-04", ghl_cal="cal_preexisting"),
        Appt("a05", "lead_ghl_2", "GHL", start=None),
        Appt("a06", "lead_ghl_2", "GHL", ghl_ref="evt-gone", start="2026-03-06 10:00:00"),
        Appt("a07", "lead_ghl_1", "GHL", ghl_ref="   "),
        Appt("a11", "lead_cal_1", "CALENDLY", calendly_ref=uri("u-11")),
        Appt(
            "a12",
            "lead_cal_1",
            "calendly",
            calendly_ref=uri("u-12") + "/",
            start="2026-02-01 09:00:00",
        ),
        Appt("a13", "lead_cal_1", "CALENDLY", calendly_ref=FOREIGN_URI),
        Appt(
            "a14", "lead_cal_1", "CALENDLY", calendly_ref=uri("u-14"), calendly_type=ET_PREEXISTING
        ),
        Appt("a15", "lead_cal_1", "CALENDLY", ghl_ref="evt-15"),
        Appt("a21", "lead_none_1", "GHL", ghl_ref="evt-21"),
        Appt("a31", "lead_rev_1", "GHL", ghl_ref="evt-31"),
        Appt("a41", "lead_ghl_1", "ZOOM", ghl_ref="evt-41"),
    ]


# What a full --apply run writes, per appointment id: (ghlCalendarId, calendlyEventTypeUri);
# Calendly values are paths under the fake's base (see expected_after_apply).
EXPECTED_WRITES: dict[str, tuple[str | None, str | None]] = {
    "a01": ("cal_main", None),
    "a02": ("cal_direct", None),
    "a03": ("cal_main", None),
    "a11": (None, ET_INTRO),
    "a12": (None, ET_DIRECT),
}
CANDIDATES = ("a01", "a02", "a03", "a06", "a11", "a12", "a13", "a21", "a31")
EXPECTED_UNRESOLVABLE = {"http_404": 1, "no_token": 1}
EXPECTED_QUARANTINED = {"uri_outside_base": 1}
# ws_revoked's token is rejected: its row is counted apart and the exit code says so.
EXPECTED_AUTH_FAILED = [
    {"provider": "GHL", "status": 401, "workspaces": ["ws_revoked"], "rows_not_requested": 0}
]


def seed_scenario(db: Database, calendly_base: str) -> None:
    """Insert the scenario's workspaces, leads and appointments into ``db.app_schema``."""
    created = ts("2026-02-20 10:00:00")
    with db.transaction():
        for client in ("ws_ghl", "ws_cal", "ws_none", "ws_revoked"):
            db.execute(
                f"insert into {db.table('Client')} values (?, ?, ?)",
                (client, client.upper(), created),
            )
        settings = [
            ("set_ghl", "ws_ghl", "GHL", GHL_TOKEN, None),
            ("set_cal", "ws_cal", "CALENDLY", None, CALENDLY_TOKEN),
            ("set_none", "ws_none", "GHL", None, None),
            ("set_rev", "ws_revoked", "GHL", REVOKED_TOKEN, None),
        ]
        for sid, client, provider, ghl_token, cal_token in settings:
            db.execute(
                f'insert into {db.table("WorkspaceSettings")} ("id", "clientId", '
                '"meetingBookingProvider", "ghlPrivateIntegrationToken", "calendlyAccessToken") '
                "values (?, ?, ?, ?, ?)",
                (sid, client, provider, ghl_token, cal_token),
            )
        leads = [
            ("lead_ghl_1", "ws_ghl"),
            ("lead_ghl_2", "ws_ghl"),
            ("lead_cal_1", "ws_cal"),
            ("lead_none_1", "ws_none"),
            ("lead_rev_1", "ws_revoked"),
        ]
        for lead, client in leads:
            db.execute(f"insert into {db.table('Lead')} values (?, ?, ?)", (lead, client, created))
    insert_appointments(db, scenario_appointments(calendly_base))


def insert_appointments(db: Database, appointments: Sequence[Appt]) -> None:
    """Insert appointments (their leads must exist) in one transaction."""
    created = ts("2026-02-20 10:00:00")
    with db.transaction():
        for n, a in enumerate(appointments):
            start = ts(a.start)
            db.execute(
                f"insert into {db.table('Appointment')} values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    a.id,
                    a.lead,
                    a.provider,
                    a.status,
                    start,
                    start,
                    a.ghl_ref,
                    a.calendly_ref,
                    a.ghl_cal,
                    a.calendly_type,
                    created,
                    ts(f"2026-02-21 08:00:{n % 60:02d}"),
                ),
            )


def add_workspace(
    db: Database, client_id: str, ghl_token: str | None = None, calendly_token: str | None = None
) -> str:
    """A workspace with its settings and one lead; returns the lead's id."""
    created = ts("2026-02-20 10:00:00")
    lead = f"lead_{client_id}"
    with db.transaction():
        db.execute(
            f"insert into {db.table('Client')} values (?, ?, ?)", (client_id, client_id, created)
        )
        db.execute(
            f'insert into {db.table("WorkspaceSettings")} ("id", "clientId", '
            '"ghlPrivateIntegrationToken", "calendlyAccessToken") values (?, ?, ?, ?)',
            (f"set_{client_id}", client_id, ghl_token, calendly_token),
        )
        db.execute(f"insert into {db.table('Lead')} values (?, ?, ?)", (lead, client_id, created))
    return lead


def install_audit_trigger(conn: Any, schema: str) -> None:
    """Record every row update of "Appointment" (and every UPDATE statement) in audit tables."""
    conn.execute(
        f'create table "{schema}"."audit" ("id" text, "ghl" text, "cal" text, '
        '"at" timestamp default clock_timestamp())'
    )
    conn.execute(f'create table "{schema}"."audit_statements" ("at" timestamp)')
    conn.execute(
        f'create function "{schema}"."audit_fn"() returns trigger language plpgsql as $$ '
        f'begin insert into "{schema}"."audit" ("id", "ghl", "cal") values '
        '(new."id", new."ghlCalendarId", new."calendlyEventTypeUri"); return new; end $$'
    )
    conn.execute(
        f'create function "{schema}"."audit_statement_fn"() returns trigger language plpgsql '
        f'as $$ begin insert into "{schema}"."audit_statements" values (clock_timestamp()); '
        "return null; end $$"
    )
    conn.execute(
        f'create trigger "audit_update" after update on "{schema}"."Appointment" '
        f'for each row execute function "{schema}"."audit_fn"()'
    )
    conn.execute(
        f'create trigger "audit_update_statement" after update on "{schema}"."Appointment" '
        f'for each statement execute function "{schema}"."audit_statement_fn"()'
    )


def audited_updates(conn: Any, schema: str) -> list[str]:
    """The ids of the rows updated since the audit trigger was installed, in order."""
    return [row[0] for row in conn.execute(f'select "id" from "{schema}"."audit"').fetchall()]


def scenario_fake(on_request: Any = None) -> FakeCalendarProviders:
    """The fake providers holding the scenario's events (not started)."""
    fake = FakeCalendarProviders(
        behaviour=Behaviour(status_by_token={REVOKED_TOKEN: 401}), on_request=on_request
    )
    fake.add_ghl_event("evt-01", "cal_main")
    fake.add_ghl_event("evt-02", "cal_direct", envelope="event")
    fake.add_ghl_event(RECURRING_ID, "cal_main")
    fake.add_ghl_event("evt-04", "cal_should_never_be_written")
    fake.add_ghl_event("evt-15", "cal_should_never_be_written")
    fake.add_ghl_event("evt-21", "cal_should_never_be_written")
    fake.add_ghl_event("evt-31", "cal_should_never_be_written")
    fake.add_calendly_event("u-11", ET_INTRO)
    fake.add_calendly_event("u-12", ET_DIRECT)
    fake.add_calendly_event("u-14", "/event_types/NEVER")
    return fake


def snapshot(db: Database, table: str = "Appointment") -> dict[str, dict[str, Any]]:
    """Every row of a table, by id, as {column: value}."""
    columns = [
        str(row[0])
        for row in db.fetchall(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            (db.app_schema, table),
        )
    ]
    rows = db.fetchall(f'select * from {db.table(table)} order by "id"')
    return {str(row[0]): dict(zip(columns, row, strict=True)) for row in rows}


def without_attribution(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        key: {col: val for col, val in row.items() if col not in ATTRIBUTION}
        for key, row in rows.items()
    }


def attribution(rows: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {key: (row["ghlCalendarId"], row["calendlyEventTypeUri"]) for key, row in rows.items()}


def expected_after_apply(
    before: dict[str, dict[str, Any]], calendly_base: str
) -> dict[str, tuple[Any, Any]]:
    expected = attribution(before)
    for appointment_id, (ghl, calendly) in EXPECTED_WRITES.items():
        expected[appointment_id] = (ghl, None if calendly is None else calendly_base + calendly)
    return expected


def cli_args(
    target: str,
    app_schema: str,
    checkpoint_schema: str,
    fake: FakeCalendarProviders,
    *extra: str,
) -> list[str]:
    """Flags for a fast test run against the fake (short timeouts and backoffs)."""
    return [
        "backfill",
        "--target",
        target,
        "--app-schema",
        app_schema,
        "--checkpoint-schema",
        checkpoint_schema,
        "--ghl-base-url",
        fake.ghl_base_url,
        "--calendly-base-url",
        fake.calendly_base_url,
        "--connect-timeout",
        "1",
        "--timeout",
        "1",
        "--max-retries",
        "3",
        "--backoff-base",
        "0.02",
        "--backoff-max",
        "0.1",
        "--batch-size",
        "3",
        "--no-progress",
        "--json",
        *extra,
    ]


def build_parser() -> argparse.ArgumentParser:
    """The ``capacity`` parser with only the backfill registered (as capacity.main does)."""
    parser = argparse.ArgumentParser(prog="capacity")
    parser.add_argument("-v", "--verbose", action="store_true")
    subparsers = parser.add_subparsers(dest="command", required=True)
    backfill_cli.register(subparsers)
    return parser


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def checked_summary(self) -> dict[str, Any]:
        """The summary, after checking the exit code: 3 exactly when a token failed."""
        summary = self.summary
        token_problem = summary["auth_failed"] or summary["token_invalid"]
        expected = EXIT_TOKEN_FAILED if token_problem else 0
        assert self.code == expected, self.stderr
        return summary

    @property
    def summary(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert lines, f"no summary on stdout; stderr: {self.stderr}"
        return json.loads(lines[-1])


def run_cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> CliResult:
    """Run ``capacity backfill`` in-process and capture its stdout/stderr."""
    args = build_parser().parse_args(list(argv))
    code = int(args.handler(args))
    out, err = capsys.readouterr()
    return CliResult(code, out, err)


def run_checked(scratch: Any, fake: FakeCalendarProviders, capsys: Any, *extra: str) -> dict:
    """Run the backfill on a scratch schema (see conftest) and return its checked summary."""
    argv = cli_args(scratch.target, scratch.schema, scratch.checkpoint_schema, fake, *extra)
    return run_cli(argv, capsys).checked_summary()
