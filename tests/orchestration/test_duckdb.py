"""The demo materialised through Dagster on DuckDB equals the CLI's build, asset by asset.

``orchestrated_demo`` (conftest) runs the seeds, then every asset at the demo's
as_of in one run, then the freshness check; ``duckdb_demo`` (the root conftest)
is `capacity build --demo-seeds` at the same as_of.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, AssetKey, DagsterInstance, build_schedule_context
from orchestration_support import OrchestratedDemo, apply_env, assert_builds_equal, dbt_model_names

from capacity.consumers.outputs import write_outputs
from capacity.mart.show import load_constrained
from capacity.orchestration.assets import CONSTRAINED_FILE
from capacity.orchestration.checks import FRESHNESS_CHECK_KEY
from capacity.orchestration.jobs import FRESHNESS_JOB, HISTORY_JOB
from capacity.orchestration.schedules import HISTORY_SCHEDULE
from capacity.settings import DEMO_AS_OF, SCHEDULED_DBT_BUILD
from capacity.warehouse import Warehouse, connect, fetch_dicts

# The demo's warn-severity dbt tests that fail by design (docs/metric.md, "Bad input is
# visible, never fatal"): an unknown appointment status, a confirmed appointment without
# a start, a cache of an unknown availability source.
DEMO_WARNINGS = {
    "accepted_values_stg_app__appointments_appointment_status__CONFIRMED__CANCELED__RESCHEDULED__NO_SHOW__COMPLETED",
    "not_null_stg_app__appointments_start_at",
    "accepted_values_stg_app__workspace_availability_caches_availability_source__DEFAULT__DIRECT_BOOK",
}


def test_every_asset_is_materialised_in_one_run(orchestrated_demo: OrchestratedDemo) -> None:
    runs = orchestrated_demo.runs
    assert runs.seeds.success and runs.main.success
    seeded = {event.asset_key for event in runs.seeds.get_asset_materialization_events()}
    built = {event.asset_key for event in runs.main.get_asset_materialization_events()}
    everything = orchestrated_demo.defs.resolve_asset_graph().materializable_asset_keys
    assert seeded | built == everything
    assert not seeded & built
    assert {key.to_user_string() for key in seeded} == {
        f"app/{table}"
        for table in (
            "Appointment",
            "Client",
            "Lead",
            "WorkspaceAvailabilityCache",
            "WorkspaceSettings",
        )
    }


def test_marts_equal_the_clis_build(
    orchestrated_demo: OrchestratedDemo, duckdb_demo: Warehouse
) -> None:
    assert len(dbt_model_names(orchestrated_demo.defs)) > 20
    assert_builds_equal(orchestrated_demo.defs, orchestrated_demo.warehouse, duckdb_demo)


def test_consumer_outputs_equal_the_clis(
    orchestrated_demo: OrchestratedDemo, duckdb_demo: Warehouse, tmp_path: Path
) -> None:
    expected = write_outputs(duckdb_demo, tmp_path)
    output = orchestrated_demo.home / "output"
    for path in expected.snapshots:
        built = output / "snapshots" / path.name
        assert built.read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in (output / "snapshots").iterdir()) == sorted(
        p.name for p in expected.snapshots
    )
    assert (output / "kpi_card.html").read_bytes() == expected.kpi_card.read_bytes()
    with connect(duckdb_demo) as connection:
        constrained = load_constrained(connection, duckdb_demo)
    written = json.loads((output / CONSTRAINED_FILE).read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(constrained, default=str))
    assert [row["workspace_id"] for row in written if row["constraint_status"] == "constrained"]


def test_dbt_tests_surface_as_checks_warnings_included(
    orchestrated_demo: OrchestratedDemo,
) -> None:
    evaluations = orchestrated_demo.runs.main.get_asset_check_evaluations()
    checks = orchestrated_demo.defs.resolve_asset_graph().asset_check_keys
    assert {evaluation.asset_check_key for evaluation in evaluations} == set(checks) - {
        FRESHNESS_CHECK_KEY
    }
    failed = {e.asset_check_key.name: e.severity for e in evaluations if not e.passed}
    # Failed, and said so: a warn test is a failed check of severity WARN, not a pass.
    assert failed == dict.fromkeys(DEMO_WARNINGS, AssetCheckSeverity.WARN)


def test_freshness_check_fails_loudly_on_the_demos_old_caches(
    orchestrated_demo: OrchestratedDemo,
) -> None:
    run = orchestrated_demo.runs.freshness
    assert run is not None and not run.success  # the run fails, not just the check
    (evaluation,) = run.get_asset_check_evaluations()
    assert evaluation.asset_check_key == FRESHNESS_CHECK_KEY
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    assert evaluation.metadata["dbt_status"].value == "error"
    assert evaluation.metadata["max_fetched_at"].value == "2026-03-02T08:55:00+00:00"
    assert evaluation.metadata["error_after"].value == "24 hour"
    latest = orchestrated_demo.instance.get_latest_asset_check_evaluation_record(
        FRESHNESS_CHECK_KEY
    )
    assert latest is not None and latest.status.value == "FAILED"


def test_freshness_check_passes_when_the_app_refreshes(
    orchestrated_demo: OrchestratedDemo, tmp_path: Path, monkeypatch
) -> None:
    env = orchestrated_demo.copy_env(tmp_path)
    apply_env(monkeypatch, env)
    import duckdb

    with duckdb.connect(env["CAPACITY_DUCKDB_PATH"]) as connection:
        connection.execute(
            'update main_app."WorkspaceAvailabilityCache" set "fetchedAt" = ?',
            [datetime.now(UTC).replace(tzinfo=None)],
        )
    job = orchestrated_demo.defs.resolve_job_def(FRESHNESS_JOB)
    result = job.execute_in_process(instance=DagsterInstance.ephemeral())
    (evaluation,) = result.get_asset_check_evaluations()
    assert result.success and evaluation.passed
    assert evaluation.metadata["dbt_status"].value == "pass"


def test_history_job_records_a_missed_day_from_its_schedules_run_config(
    orchestrated_demo: OrchestratedDemo, tmp_path: Path, monkeypatch
) -> None:
    env = orchestrated_demo.copy_env(tmp_path)
    apply_env(monkeypatch, env)
    defs = orchestrated_demo.defs
    missed = datetime(2026, 2, 23, 9, 0, tzinfo=UTC)
    context = build_schedule_context(scheduled_execution_time=missed)
    (request,) = defs.resolve_schedule_def(HISTORY_SCHEDULE).evaluate_tick(context).run_requests

    result = defs.resolve_job_def(HISTORY_JOB).execute_in_process(
        run_config=request.run_config, instance=DagsterInstance.ephemeral()
    )

    assert result.success
    warehouse = Warehouse("duckdb", env["CAPACITY_DUCKDB_PATH"], "main")
    with connect(warehouse) as connection:
        history = fetch_dicts(
            connection,
            "select as_of_date, as_of_at, count(*) as workspaces from "
            f"{warehouse.relation('workspace_capacity_history')} group by 1, 2 order by 1",
        )
    assert [(str(row["as_of_date"]), row["as_of_at"], row["workspaces"]) for row in history] == [
        ("2026-02-23", missed, 8),
        ("2026-03-02", datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 8),
    ]
    recorded = {event.asset_key for event in result.get_asset_materialization_events()}
    assert AssetKey("workspace_capacity_history") in recorded
    assert AssetKey("capacity_constrained_workspaces") in recorded  # the trend sees the day
    assert AssetKey("insights_snapshots") not in recorded  # the app's snapshots stay current


def test_a_failing_dbt_test_fails_its_check_and_the_run(
    orchestrated_demo: OrchestratedDemo, tmp_path: Path, monkeypatch
) -> None:
    env = orchestrated_demo.copy_env(tmp_path)
    apply_env(monkeypatch, env)
    import duckdb

    # A second cache row for ws_acme's DEFAULT source, in another case: the staging
    # model's error-severity key test (it would double count the source's slots).
    with duckdb.connect(env["CAPACITY_DUCKDB_PATH"]) as connection:
        connection.execute(
            'insert into main_app."WorkspaceAvailabilityCache" '
            'select \'cache_acme_default_again\', "clientId", lower("availabilitySource"), '
            '"slotsUtc", "fetchedAt", "rangeStart", "rangeEnd", "lastError", "updatedAt" '
            "from main_app.\"WorkspaceAvailabilityCache\" where id = 'cache_acme_default'"
        )
    staging = AssetKey(["staging", "stg_app__workspace_availability_caches"])
    job = orchestrated_demo.defs.resolve_implicit_global_asset_job_def()

    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=[staging], raise_on_error=False
    )

    assert not result.success
    failed = {
        evaluation.asset_check_key.name: evaluation.severity
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    }
    key_test = (
        "unique_combination_of_columns_stg_app__workspace_availability_caches_"
        "workspace_id__availability_source"
    )
    assert failed.get(key_test) == AssetCheckSeverity.ERROR
    # The build's copy was discarded (the live file is unchanged): nothing is recorded
    # as materialised that no reader will see.
    assert not result.get_asset_materialization_events()
    shutil.rmtree(tmp_path / "target", ignore_errors=True)


def test_a_reader_holding_the_file_never_blocks_a_dagster_build(
    orchestrated_demo: OrchestratedDemo, tmp_path: Path, monkeypatch
) -> None:
    """A scheduled build (and the freshness check) run while the Insights Chat holds the
    DuckDB file open: dbt works on a copy (capacity.mart.publish), so neither fails on
    DuckDB's file lock; the open reader keeps the build it had, a new reader gets the new
    one. Without the copy, dbt's process cannot open the file the reader holds."""
    import duckdb

    from capacity.orchestration.assets import DBT_MODELS_OP
    from capacity.orchestration.jobs import dbt_run_config

    env = orchestrated_demo.copy_env(tmp_path)
    apply_env(monkeypatch, env)
    window = "select distinct window_start_at from main.workspace_capacity_30d"
    with duckdb.connect(env["CAPACITY_DUCKDB_PATH"], read_only=True) as reader:
        (before,) = reader.execute(window).fetchall()
        build = orchestrated_demo.defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=DagsterInstance.ephemeral(),
            asset_selection=[AssetKey("workspace_capacity_30d")],
            run_config=dbt_run_config(DBT_MODELS_OP, "2026-03-09T09:00:00Z"),
        )
        freshness = orchestrated_demo.defs.resolve_job_def(FRESHNESS_JOB).execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
        assert build.success
        (evaluation,) = freshness.get_asset_check_evaluations()  # ran, on the demo's old caches
        assert evaluation.metadata["dbt_status"].value == "error"
        assert reader.execute(window).fetchall() == [before]
    with duckdb.connect(env["CAPACITY_DUCKDB_PATH"], read_only=True) as reader:
        assert reader.execute(window).fetchall() == [(datetime(2026, 3, 9, 9, 0, tzinfo=UTC),)]
    assert not list(tmp_path.glob("*.building*"))
    shutil.rmtree(tmp_path / "target", ignore_errors=True)


def test_scheduled_build_runs_the_data_tests_not_the_unit_tests(
    orchestrated_demo: OrchestratedDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit tests check the SQL on fixed inputs: `make test` runs them, a scheduled
    build does not (dbt's advice); the data tests, on the data just built, it does."""
    from capacity.mart import dbt_runner

    # the Dagster asset ran dbt with the scheduled build's arguments...
    run_id = orchestrated_demo.runs.main.run_id
    commands = [
        entry.user_message
        for entry in orchestrated_demo.instance.all_logs(run_id)
        if entry.user_message.startswith("dbt build")
    ]
    assert commands
    assert all(command.split()[1:4] == list(SCHEDULED_DBT_BUILD) for command in commands), commands
    # ...and a scheduled build (`capacity build --scheduled` too) runs a model's data
    # tests but none of its unit tests (on a copy of the orchestrated demo's file)
    apply_env(monkeypatch, orchestrated_demo.env)
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(tmp_path / "demo.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    shutil.copyfile(orchestrated_demo.database, tmp_path / "demo.duckdb")
    model = ["--select", "fct_booked_appointments"]
    listed = dbt_runner.run_dbt(["ls", "--resource-type", "unit_test", *model])
    assert listed.result, "the model has unit tests to leave out"
    dbt_runner.build(scheduled=True, dbt_vars={"capacity_as_of": DEMO_AS_OF}, extra=model)
    run_results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    kinds = {result["unique_id"].split(".")[0] for result in run_results["results"]}
    assert kinds == {"model", "test"}
