"""Provider misbehaviour: 429 + Retry-After, 5xx, timeouts, 4xx answers (PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from backfill_support import (
    CANDIDATES,
    EXPECTED_WRITES,
    FOREIGN_URI,
    attribution,
    expected_after_apply,
    run_checked,
    snapshot,
)
from fakes.calendar_providers import FakeCalendarProviders

pytestmark = pytest.mark.postgres


def test_429_with_retry_after_waits_then_succeeds(seeded_pg, fake, capsys):
    before = snapshot(seeded_pg.db)
    fake.behaviour.rate_limit_burst = 2  # per token per 1 s window, then 429 Retry-After: 1
    fake.behaviour.rate_limit_window = 1.0

    started = time.monotonic()
    summary = run_checked(
        seeded_pg, fake, capsys, "--apply", "--concurrency", "1", "--ghl-rate-limit", "1000/1"
    )
    elapsed = time.monotonic() - started

    throttled = [r for r in fake.requests if r.status == 429]
    assert throttled, "the fake never throttled: the test did not exercise 429"
    for refused in throttled:
        later = [r for r in fake.requests_for(refused.resource_id or "") if r.seq > refused.seq]
        assert later, f"{refused.resource_id} was not retried after the 429"
        # The client honoured Retry-After (1 s) before asking again, then got its answer.
        assert later[0].wall_time - refused.wall_time >= 0.9
        assert later[-1].status in (200, 404)
    assert elapsed >= 0.9
    assert summary["errors"] == 0
    assert summary["written"] == len(EXPECTED_WRITES)
    assert attribution(snapshot(seeded_pg.db)) == expected_after_apply(
        before, fake.calendly_base_url
    )


def test_client_rate_limit_keeps_under_the_provider_limit(seeded_pg, fake, capsys):
    """With our limit at the provider's (2 per second per token), no 429 happens."""
    fake.behaviour.rate_limit_burst = 2
    fake.behaviour.rate_limit_window = 1.0

    summary = run_checked(seeded_pg, fake, capsys, "--apply", "--ghl-rate-limit", "2/1.05")

    assert [r for r in fake.requests if r.status == 429] == []
    assert summary["written"] == len(EXPECTED_WRITES)


def test_5xx_are_retried_until_success_or_recorded_as_errors(seeded_pg, fake, capsys):
    fake.behaviour.script_by_id = {
        "evt-01": [500, 503],  # fails twice, then answers
        "u-11": [502],
        "evt-02": [500] * 10,  # never recovers within the retry budget
    }

    summary = run_checked(seeded_pg, fake, capsys, "--apply", "--max-retries", "2")

    assert [r.status for r in fake.requests_for("evt-01")] == [500, 503, 200]
    assert [r.status for r in fake.requests_for("u-11")] == [502, 200]
    assert [r.status for r in fake.requests_for("evt-02")] == [500, 500, 500]
    assert summary["errors"] == 1
    assert summary["errors_by_reason"] == {"http_500": 1}
    assert summary["written"] == len(EXPECTED_WRITES) - 1
    values = attribution(snapshot(seeded_pg.db))
    assert values["a01"] == ("cal_main", None)
    assert values["a11"][1] is not None
    assert values["a02"] == (None, None)  # left for a later run


def test_timeouts_are_retried_and_then_recorded(seeded_pg, fake, capsys):
    fake.behaviour.stall_seconds = 1.0
    fake.behaviour.script_by_id = {"evt-01": ["stall"], "u-11": ["stall"] * 5}

    summary = run_checked(
        seeded_pg, fake, capsys, "--apply", "--timeout", "0.3", "--max-retries", "2"
    )

    assert len(fake.requests_for("evt-01")) == 2  # timed out once, then answered
    assert len(fake.requests_for("u-11")) == 3
    assert summary["errors_by_reason"] == {"timeout": 1}
    assert summary["written"] == len(EXPECTED_WRITES) - 1
    values = attribution(snapshot(seeded_pg.db))
    assert values["a01"] == ("cal_main", None)
    assert values["a11"] == (None, None)


def test_4xx_answers_are_recorded_once_and_the_run_goes_on(seeded_pg, fake, capsys):
    fake.behaviour.status_by_id = {"evt-01": 422, "evt-02": 400, "u-11": 404}

    summary = run_checked(seeded_pg, fake, capsys, "--apply")

    for resource_id in ("evt-01", "evt-02", "u-11", "evt-gone", "evt-31"):
        assert len(fake.requests_for(resource_id)) == 1, resource_id
    assert summary["unresolvable"] == {"http_400": 1, "http_404": 2, "http_422": 1, "no_token": 1}
    assert summary["quarantined"] == {"uri_outside_base": 1}
    # A 401 is about the token, not the row: counted apart (see test_backfill_hostile).
    assert summary["auth_failed_rows"] == 1
    assert summary["examined"] == len(CANDIDATES)
    assert summary["written"] == 2  # a03 (recurring id) and a12


def test_calendly_uri_outside_the_base_is_never_requested(pg, capsys):
    """Foreign hosts, look-alike hosts, credentials and other ports are refused unsent."""
    from backfill_support import scenario_fake, seed_scenario

    with FakeCalendarProviders() as elsewhere, scenario_fake() as fake:
        elsewhere.add_calendly_event("u-x", "https://api.calendly.com/event_types/STOLEN")
        base = fake.calendly_base_url
        host_port = base.removeprefix("http://")
        seed_scenario(pg.db, base)
        tricks = {
            "a51": elsewhere.calendly_uri("u-x"),  # another host:port
            "a52": f"http://{host_port}@{elsewhere.calendly_base_url[7:]}/scheduled_events/u-x",
            "a53": f"https://{host_port}/scheduled_events/u-x",  # other scheme
            "a54": f"{base}.evil.invalid/scheduled_events/u-x",  # look-alike host
            "a55": FOREIGN_URI,
        }
        with pg.db.transaction():
            for appointment_id, uri in tricks.items():
                pg.db.execute(
                    f"insert into {pg.db.table('Appointment')} "
                    '("id", "leadId", "provider", "status", "calendlyScheduledEventUri", '
                    '"createdAt", "updatedAt") values (?, ?, ?, ?, ?, now(), now())',
                    (appointment_id, "lead_cal_1", "CALENDLY", "CONFIRMED", uri),
                )
        summary = run_checked(pg, fake, capsys, "--apply", "--provider", "CALENDLY")

    assert elsewhere.requests == []
    assert {r.resource_id for r in fake.requests} == {"u-11", "u-12"}
    # Refused unsent: outside the base, or not even a URI that could be (credentials,
    # a port that is not a number).
    assert sum(summary["quarantined"].values()) == 1 + len(tricks)
    assert set(summary["quarantined"]) <= {"uri_outside_base", "reference_invalid"}
    values = attribution(snapshot(pg.db))
    assert all(values[appointment_id] == (None, None) for appointment_id in tricks)
