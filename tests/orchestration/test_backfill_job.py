"""The backfill as a Dagster job: a dry run by default, writes only when asked, never from
a schedule. It runs `capacity backfill` itself (tests/backfill covers what that does),
here against the fake providers on a DuckDB file of the backfill tests' scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from backfill.backfill_support import scenario_fake, seed_scenario, snapshot
from dagster import DagsterInstance

from capacity.app_tables import create_app_tables_duckdb
from capacity.backfill.db import open_database
from capacity.orchestration.jobs import attribution_backfill_job
from capacity.orchestration.resources import CapacityWarehouse
from capacity.warehouse import warehouse_for

# The scenario's workspaces whose tokens the fake accepts (ws_revoked's is refused: exit 3).
GOOD_WORKSPACES = ["ws_ghl", "ws_cal"]


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The backfill tests' scenario in a DuckDB file the dev target opens; the fake running."""
    path = tmp_path / "app.duckdb"
    with duckdb.connect(str(path)) as connection:
        create_app_tables_duckdb(connection, "main_app")
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(path))
    monkeypatch.setenv("CAPACITY_APP_SCHEMA", "main_app")
    with scenario_fake() as fake:
        monkeypatch.setenv("CAPACITY_GHL_BASE_URL", fake.ghl_base_url)
        monkeypatch.setenv("CAPACITY_CALENDLY_BASE_URL", fake.calendly_base_url)
        db = open_database(warehouse_for("dev"), "main_app")
        try:
            seed_scenario(db, fake.calendly_base_url)
        finally:
            db.close()  # DuckDB allows one writer: the job opens the file itself
        yield fake


def _appointments() -> dict[str, dict[str, Any]]:
    db = open_database(warehouse_for("dev"), "main_app")
    try:
        return snapshot(db)
    finally:
        db.close()


def _run(config: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> Any:
    run_config = {"ops": {"attribution_backfill": {"config": config or {}}}}
    return attribution_backfill_job.execute_in_process(
        run_config=run_config,
        resources={"warehouse": CapacityWarehouse(target="dev")},
        instance=DagsterInstance.ephemeral(),
        tags=tags,
        raise_on_error=False,
    )


def test_dry_run_by_default_then_apply_when_asked(scenario: Any) -> None:
    before = _appointments()

    dry = _run({"workspaces": GOOD_WORKSPACES})

    assert dry.success
    summary = dry.output_for_node("attribution_backfill")
    assert summary["dry_run"] is True and summary["written"] == 0 and summary["resolved"] > 0
    assert _appointments() == before

    applied = _run({"workspaces": GOOD_WORKSPACES, "apply": True})

    assert applied.success
    written = applied.output_for_node("attribution_backfill")
    assert written["dry_run"] is False and written["written"] == summary["resolved"]
    after = _appointments()
    changed = {key for key in after if after[key] != before[key]}
    assert len(changed) == written["written"]


def test_a_rejected_token_fails_the_run_with_the_summary(scenario: Any) -> None:
    result = _run()  # every workspace: ws_revoked's token is refused (401)

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert "exited 3" in failure.step_failure_data.error.message
    assert "ws_revoked" in failure.step_failure_data.error.message
    assert error.metadata["dry_run"].value is True


def test_a_scheduled_run_never_applies(scenario: Any) -> None:
    before = _appointments()

    result = _run({"apply": True}, tags={"dagster/schedule_name": "someone_added_a_schedule"})

    assert not result.success
    assert _appointments() == before


def test_bad_config_is_refused_before_anything_runs(scenario: Any) -> None:
    result = _run({"provider": "OUTLOOK"})

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "run config refused" in failure.step_failure_data.error.message
