"""What the code location defines: every dbt model an asset, every dbt test a check, the
consumers downstream, one pool for the warehouse, and the jobs' selections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capacity.orchestration.assets import CONSUMER_ASSETS, DBT_MODELS_OP, DEMO_SEEDS_OP
from capacity.orchestration.checks import CACHE_SOURCE, FRESHNESS_CHECK_KEY
from capacity.orchestration.jobs import BACKFILL_JOB, FRESHNESS_JOB, HISTORY_JOB, MARTS_JOB
from capacity.orchestration.project import manifest_dir
from capacity.orchestration.resources import WAREHOUSE_POOL

MARTS_DOWNSTREAM = {"insights_snapshots", "kpi_card", "constrained_workspace_list"}


def _manifest(env: dict[str, str]) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DBT_TARGET_PATH", env["DBT_TARGET_PATH"])
        path = manifest_dir("dev") / "manifest.json"
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _keys(keys: Any) -> set[str]:
    return {key.to_user_string() for key in keys}


def test_every_model_is_an_asset_and_every_test_a_check(dev_definitions) -> None:
    defs, env = dev_definitions
    manifest = _manifest(env)
    graph = defs.resolve_asset_graph()
    models = defs.resolve_assets_def("workspace_capacity_30d")
    assert models.op.name == DBT_MODELS_OP
    model_names = {
        node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"
    }
    assert {key.path[-1] for key in models.keys} == model_names
    tests = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"}
    checks = {key.name for key in graph.asset_check_keys}
    # Generic and singular tests: every one is a check of the model it tests. The app
    # tables carry none (their keys are tested on the staging models, renamed one to one),
    # so every check runs in the jobs that build its model.
    assert not [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and any(parent.startswith("source.") for parent in node["depends_on"]["nodes"])
    ]
    assert checks == tests | {FRESHNESS_CHECK_KEY.name}
    singular = {
        key.name: key.asset_key.to_user_string()
        for key in graph.asset_check_keys
        if key.name.startswith("assert_")
    }
    assert singular == {
        "assert_daily_capacity_sums_to_window": "workspace_capacity_daily",
        "assert_marts_count_their_own_window": "workspace_capacity_30d_by_source",
    }


def test_demo_seeds_are_the_app_tables_on_duckdb(dev_definitions) -> None:
    defs, _ = dev_definitions
    seeds = defs.resolve_assets_def(CACHE_SOURCE)
    assert seeds.op.name == DEMO_SEEDS_OP
    tables = ("Appointment", "Client", "Lead", "WorkspaceAvailabilityCache", "WorkspaceSettings")
    assert _keys(seeds.keys) == {f"app/{table}" for table in tables}
    graph = defs.resolve_asset_graph()
    staging = graph.get(_key("staging", "stg_app__workspace_availability_caches"))
    assert staging.parent_keys == {CACHE_SOURCE}


def test_consumers_are_downstream_of_the_marts(dev_definitions) -> None:
    defs, _ = dev_definitions
    graph = defs.resolve_asset_graph()
    assert _keys(graph.get(_key("insights_snapshots")).parent_keys) == {
        "workspace_capacity_30d",
        "capacity_constrained_workspaces",
    }
    assert _keys(graph.get(_key("kpi_card")).parent_keys) == {"insights_snapshots"}
    assert _keys(graph.get(_key("constrained_workspace_list")).parent_keys) == {
        "capacity_constrained_workspaces"
    }
    assert {asset.key.to_user_string() for asset in CONSUMER_ASSETS} == MARTS_DOWNSTREAM


def _key(*path: str) -> Any:
    from dagster import AssetKey

    return AssetKey(list(path))


def test_every_step_that_opens_the_warehouse_is_in_one_pool(dev_definitions) -> None:
    defs, _ = dev_definitions
    pools = {
        node.op.name: node.op.pool
        for node in (
            defs.resolve_assets_def("workspace_capacity_30d"),
            defs.resolve_assets_def(CACHE_SOURCE),
            defs.resolve_assets_def("insights_snapshots"),
            defs.resolve_assets_def("constrained_workspace_list"),
        )
    }
    backfill = defs.resolve_job_def(BACKFILL_JOB)
    pools.update({node.name: node.definition.pool for node in backfill.nodes})
    assert set(pools.values()) == {WAREHOUSE_POOL}, pools


def test_jobs_select_what_their_schedules_need(dev_definitions) -> None:
    defs, _ = dev_definitions
    marts = _keys(defs.resolve_job_def(MARTS_JOB).asset_layer.selected_asset_keys)
    history = _keys(defs.resolve_job_def(HISTORY_JOB).asset_layer.selected_asset_keys)
    freshness = defs.resolve_job_def(FRESHNESS_JOB).asset_layer.selected_asset_keys
    assert "workspace_capacity_history" not in marts
    assert MARTS_DOWNSTREAM | {"workspace_capacity_30d", "capacity_constrained_workspaces"} <= marts
    assert not any(key.startswith("app/") for key in marts)  # the app's tables are not rebuilt
    # Every model at one as_of (the marts agree with each other), no consumer: a missed
    # day's run must not put a past window in the snapshots.
    models = defs.resolve_assets_def("workspace_capacity_30d")
    assert history == _keys(models.keys)
    assert marts - history == MARTS_DOWNSTREAM
    assert history - marts == {"workspace_capacity_history"}
    assert not freshness  # the check alone
