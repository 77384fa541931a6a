"""The backfill against real PostgreSQL and the fake providers: outcomes, safety, filters."""

from __future__ import annotations

import threading
from datetime import datetime

import psycopg
import pytest
from backfill_support import (
    CALENDLY_TOKEN,
    CANDIDATES,
    EXPECTED_AUTH_FAILED,
    EXPECTED_QUARANTINED,
    EXPECTED_UNRESOLVABLE,
    EXPECTED_WRITES,
    GHL_TOKEN,
    RECURRING_ID,
    attribution,
    cli_args,
    expected_after_apply,
    run_checked,
    run_cli,
    scenario_fake,
    seed_scenario,
    snapshot,
    without_attribution,
)
from fakes.calendar_providers import token_fingerprint

from capacity.backfill.checkpoint import TABLE as CHECKPOINT_TABLE

pytestmark = pytest.mark.postgres


def test_apply_fills_both_providers_and_records_per_row_outcomes(seeded_pg, fake, capsys):
    before = snapshot(seeded_pg.db)

    result = run_cli(
        cli_args(seeded_pg.target, seeded_pg.schema, seeded_pg.checkpoint_schema, fake, "--apply"),
        capsys,
    )

    summary = result.checked_summary()
    assert summary["dry_run"] is False
    assert summary["examined"] == len(CANDIDATES)
    assert summary["resolved"] == len(EXPECTED_WRITES)
    assert summary["written"] == len(EXPECTED_WRITES)
    assert summary["skipped_already_set"] == 0
    assert summary["unresolvable"] == EXPECTED_UNRESOLVABLE
    assert summary["quarantined"] == EXPECTED_QUARANTINED
    assert summary["auth_failed"] == EXPECTED_AUTH_FAILED
    assert summary["errors"] == 0
    assert summary["completed"] is True

    after = snapshot(seeded_pg.db)
    assert attribution(after) == expected_after_apply(before, fake.calendly_base_url)
    # No other column of any row changed ("updatedAt" included), no row added or lost.
    assert without_attribution(after) == without_attribution(before)

    # Requests: the right headers, each token only to its own provider's host.
    ghl = [r for r in fake.requests if r.listener == "ghl"]
    calendly = [r for r in fake.requests if r.listener == "calendly"]
    assert {r.resource_id for r in ghl} == {"evt-01", "evt-02", RECURRING_ID, "evt-gone", "evt-31"}
    assert {r.resource_id for r in calendly} == {"u-11", "u-12"}
    assert all(r.version_header == "2021-04-15" for r in ghl)
    assert all(r.authorization and r.authorization.startswith("Bearer ") for r in fake.requests)
    assert token_fingerprint(CALENDLY_TOKEN) not in {r.token_fingerprint for r in ghl}
    assert {r.token_fingerprint for r in calendly} == {token_fingerprint(CALENDLY_TOKEN)}
    assert fake.requests_per_token()[token_fingerprint(GHL_TOKEN)] == 4
    # 401 and 404 are answers, not failures: asked once, not retried.
    assert len(fake.requests_for("evt-gone")) == 1
    assert len(fake.requests_for("evt-31")) == 1


def test_dry_run_writes_nothing(seeded_pg, fake, capsys):
    before = snapshot(seeded_pg.db)

    result = run_cli(
        cli_args(seeded_pg.target, seeded_pg.schema, seeded_pg.checkpoint_schema, fake), capsys
    )

    summary = result.checked_summary()
    assert summary["dry_run"] is True
    assert summary["examined"] == len(CANDIDATES)
    assert summary["resolved"] == len(EXPECTED_WRITES)
    assert summary["written"] == 0
    assert summary["unresolvable"] == EXPECTED_UNRESOLVABLE
    assert snapshot(seeded_pg.db) == before
    # Not even the checkpoint schema is created by a dry run.
    assert not seeded_pg.db.fetchall(
        "select 1 from information_schema.schemata where schema_name = ?",
        (seeded_pg.checkpoint_schema,),
    )


def test_concurrent_writer_is_never_overwritten(pg, capsys):
    """The app sets a row's attribution while the backfill is fetching it."""
    written_by_app = threading.Event()

    def app_writes_meanwhile(record):
        if record.resource_id == "evt-02" and not written_by_app.is_set():
            with psycopg.connect(pg.url, autocommit=True) as other:
                other.execute(
                    f'update "{pg.schema}"."Appointment" set "ghlCalendarId" = %s where "id" = %s',
                    ("cal_set_by_app", "a02"),
                )
            written_by_app.set()

    with scenario_fake(on_request=app_writes_meanwhile) as fake:
        seed_scenario(pg.db, fake.calendly_base_url)
        result = run_cli(
            cli_args(pg.target, pg.schema, pg.checkpoint_schema, fake, "--apply"), capsys
        )

    assert written_by_app.is_set()
    summary = result.checked_summary()
    assert summary["resolved"] == len(EXPECTED_WRITES)
    assert summary["skipped_already_set"] == 1
    assert summary["written"] == len(EXPECTED_WRITES) - 1
    assert attribution(snapshot(pg.db))["a02"] == ("cal_set_by_app", None)


def test_filters_workspace_provider_since_and_limit(seeded_pg, fake, capsys):
    def run(*extra: str) -> dict:
        return run_checked(seeded_pg, fake, capsys, *extra)

    # Dry runs: what each filter selects.
    assert run("--provider", "calendly")["examined"] == 3  # a11, a12, a13
    assert run("--workspace", "ws_ghl")["examined"] == 4  # a01, a02, a03, a06
    assert run("--workspace", "ws_none", "--workspace", "ws_revoked")["examined"] == 2
    # --since is on "startAt": a03 (January) and a12 (February 1st) are before March.
    march = run("--since", "2026-03-01")
    assert march["examined"] == len(CANDIDATES) - 2
    assert march["filters"]["since"] == "2026-03-01T00:00:00"
    # a01, a02, a06, a21, a31 (an offset is converted to UTC).
    assert run("--since", "2026-03-01T00:00:00-05:00", "--provider", "GHL")["examined"] == 5
    assert run("--limit", "4")["examined"] == 4
    assert fake.requests_for("u-13") == []

    # --apply with --workspace and --provider writes only inside the filter.
    applied = run("--apply", "--workspace", "ws_ghl", "--provider", "GHL", "--since", "2026-03-01")
    assert applied["written"] == 2  # a01, a02 (a03 starts in January; a06 is a 404)
    values = attribution(snapshot(seeded_pg.db))
    assert values["a01"] == ("cal_main", None)
    assert values["a03"] == (None, None)
    assert values["a11"] == (None, None)


def test_limit_resumes_from_checkpoint_and_a_completed_run_starts_over(seeded_pg, fake, capsys):
    def run(*extra: str) -> dict:
        return run_checked(seeded_pg, fake, capsys, *extra)

    first = run("--apply", "--limit", "4")
    assert (first["examined"], first["completed"], first["resumed_after_id"]) == (4, False, None)
    assert first["last_id"] == "a06"

    fake.reset_log()
    second = run("--apply")
    assert second["resumed_after_id"] == "a06"
    assert second["examined"] == len(CANDIDATES) - 4
    assert second["completed"] is True
    assert {r.resource_id for r in fake.requests}.isdisjoint({"evt-01", "evt-02", "evt-gone"})

    checkpoint = seeded_pg.db.fetchall(
        f'select "last_id", "batches", "rows_examined", "rows_written", "completed_at" '
        f'from "{seeded_pg.checkpoint_schema}"."{CHECKPOINT_TABLE}"'
    )
    assert len(checkpoint) == 1
    last_id, batches, examined, written, completed_at = checkpoint[0]
    assert (last_id, examined, written) == ("a31", len(CANDIDATES), len(EXPECTED_WRITES))
    assert batches >= 3
    assert isinstance(completed_at, datetime)

    # After completion, the next run starts over and finds only the still-NULL rows,
    # less the quarantined one (a13, outside the base), which it skips unasked.
    third = run("--apply")
    assert third["resumed_after_id"] is None
    assert third["skipped_quarantined"] == 1
    assert third["examined"] == len(CANDIDATES) - len(EXPECTED_WRITES) - 1
    assert third["written"] == 0
