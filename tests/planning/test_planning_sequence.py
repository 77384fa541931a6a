"""Planning signals over a sequence of builds, on hand-written data.

Four GHL workspaces, each with one free slot a day at 10:00 and a 7-day
window, built as of three Mondays a week apart. Bookings per week are chosen
so the % booked is known by hand: booked / (booked + 7).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from support import isolate_dbt_paths

from capacity.app_tables import create_app_tables_duckdb
from capacity.mart import dbt_runner
from capacity.warehouse import Warehouse, connect, fetch_dicts

APP_SCHEMA = "app"
AS_OF_DATES = [datetime(2026, 3, 2, 9), datetime(2026, 3, 9, 9), datetime(2026, 3, 16, 9)]
# workspace -> bookings in each of the three weeks (7 free slots a week)
WEEKLY_BOOKINGS = {
    "w_rising": [1, 7, 28],  # 12.5% -> 50% -> 80%
    "w_steady": [21, 21, 21],  # 75% each week
    "w_falling": [63, 35, 28],  # 90% -> 83.3% -> 80%
    "w_stale": [63, 63, 63],  # 90%, but its cache reports an error
}
CREATED = datetime(2026, 1, 1)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_app_data(database: Path) -> None:
    free_slots = [iso(datetime(2026, 3, 2, 10) + timedelta(days=day)) for day in range(28)]
    with duckdb.connect(str(database)) as conn:
        create_app_tables_duckdb(conn, APP_SCHEMA)
        for workspace_id, weekly in WEEKLY_BOOKINGS.items():
            conn.execute(
                f'insert into {APP_SCHEMA}."Client" values (?, ?, ?)',
                [workspace_id, workspace_id, CREATED],
            )
            conn.execute(
                f'insert into {APP_SCHEMA}."WorkspaceSettings" ("id", "clientId", '
                '"meetingBookingProvider", "ghlDefaultCalendarId") values (?, ?, ?, ?)',
                [f"s_{workspace_id}", workspace_id, "GHL", f"cal_{workspace_id}"],
            )
            conn.execute(
                f'insert into {APP_SCHEMA}."Lead" values (?, ?, ?)',
                [f"l_{workspace_id}", workspace_id, CREATED],
            )
            conn.execute(
                f'insert into {APP_SCHEMA}."WorkspaceAvailabilityCache" '
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    f"c_{workspace_id}",
                    workspace_id,
                    "DEFAULT",
                    json.dumps(free_slots),
                    datetime(2026, 3, 16, 8, 30),
                    datetime(2026, 3, 1),
                    datetime(2026, 4, 30),
                    "GHL 500" if workspace_id == "w_stale" else None,
                    datetime(2026, 3, 16, 8, 30),
                ],
            )
            appointments = []
            for week, count in enumerate(weekly):
                for number in range(count):
                    start = AS_OF_DATES[week].replace(hour=11) + timedelta(
                        days=number % 7, minutes=number // 7
                    )
                    appointments.append(
                        [
                            f"a_{workspace_id}_{week}_{number}",
                            f"l_{workspace_id}",
                            "GHL",
                            "CONFIRMED",
                            start,
                            start + timedelta(minutes=30),
                            f"evt_{workspace_id}_{week}_{number}",
                            None,
                            f"cal_{workspace_id}",
                            None,
                            CREATED,
                            CREATED,
                        ]
                    )
            conn.executemany(
                f'insert into {APP_SCHEMA}."Appointment" values ({", ".join("?" * 12)})',
                appointments,
            )


def build_as_of(as_of: datetime) -> None:
    dbt_runner.build(
        dbt_vars={
            "capacity_as_of": iso(as_of),
            "capacity_window_days": 7,
            "app_schema": APP_SCHEMA,
        },
        extra=["--select", "+capacity_constrained_workspaces", "+workspace_capacity_daily"],
    )


def rows(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    with connect(warehouse) as connection:
        return fetch_dicts(connection, sql)


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Three weekly builds of the hand-written data, then the last one again."""
    tmp = tmp_path_factory.mktemp("planning")
    database = tmp / "planning.duckdb"
    write_app_data(database)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
        for as_of in AS_OF_DATES:
            build_as_of(as_of)
    return Warehouse("duckdb", str(database), "main")


def test_history_holds_one_row_per_workspace_and_run(sequence: Warehouse) -> None:
    history = rows(
        sequence, "select workspace_id, as_of_date, booked_pct from workspace_capacity_history"
    )
    assert len(history) == len(WEEKLY_BOOKINGS) * len(AS_OF_DATES)
    by_key = {(row["workspace_id"], row["as_of_date"]): row["booked_pct"] for row in history}
    for workspace_id, weekly in WEEKLY_BOOKINGS.items():
        for as_of, booked in zip(AS_OF_DATES, weekly, strict=True):
            assert by_key[(workspace_id, as_of.date())] == pytest.approx(
                100 * booked / (booked + 7)
            )


def test_rerunning_an_as_of_replaces_its_rows(sequence: Warehouse, tmp_path: Path) -> None:
    before = rows(
        sequence, "select count(*) as n, max(recorded_at) as latest from workspace_capacity_history"
    )[0]
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp_path)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", sequence.dsn)
        build_as_of(AS_OF_DATES[-1])
    after = rows(
        sequence, "select count(*) as n, max(recorded_at) as latest from workspace_capacity_history"
    )[0]
    assert after["n"] == before["n"]
    assert after["latest"] > before["latest"], "the re-run's rows replaced the earlier ones"


def test_trend_and_ranking_after_the_sequence(sequence: Warehouse) -> None:
    result = {
        row["workspace_id"]: row
        for row in rows(sequence, "select * from capacity_constrained_workspaces")
    }
    rising, falling, steady, stale = (
        result[w] for w in ("w_rising", "w_falling", "w_steady", "w_stale")
    )

    # 12.5% -> 80% over 14 days: +67.5 points, 4.82 a day, 20 points to go -> full in 5 days.
    assert rising["constraint_status"] == "constrained"
    assert rising["constrained_rank"] == 1
    assert rising["trend_run_count"] == 3
    assert rising["booked_pct_change"] == pytest.approx(67.5)
    assert rising["trend_direction"] == "rising"
    assert rising["projected_days_until_fully_booked"] == 5

    # Also 80%, but falling from 90%: ranked after the one that fills soonest.
    assert falling["constraint_status"] == "constrained"
    assert falling["constrained_rank"] == 2
    assert falling["booked_pct_change"] == pytest.approx(80 - 90)
    assert falling["trend_direction"] == "falling"
    assert falling["projected_days_until_fully_booked"] is None

    assert steady["constraint_status"] == "not_constrained"
    assert steady["trend_direction"] == "flat"
    assert steady["constrained_rank"] is None

    assert stale["constraint_status"] == "excluded"
    assert stale["exclusion_reason"] == "stale_cache"
    assert stale["is_at_or_above_threshold"] is True


def test_daily_model_sums_to_the_window(sequence: Warehouse) -> None:
    mismatches = rows(
        sequence,
        "select w.workspace_id, w.availability_source from workspace_capacity_30d_by_source as w "
        "left join (select workspace_id, availability_source, sum(booked_slots) as booked, "
        "sum(available_slots) as available from workspace_capacity_daily group by all) as d "
        "using (workspace_id, availability_source) "
        "where d.booked is distinct from w.booked_slots "
        "or d.available is distinct from w.available_slots",
    )
    assert mismatches == []
