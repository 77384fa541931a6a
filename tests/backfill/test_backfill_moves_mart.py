"""After `backfill --apply`, a rebuilt mart moves bookings from unattributed to their source.

The demo seeds go into real app tables on PostgreSQL; the fake providers
answer for the three demo appointments stored without attribution.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from backfill_support import cli_args, run_cli
from fakes.calendar_providers import FakeCalendarProviders
from fakes.demo_seeds import load_demo_seeds_into_postgres

from capacity.mart import dbt_runner
from capacity.mart import show as report
from capacity.settings import DEMO_AS_OF
from capacity.warehouse import Warehouse, connect, model_schemas

pytestmark = pytest.mark.postgres

BLOOM_DIRECT = "/event_types/BLOOM-DIRECT"  # served under the fake's Calendly base


@pytest.fixture
def demo_app(pg_conninfo: str) -> Iterator[tuple[str, str, str]]:
    """(app schema, models schema, checkpoint schema), dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    schemas = (f"bfm_app_{suffix}", f"bfm_models_{suffix}", f"bfm_cp_{suffix}")
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        load_demo_seeds_into_postgres(conn, schemas[0])
    try:
        yield schemas
    finally:
        with psycopg.connect(pg_conninfo, autocommit=True) as conn:
            for schema in (schemas[0], *model_schemas(schemas[1]), schemas[2]):
                conn.execute(f'drop schema if exists "{schema}" cascade')


def build_mart(
    monkeypatch: pytest.MonkeyPatch, tmp: Path, conninfo: str, app_schema: str, models_schema: str
) -> dict[str, dict[str, Any]]:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp / "logs"))
    monkeypatch.setenv("CAPACITY_PG_SCHEMA", models_schema)
    dbt_runner.build(
        target="postgres", dbt_vars={"capacity_as_of": DEMO_AS_OF, "app_schema": app_schema}
    )
    warehouse = Warehouse("postgres", conninfo, models_schema)
    with connect(warehouse) as connection:
        return {row["workspace_id"]: row for row in report.load_mart(connection, warehouse)}


def test_apply_then_rebuild_moves_unattributed_to_sources(
    demo_app: tuple[str, str, str],
    pg_conninfo: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app_schema, models_schema, checkpoint_schema = demo_app
    before = build_mart(monkeypatch, tmp_path, pg_conninfo, app_schema, models_schema)
    with FakeCalendarProviders() as fake:
        fake.add_ghl_event("ghl_evt_a07", "cal_acme_main")
        fake.add_ghl_event("ghl_evt_d02", "cal_delta_main")
        fake.add_calendly_event("SE-B05", BLOOM_DIRECT)
        with psycopg.connect(pg_conninfo, autocommit=True) as conn:
            # The demo's Calendly URIs name the real host; the backfill only follows, and
            # only writes, URIs under its configured base, so point them all at the fake.
            for table, column in (
                ("Appointment", "calendlyScheduledEventUri"),
                ("Appointment", "calendlyEventTypeUri"),
                ("WorkspaceSettings", "calendlyEventTypeUri"),
                ("WorkspaceSettings", "calendlyDirectBookEventTypeUri"),
            ):
                conn.execute(
                    f'update "{app_schema}"."{table}" set "{column}" = '
                    f"regexp_replace(\"{column}\", '^https://api\\.calendly\\.com', %s, 'i')",
                    [fake.calendly_base_url],
                )
        result = run_cli(
            cli_args("postgres", app_schema, checkpoint_schema, fake, "--apply"), capsys
        )
    assert result.checked_summary()["written"] == 3
    capsys.readouterr()
    after = build_mart(monkeypatch, tmp_path, pg_conninfo, app_schema, models_schema)

    moved = {
        # workspace: the column that gains the backfilled booking
        "ws_acme": "default_booked_slots",
        "ws_bloom": "direct_book_booked_slots",
        "ws_delta": "default_booked_slots",
    }
    for workspace_id, row in after.items():
        old = before[workspace_id]
        gained = 1 if workspace_id in moved else 0
        assert row["unattributed_booked_slots"] == old["unattributed_booked_slots"] - gained
        if workspace_id in moved:
            column = moved[workspace_id]
            assert row[column] == old[column] + 1
    # Acme and Bloom have caches, so the combined figure takes the booking; Delta has none.
    assert after["ws_acme"]["booked_slots"] == 7
    assert after["ws_acme"]["booked_pct"] == pytest.approx(100 * 7 / 17)
    assert after["ws_bloom"]["booked_slots"] == 4
    assert after["ws_delta"]["booked_slots"] is None
