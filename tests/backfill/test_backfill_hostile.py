"""Issue 14's findings, one test each (PostgreSQL, fake providers, an audit trigger).

Each test names the finding it covers. Hostile data goes in beside the scenario's
good rows, in the same batches, so "one bad row never stops the others" is shown
as well as "the bad row is not written".
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading

import psycopg
import pytest
from backfill_support import (
    EXPECTED_WRITES,
    RECURRING_ID,
    Appt,
    add_workspace,
    attribution,
    audited_updates,
    cli_args,
    expected_after_apply,
    insert_appointments,
    install_audit_trigger,
    run_checked,
    run_cli,
    scenario_fake,
    seed_scenario,
    snapshot,
)
from fakes.calendar_providers import token_fingerprint

from capacity.cli import EXIT_TOKEN_FAILED, EXIT_USAGE

pytestmark = pytest.mark.postgres


def _requested_ids(fake) -> set[str | None]:
    return {r.resource_id for r in fake.requests}


def test_finding_1_bad_references_are_quarantined_and_never_block_a_run(seeded_pg, fake, capsys):
    base = fake.calendly_base_url
    bad = [
        Appt("a01b", "lead_cal_1", "CALENDLY", calendly_ref=f"{base}/scheduled_\tevents/u-11"),
        Appt("a01c", "lead_cal_1", "CALENDLY", calendly_ref=f"{base}/scheduled_events/u-\r\n11"),
        Appt("a02b", "lead_ghl_1", "GHL", ghl_ref="evt-" + "9" * 70_000),
        Appt("a02c", "lead_ghl_1", "GHL", ghl_ref="évt-01"),
        Appt("a03b", "lead_ghl_1", "GHL", ghl_ref="evt-01?x=1"),
        Appt("a11b", "lead_cal_1", "CALENDLY", calendly_ref=f"{base}/scheduled_events/u-11?a=b"),
        Appt("a12b", "lead_cal_1", "CALENDLY", calendly_ref="javascript:alert(1)"),
    ]
    insert_appointments(seeded_pg.db, bad)
    install_audit_trigger(seeded_pg.conn, seeded_pg.schema)
    before = snapshot(seeded_pg.db)

    first = run_checked(seeded_pg, fake, capsys, "--apply")

    assert first["completed"] is True
    assert first["written"] == len(EXPECTED_WRITES)  # the good rows of the same batches
    assert first["quarantined"] == {
        "reference_invalid": 6,
        "reference_too_long": 1,
        "uri_outside_base": 1,  # the scenario's a13
    }
    assert attribution(snapshot(seeded_pg.db)) == expected_after_apply(before, base)
    assert set(audited_updates(seeded_pg.conn, seeded_pg.schema)) == set(EXPECTED_WRITES)
    # Nothing was sent for them: every request names a valid id of the scenario.
    assert _requested_ids(fake) <= {"evt-01", "evt-02", RECURRING_ID, "evt-gone", "evt-31"} | {
        "u-11",
        "u-12",
    }
    quarantine = seeded_pg.db.fetchall(
        f'select "appointment_id", "reason" from "{seeded_pg.checkpoint_schema}".'
        '"attribution_quarantine" order by 1'
    )
    assert {row[0] for row in quarantine} == {a.id for a in bad} | {"a13"}

    # A later run skips them unasked; --retry-quarantined looks again (still no request).
    fake.reset_log()
    second = run_checked(seeded_pg, fake, capsys, "--apply")
    assert second["skipped_quarantined"] == len(bad) + 1
    assert second["quarantined"] == {}
    retried = run_checked(seeded_pg, fake, capsys, "--apply", "--retry-quarantined")
    assert sum(retried["quarantined"].values()) == len(bad) + 1
    assert _requested_ids(fake) <= {"evt-gone", "evt-31"}  # the scenario's unwritten rows

    # Fixing a reference makes its row eligible again without being asked.
    seeded_pg.conn.execute(
        f'update "{seeded_pg.schema}"."Appointment" set "calendlyScheduledEventUri" = %s '
        "where \"id\" = 'a01b'",
        (f"{base}/scheduled_events/u-11",),
    )
    third = run_checked(seeded_pg, fake, capsys, "--apply")
    assert third["written"] == 1
    assert attribution(snapshot(seeded_pg.db))["a01b"] == (None, f"{base}/event_types/ET-INTRO")


def test_finding_2_rows_changed_or_deleted_mid_run_are_left_alone(pg, capsys):
    """Another connection changes references, provider or deletes rows while we fetch."""
    changes = {
        "evt-01": ('set "ghlAppointmentId" = %s', "evt-moved", "a01"),
        "evt-02": ('set "provider" = %s', "ghl", "a02"),
        "u-11": ('set "calendlyScheduledEventUri" = %s', "https://elsewhere.invalid/x", "a11"),
        "u-12": ('set "ghlAppointmentId" = %s', "evt-01", "a12"),
    }
    done: set[str] = set()
    lock = threading.Lock()

    def app_changes_rows_meanwhile(record):
        with lock:
            if record.resource_id in done:
                return
            done.add(record.resource_id or "")
        with psycopg.connect(pg.url, autocommit=True) as other:
            table = f'"{pg.schema}"."Appointment"'
            if record.resource_id in changes:
                assignment, value, appointment_id = changes[record.resource_id]
                other.execute(
                    f'update {table} {assignment} where "id" = %s', (value, appointment_id)
                )
            elif record.resource_id == RECURRING_ID:
                other.execute(f"delete from {table} where \"id\" = 'a03'")

    with scenario_fake(on_request=app_changes_rows_meanwhile) as fake:
        seed_scenario(pg.db, fake.calendly_base_url)
        install_audit_trigger(pg.conn, pg.schema)
        summary = run_checked(pg, fake, capsys, "--apply")

    assert summary["resolved"] == len(EXPECTED_WRITES)
    assert summary["changed_during_run"] == len(changes)
    assert summary["deleted_during_run"] == 1
    assert summary["skipped_already_set"] == 0
    assert summary["written"] == 0
    values = attribution(snapshot(pg.db))
    assert all(values[a] == (None, None) for a in ("a01", "a02", "a11", "a12"))
    # The only updates are the other connection's own.
    assert set(audited_updates(pg.conn, pg.schema)) == {"a01", "a02", "a11", "a12"}


def test_finding_3_answers_that_do_not_match_the_request_are_quarantined(pg, capsys):
    with scenario_fake() as fake:
        base = fake.calendly_base_url
        fake.add_ghl_event("evt-01", "cal_someone_else", id="evt-other")  # another event
        fake.add_ghl_event("evt-02", "c" * 200_000)
        fake.add_ghl_event(RECURRING_ID, "javascript:alert(1)")
        fake.add_calendly_event("u-11", "/event_types/X", uri=f"{base}/scheduled_events/u-99")
        fake.add_calendly_event("u-12", "https://evil.example/event_types/EVIL")
        fake.add_calendly_event("u-16", "javascript:alert(1)")
        fake.add_calendly_event("u-17", "/event_types/../../users/ME")
        fake.add_calendly_event("u-18", {"uri": "/event_types/OBJ"})
        seed_scenario(pg.db, base)
        insert_appointments(
            pg.db,
            [
                Appt(f"a{n}", "lead_cal_1", "CALENDLY", calendly_ref=fake.calendly_uri(f"u-{n}"))
                for n in (16, 17, 18)
            ],
        )
        install_audit_trigger(pg.conn, pg.schema)
        summary = run_checked(pg, fake, capsys, "--apply")

    assert summary["written"] == 0
    assert audited_updates(pg.conn, pg.schema) == []
    assert summary["quarantined"] == {
        "answer_id_mismatch": 2,
        "answer_value_invalid": 5,
        "answer_value_outside_base": 1,
        "uri_outside_base": 1,  # the scenario's a13
    }


def test_finding_4_tokens_never_reach_any_output_even_verbose(pg, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = {
        "ws_crlf": "pit-crlf-SECRET\r\nX-Evil: 1",
        "ws_quote": "pit-quote-SECRET\"'`\\x",
        "ws_unicode": "pit-ünïcode-SECRET-ﬀ",
        "ws_tab": "pit-tab\tSECRET-tail",
        "ws_trailing_lf": "pit-trailing-SECRET-lf\n",
    }
    with scenario_fake() as fake:
        seed_scenario(pg.db, fake.calendly_base_url)
        appointments = []
        for n, (workspace, token) in enumerate(tokens.items()):
            lead = add_workspace(pg.db, workspace, ghl_token=token)
            fake.add_ghl_event(f"evt-t{n}", "cal_main")
            appointments.append(Appt(f"t{n}", lead, "GHL", ghl_ref=f"evt-t{n}"))
        insert_appointments(pg.db, appointments)
        fake.behaviour.script_by_id = {"evt-t1": [500, 429]}  # error paths for the valid one
        result = run_cli(
            ["-v", *cli_args(pg.target, pg.schema, pg.checkpoint_schema, fake, "--apply")], capsys
        )

    summary = result.checked_summary()
    assert summary["quarantined"]["token_invalid"] == len(tokens) - 1
    unusable = {"ws_crlf", "ws_unicode", "ws_tab", "ws_trailing_lf"}
    assert summary["token_invalid"] == [{"provider": "GHL", "workspaces": sorted(unusable)}]
    assert all(workspace in result.stderr for workspace in unusable)  # named, unlike tokens
    # Only the quoted token is usable; the others were never sent, never retried.
    requests = [r for r in fake.requests if r.resource_id and r.resource_id.startswith("evt-t")]
    assert {r.resource_id for r in requests} == {"evt-t1"}
    assert attribution(snapshot(pg.db))["t1"] == ("cal_main", None)
    texts = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "log": caplog.text,
        "records": "".join(r.getMessage() + repr(r.args) for r in caplog.records),
    }
    assert caplog.records
    for where, text in texts.items():
        for token in tokens.values():
            for piece in (token, repr(token)[1:-1], token.split("SECRET")[0] + "SECRET"):
                assert piece not in text, f"a token leaked into {where}"


@pytest.mark.parametrize("status", [401, 403])
def test_finding_6_a_rejected_token_stops_its_workspace_after_one_request(pg, capsys, status):
    token = f"pit-rejected-{status}-SECRET"
    with scenario_fake() as fake:
        fake.behaviour.status_by_token[token] = status
        seed_scenario(pg.db, fake.calendly_base_url)
        lead = add_workspace(pg.db, "ws_rejected", ghl_token=token)
        insert_appointments(
            pg.db, [Appt(f"r{n:02d}", lead, "GHL", ghl_ref=f"evt-r{n}") for n in range(20)]
        )
        result = run_cli(
            cli_args(
                pg.target, pg.schema, pg.checkpoint_schema, fake, "--apply", "--batch-size", "50"
            ),
            capsys,
        )

    assert result.code == EXIT_TOKEN_FAILED
    summary = result.summary
    assert fake.requests_per_token()[token_fingerprint(token)] == 1
    assert summary["auth_failed_rows"] == 20 + 1  # and the scenario's revoked row
    rejected = next(f for f in summary["auth_failed"] if f["workspaces"] == ["ws_rejected"])
    assert (rejected["status"], rejected["rows_not_requested"]) == (status, 19)
    assert "ws_rejected" in result.stderr
    assert token not in result.stderr + result.stdout
    assert summary["written"] == len(EXPECTED_WRITES)  # the other workspaces go on


def test_finding_7_dot_segments_are_refused_before_any_request(seeded_pg, fake, capsys):
    base = fake.calendly_base_url
    references = {
        "d1": ("GHL", ".."),
        "d2": ("GHL", "."),
        "d3": ("CALENDLY", f"{base}/scheduled_events/.."),
        "d4": ("CALENDLY", f"{base}/scheduled_events/%2e%2e"),
        "d5": ("CALENDLY", f"{base}/scheduled_events/%2E%2e/event_types/X"),
        "d6": ("CALENDLY", f"{base}/scheduled_events/../scheduled_events/u-11"),
        "d7": ("CALENDLY", f"{base}/x/../scheduled_events/u-11"),
    }
    insert_appointments(
        seeded_pg.db,
        [
            Appt(
                appointment_id,
                "lead_ghl_1" if provider == "GHL" else "lead_cal_1",
                provider,
                ghl_ref=reference if provider == "GHL" else None,
                calendly_ref=reference if provider == "CALENDLY" else None,
            )
            for appointment_id, (provider, reference) in references.items()
        ],
    )

    summary = run_checked(seeded_pg, fake, capsys, "--apply")

    assert summary["quarantined"]["reference_dot_segment"] == len(references)
    assert all(".." not in r.path and "%2" not in r.path.lower() for r in fake.requests)
    assert all(r.resource_id is not None for r in fake.requests)  # no bare collection GET
    assert len(fake.requests_for("u-11")) == 1  # the scenario's own row only


def test_finding_8_rate_limit_stays_under_the_providers_sliding_window(pg, capsys):
    token = "pit-busy-SECRET"
    with scenario_fake() as fake:
        fake.behaviour.rate_limit_burst = 10
        fake.behaviour.rate_limit_window = 1.0
        seed_scenario(pg.db, fake.calendly_base_url)
        lead = add_workspace(pg.db, "ws_busy", ghl_token=token)
        insert_appointments(
            pg.db, [Appt(f"b{n:02d}", lead, "GHL", ghl_ref=f"evt-b{n}") for n in range(30)]
        )
        summary = run_checked(
            pg,
            fake,
            capsys,
            "--workspace",
            "ws_busy",
            "--batch-size",
            "30",
            "--ghl-rate-limit",
            "10/1",  # exactly the provider's limit: the margin keeps us under it
        )

    assert [r for r in fake.requests if r.status == 429] == []
    assert fake.busiest_window(1.0, token_fingerprint(token)) <= 10
    assert summary["examined"] == 30 and summary["unresolvable"] == {"http_404": 30}


def test_finding_8_progress_total_honours_limit_and_json_is_optional(seeded_pg, fake, capsys):
    args = cli_args(seeded_pg.target, seeded_pg.schema, seeded_pg.checkpoint_schema, fake)
    args.remove("--json")
    args[args.index("--no-progress")] = "--progress"
    result = run_cli([*args, "--limit", "4"], capsys)

    assert "4/4" in result.stderr and "/9" not in result.stderr
    assert result.stdout.startswith("run_id: ")
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)
    assert "examined: 4" in result.stdout.splitlines()


def test_finding_8_backfill_help_does_not_import_dbt():
    code = (
        "import sys\n"
        "from capacity.main import main\n"
        "try:\n    main(['backfill', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert not [m for m in sys.modules if m == 'dbt' or m.startswith('dbt.')]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--retry-quarantined" in done.stdout and "--revert" in done.stdout


def test_finding_5_lookups_run_concurrently_and_each_batch_is_one_update(pg, capsys):
    token = "pit-many-SECRET"
    with scenario_fake() as fake:
        fake.behaviour.delay_seconds = 0.05
        seed_scenario(pg.db, fake.calendly_base_url)
        lead = add_workspace(pg.db, "ws_many", ghl_token=token)
        for n in range(40):
            fake.add_ghl_event(f"evt-m{n}", "cal_main")
        insert_appointments(
            pg.db, [Appt(f"m{n:02d}", lead, "GHL", ghl_ref=f"evt-m{n}") for n in range(40)]
        )
        install_audit_trigger(pg.conn, pg.schema)
        summary = run_checked(
            pg,
            fake,
            capsys,
            "--apply",
            "--workspace",
            "ws_many",
            "--batch-size",
            "20",
            "--concurrency",
            "8",
        )

    assert summary["written"] == 40 and summary["batches"] == 2
    assert fake.max_in_flight >= 4  # lookups overlap (the first, a probe, goes alone)
    statements = pg.conn.execute(f'select count(*) from "{pg.schema}"."audit_statements"')
    assert statements.fetchone()[0] == 2  # one UPDATE per batch


def test_blank_targets_are_filled_and_real_values_never_overwritten(seeded_pg, fake, capsys):
    """Issue 13: '' and whitespace-only identifiers are missing, exactly like NULL."""
    fake.add_ghl_event("evt-w1", "cal_w1")
    fake.add_ghl_event("evt-w2", "cal_w2")
    fake.add_ghl_event("evt-w3", "cal_never")
    fake.add_calendly_event("u-w4", "/event_types/W4")
    insert_appointments(
        seeded_pg.db,
        [
            Appt("w1", "lead_ghl_1", "GHL", ghl_ref="evt-w1", ghl_cal=""),
            Appt("w2", "lead_ghl_1", "GHL", ghl_ref="evt-w2", ghl_cal=" \t\r\n\u00a0"),
            Appt("w3", "lead_ghl_1", "GHL", ghl_ref="evt-w3", ghl_cal=" x "),
            Appt(
                "w4",
                "lead_cal_1",
                "CALENDLY",
                calendly_ref=fake.calendly_uri("u-w4"),
                calendly_type="\u3000",
            ),
        ],
    )

    summary = run_checked(seeded_pg, fake, capsys, "--apply")

    values = attribution(snapshot(seeded_pg.db))
    assert values["w1"] == ("cal_w1", None)
    assert values["w2"] == ("cal_w2", None)
    assert values["w3"] == (" x ", None)
    assert values["w4"] == (None, f"{fake.calendly_base_url}/event_types/W4")
    assert fake.requests_for("evt-w3") == []
    assert summary["written"] == len(EXPECTED_WRITES) + 3

    # The revert puts back exactly what was there, '' and whitespace included.
    reverted = run_cli(
        [
            *cli_args(seeded_pg.target, seeded_pg.schema, seeded_pg.checkpoint_schema, fake),
            "--revert",
            summary["run_id"],
        ],
        capsys,
    )
    assert reverted.code == 0, reverted.stderr
    values = attribution(snapshot(seeded_pg.db))
    assert values["w1"] == ("", None)
    assert values["w2"] == (" \t\r\n\u00a0", None)
    assert values["w4"] == (None, "\u3000")


def test_revert_puts_back_one_runs_writes_and_leaves_later_edits(seeded_pg, fake, capsys):
    before = snapshot(seeded_pg.db)
    applied = run_checked(seeded_pg, fake, capsys, "--apply")
    assert applied["written"] == len(EXPECTED_WRITES)
    seeded_pg.conn.execute(
        f'update "{seeded_pg.schema}"."Appointment" set "ghlCalendarId" = %s where "id" = \'a01\'',
        ("cal_set_by_a_person",),
    )
    args = cli_args(seeded_pg.target, seeded_pg.schema, seeded_pg.checkpoint_schema, fake)

    first = run_cli([*args, "--revert", applied["run_id"]], capsys)
    second = run_cli([*args, "--revert", applied["run_id"]], capsys)
    unknown = run_cli([*args, "--revert", "no-such-run"], capsys)

    assert first.code == 0, first.stderr
    assert json.loads(first.stdout) == {
        "revert_run_id": applied["run_id"],
        "writes": len(EXPECTED_WRITES),
        "reverted": len(EXPECTED_WRITES) - 1,
        "left_alone_changed_since": 1,
        "already_reverted": 0,
    }
    assert json.loads(second.stdout)["already_reverted"] == len(EXPECTED_WRITES) - 1
    assert json.loads(second.stdout)["reverted"] == 0
    assert unknown.code == EXIT_USAGE and "no-such-run" in unknown.stderr
    expected = attribution(before)
    expected["a01"] = ("cal_set_by_a_person", None)
    assert attribution(snapshot(seeded_pg.db)) == expected
    audit = seeded_pg.db.fetchall(
        f'select "appointment_id", "column_name", "value_written", "provider_answer_id" '
        f'from "{seeded_pg.checkpoint_schema}"."attribution_writes" order by 1'
    )
    assert [row[0] for row in audit] == sorted(EXPECTED_WRITES)
    assert audit[0][1:] == ("ghlCalendarId", "cal_main", "evt-01")
    assert audit[-1][3] == f"{fake.calendly_base_url}/scheduled_events/u-12"
