"""The code location's definitions for a target, built from capacity.settings."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from capacity import settings
from capacity.orchestration.assets import (
    CONSUMER_ASSETS,
    DBT_MODELS_OP,
    build_dbt_assets,
    manifest_has_seeds,
)
from capacity.orchestration.checks import FRESHNESS_CHECKS
from capacity.orchestration.jobs import OP_JOBS, asset_jobs
from capacity.orchestration.project import dbt_project, dbt_resource, prepare_manifest
from capacity.orchestration.resources import CapacityOutputs, CapacityWarehouse
from capacity.orchestration.schedules import build_schedules


def build_definitions(target: str | None = None) -> Definitions:
    """Every asset, check, job, schedule and resource, for `target` (default: CAPACITY_TARGET).

    The same definitions on both engines; what differs comes from dbt's manifest
    for the target: the demo seeds are assets where dbt has them (DuckDB), while on
    PostgreSQL the app's tables are external assets the app writes.
    """
    target = target or settings.default_target()
    if target not in settings.TARGETS:
        raise ValueError(
            f"unknown target {target!r}; expected one of {', '.join(settings.TARGETS)}"
        )
    project = dbt_project(target)
    manifest = prepare_manifest(project)
    dbt_defs = build_dbt_assets(project, with_seeds=manifest_has_seeds(manifest))
    marts_job, history_job, freshness_job = asset_jobs(dbt_defs[0])
    return Definitions(
        assets=[*dbt_defs, *CONSUMER_ASSETS],
        asset_checks=list(FRESHNESS_CHECKS),
        jobs=[marts_job, history_job, freshness_job, *OP_JOBS],
        schedules=build_schedules(marts_job, history_job, freshness_job, DBT_MODELS_OP),
        resources={
            "dbt": dbt_resource(project),
            "warehouse": CapacityWarehouse(target=target),
            "outputs": CapacityOutputs(),
        },
        # One step at a time in the run's process: dbt parallelises inside its own step
        # (threads in profiles.yml), and on DuckDB a second process could not open the
        # file while a step writes it.
        executor=in_process_executor,
    )
