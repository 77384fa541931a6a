"""SIGKILL a real `capacity backfill --apply` mid-run, run it again: every row written once.

Both the backfill and the fake providers run as separate processes, as in production
(the fake slows every answer down so the kill lands between batches). A trigger on
"Appointment" records every row update, which is how "written exactly once" is shown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from backfill_support import (
    attribution,
    audited_updates,
    install_audit_trigger,
    snapshot,
    ts,
    without_attribution,
)

from capacity.backfill.checkpoint import TABLE as CHECKPOINT_TABLE

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
GHL_ROWS, CALENDLY_ROWS = 40, 20
GHL_TOKEN = "pit-kill-test-SECRET-dddd"
CALENDLY_TOKEN = "cal-kill-test-SECRET-eeee"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "tests"), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    return env


@pytest.fixture
def fake_process(tmp_path: Path) -> Iterator[dict[str, str]]:
    fixtures = {
        "ghl_events": {f"kevt-{n:03d}": {"calendarId": f"kcal-{n % 3}"} for n in range(GHL_ROWS)},
        "calendly_events": {
            f"kuuid-{n:03d}": {"event_type": f"/event_types/K{n % 2}"} for n in range(CALENDLY_ROWS)
        },
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(fixtures), encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakes.calendar_providers",
            "--fixtures",
            str(path),
            "--delay",
            "0.04",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the fake provider process did not start"
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _seed(db: Any, calendly_base: str) -> list[str]:
    """60 candidates over two workspaces, plus rows the backfill must not touch."""
    created = ts("2026-02-20 10:00:00")
    candidates = []
    with db.transaction():
        for client, ghl_token, cal_token in (
            ("kws_ghl", GHL_TOKEN, None),
            ("kws_cal", None, CALENDLY_TOKEN),
        ):
            db.execute(
                f"insert into {db.table('Client')} values (?, ?, ?)", (client, client, created)
            )
            db.execute(
                f'insert into {db.table("WorkspaceSettings")} ("id", "clientId", '
                '"ghlPrivateIntegrationToken", "calendlyAccessToken") values (?, ?, ?, ?)',
                (f"set_{client}", client, ghl_token, cal_token),
            )
            db.execute(
                f"insert into {db.table('Lead')} values (?, ?, ?)",
                (f"lead_{client}", client, created),
            )
        rows = [
            (f"k{n:03d}-g", "lead_kws_ghl", "GHL", f"kevt-{n:03d}", None) for n in range(GHL_ROWS)
        ]
        rows += [
            (
                f"k{n:03d}-c",
                "lead_kws_cal",
                "CALENDLY",
                None,
                f"{calendly_base}/scheduled_events/kuuid-{n:03d}",
            )
            for n in range(CALENDLY_ROWS)
        ]
        for n, (appointment_id, lead, provider, ghl_ref, cal_ref) in enumerate(rows):
            db.execute(
                f"insert into {db.table('Appointment')} values ({', '.join('?' * 12)})",
                (
                    appointment_id,
                    lead,
                    provider,
                    "CONFIRMED",
                    ts("2026-03-03 10:00:00"),
                    ts("2026-03-03 10:30:00"),
                    ghl_ref,
                    cal_ref,
                    None,
                    None,
                    created,
                    ts(f"2026-02-21 08:{n // 60:02d}:{n % 60:02d}"),
                ),
            )
            candidates.append(appointment_id)
        # Not candidates: already attributed; must come out exactly as they went in.
        db.execute(
            f"insert into {db.table('Appointment')} values ({', '.join('?' * 12)})",
            (
                "k050-x",
                "lead_kws_ghl",
                "GHL",
                "CONFIRMED",
                None,
                None,
                "kevt-001",
                None,
                "kcal-app",
                None,
                created,
                created,
            ),
        )
    return candidates


def _backfill_command(pg: Any, fake: dict[str, str]) -> list[str]:
    """``capacity backfill --apply`` in a process of its own, against the fake process."""
    return [
        sys.executable,
        "-m",
        "capacity.main",
        "backfill",
        "--apply",
        "--json",
        "--target",
        "postgres",
        "--app-schema",
        pg.schema,
        "--checkpoint-schema",
        pg.checkpoint_schema,
        "--ghl-base-url",
        fake["ghl_base_url"],
        "--calendly-base-url",
        fake["calendly_base_url"],
        "--batch-size",
        "5",
        "--concurrency",
        "1",
        "--timeout",
        "5",
    ]


def _control(method: str, fake: dict[str, str], action: str) -> Any:
    """Call the fake process's control endpoint (never through an environment proxy)."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        response = client.request(method, f"{fake['ghl_base_url']}/__fake__/{action}")
        response.raise_for_status()
        return response.json()


def _checkpoint(conn: Any, schema: str) -> tuple[str, int, int, Any] | None:
    try:
        row = conn.execute(
            f'select "last_id", "batches", "rows_written", "completed_at" '
            f'from "{schema}"."{CHECKPOINT_TABLE}"'
        ).fetchone()
    except Exception:  # the table does not exist yet
        return None
    return tuple(row) if row else None


def test_killed_run_resumes_and_writes_every_row_exactly_once(pg, fake_process, tmp_path):
    candidates = _seed(pg.db, fake_process["calendly_base_url"])
    install_audit_trigger(pg.conn, pg.schema)
    before = snapshot(pg.db)
    command = _backfill_command(pg, fake_process)

    # Run 1: SIGKILL once at least 3 batches are committed.
    with (tmp_path / "run1.out").open("w") as out, (tmp_path / "run1.err").open("w") as err:
        first = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=out, stderr=err)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = _checkpoint(pg.conn, pg.checkpoint_schema)
            if state and state[1] >= 3:
                break
            assert first.poll() is None, (tmp_path / "run1.err").read_text()
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    killed_at = _checkpoint(pg.conn, pg.checkpoint_schema)
    assert killed_at is not None
    last_id, _batches, written_before_kill, completed_at = killed_at
    assert completed_at is None
    done = {
        r[0]
        for r in pg.conn.execute(
            f'select "id" from "{pg.schema}"."Appointment" where "id" <= %s', (last_id,)
        ).fetchall()
    } & set(candidates)
    assert 15 <= len(done) < len(candidates), "the kill did not land mid-run"
    assert written_before_kill == len(done)
    _control("post", fake_process, "reset")

    # Run 2: resumes after the last committed batch and finishes.
    second = subprocess.run(
        command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=90
    )
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary["resumed_after_id"] == last_id
    assert summary["completed"] is True
    assert summary["errors"] == 0 and summary["unresolvable"] == {}
    assert written_before_kill + summary["written"] == len(candidates)

    # The second run fetched nothing from the committed batches, and each event once.
    requests = _control("get", fake_process, "requests")
    fetched = Counter(r["resource_id"] for r in requests)
    assert max(fetched.values()) == 1
    ids_by_resource = {
        **{f"kevt-{n:03d}": f"k{n:03d}-g" for n in range(GHL_ROWS)},
        **{f"kuuid-{n:03d}": f"k{n:03d}-c" for n in range(CALENDLY_ROWS)},
    }
    assert {ids_by_resource[r] for r in fetched}.isdisjoint(done)
    assert {ids_by_resource[r] for r in fetched} == set(candidates) - done
    # And no token reached the wrong host.
    assert {r["listener"] for r in requests if r["provider"] == "ghl"} <= {"ghl"}

    # Every candidate was written exactly once, nothing else was updated.
    updates = Counter(audited_updates(pg.conn, pg.schema))
    assert updates == Counter({appointment_id: 1 for appointment_id in candidates})
    after = snapshot(pg.db)
    assert without_attribution(after) == without_attribution(before)
    values = attribution(after)
    for n in range(GHL_ROWS):
        assert values[f"k{n:03d}-g"] == (f"kcal-{n % 3}", None)
    for n in range(CALENDLY_ROWS):
        event_type = f"{fake_process['calendly_base_url']}/event_types/K{n % 2}"
        assert values[f"k{n:03d}-c"] == (None, event_type)
    assert values["k050-x"] == ("kcal-app", None)


def test_sigterm_stops_like_ctrl_c_with_a_summary_and_exact_counters(pg, fake_process, tmp_path):
    """Finding 8: SIGTERM (what a scheduler sends) gives the summary and a checkpoint."""
    candidates = _seed(pg.db, fake_process["calendly_base_url"])
    command = _backfill_command(pg, fake_process)
    process = subprocess.Popen(
        command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = _checkpoint(pg.conn, pg.checkpoint_schema)
        if state and state[1] >= 2:
            break
        assert process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 143, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["fatal_error"] == "interrupted" and summary["completed"] is False
    last_id, batches, written, completed_at = _checkpoint(pg.conn, pg.checkpoint_schema)
    assert completed_at is None and written == summary["written"] > 0
    assert summary["last_id"] == last_id and summary["batches"] == batches
    sent = len(_control("get", fake_process, "requests"))
    # Counted when sent: the interrupted batch's requests too (one may be on its way).
    assert sent <= summary["http_requests"] <= sent + 1
    assert summary["http_requests"] >= summary["examined"] > 0
    assert len(candidates) > summary["examined"]
