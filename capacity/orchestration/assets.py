"""The assets: dbt's models (and, on DuckDB, the demo seeds) and the marts' consumers.

The Python assets call the package's own consumer functions, the ones `capacity
demo`, `capacity snapshot` and `capacity kpi-card` call: the orchestrated outputs
are the same files, byte for byte.
"""

import json
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from capacity import settings
from capacity.mart import publish
from capacity.orchestration.project import CapacityTranslator
from capacity.orchestration.resources import WAREHOUSE_POOL, CapacityOutputs, CapacityWarehouse

DBT_MODELS_OP = "capacity_dbt_models"
DEMO_SEEDS_OP = "demo_app_tables"
MART = AssetKey("workspace_capacity_30d")
PLANNING = AssetKey("capacity_constrained_workspaces")
HISTORY_MODEL = "workspace_capacity_history"
CONSTRAINED_FILE = "constrained_workspaces.json"


class DbtRunConfig(Config):
    """Run config of the dbt models: the window the build computes."""

    as_of: str | None = Field(
        default=None,
        description="capacity_as_of: the window's start, ISO-8601 (an offset is honoured, none "
        "means UTC). Unset: the run's start. The schedules set it to their tick.",
    )


def check_as_of(as_of: str) -> str:
    """The as_of as given, once Python can read it (dbt would fail later, less clearly)."""
    try:
        datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    except ValueError:
        raise Failure(f"as_of {as_of!r} is not an ISO-8601 timestamp") from None
    return as_of


def stream_dbt(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    args: Sequence[str],
    dbt_vars: Mapping[str, Any] | None = None,
) -> Iterator[Any]:
    """Run ``dbt <args>`` for the assets this step materialises; yield Dagster's events.

    Each invocation gets a target folder of its own under dbt's target path (settings),
    removed once it succeeded: a copy of the manifest per run would otherwise pile up
    every half hour. A failed invocation's folder stays (run_results.json, dbt.log).
    """
    command = list(args)
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars))]
    context.log.info(f"dbt {' '.join(command)}")
    target_path = (
        settings.dbt_target_path()
        / "dagster"
        / "runs"
        / f"{context.op_execution_context.op.name}-{context.run.run_id[:8]}-{uuid.uuid4().hex[:6]}"
    )
    # On DuckDB dbt builds a copy of the file, switched in when it succeeded
    # (capacity.mart.publish): readers are never locked out by a scheduled build. The
    # models' materialisations are reported once the copy is in place: a build that
    # fails later (an error-severity test) leaves the live file as it was, and Dagster
    # must not record models no reader sees. Check results are reported as they come.
    held: list[Any] = []
    with publish.publishing(dbt.target), publish.dbt_profile_environment():
        for event in dbt.cli(command, context=context, target_path=target_path).stream():
            if publish.writes_a_copy() and isinstance(event, (Output, AssetMaterialization)):
                held.append(event)
            else:
                yield event
    yield from held
    shutil.rmtree(target_path, ignore_errors=True)


def build_dbt_assets(project: DbtProject, with_seeds: bool) -> list[AssetsDefinition]:
    """The models, with their data tests as their checks (the unit tests run in CI, not
    here), and, where dbt has them, the demo seeds.

    The seeds get an op of their own: staging reads the app's tables through
    source(), so dbt does not order a seed before the view that selects from it, and
    one `dbt build` of both could create the view first. As assets they carry the
    sources' keys (app/<table>), so Dagster runs them first, as `capacity demo` does.
    """
    translator = CapacityTranslator()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude="resource_type:seed",
        name=DBT_MODELS_OP,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def capacity_dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig
    ) -> Iterator[Any]:
        dbt_vars = {"capacity_as_of": check_as_of(config.as_of)} if config.as_of else None
        yield from stream_dbt(context, dbt, settings.SCHEDULED_DBT_BUILD, dbt_vars)

    if not with_seeds:
        return [capacity_dbt_models]

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select="resource_type:seed",
        name=DEMO_SEEDS_OP,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def demo_app_tables(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        # --full-refresh as `capacity demo`: a seed whose columns changed is recreated.
        yield from stream_dbt(context, dbt, ["seed", "--full-refresh"])

    return [capacity_dbt_models, demo_app_tables]


def manifest_has_seeds(manifest_path: Path) -> bool:
    """Whether dbt enabled any seed for this target (the demo seeds: not on PostgreSQL)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return any(node["resource_type"] == "seed" for node in manifest["nodes"].values())


@asset(
    deps=[MART, PLANNING],
    group_name="consumers",
    pool=WAREHOUSE_POOL,
    kinds={"python", "json"},
    description="Every workspace's Insights Chat snapshot (output/snapshots/<workspace>.json), "
    "validated against its JSON schema: what `capacity snapshot` prints.",
)
def insights_snapshots(
    context: AssetExecutionContext, warehouse: CapacityWarehouse, outputs: CapacityOutputs
) -> list[dict[str, Any]]:
    from capacity.consumers import outputs as files
    from capacity.consumers.snapshot import read_all_snapshots

    snapshots = read_all_snapshots(warehouse.warehouse())
    paths = files.write_snapshots(snapshots, outputs.path())
    context.add_output_metadata(
        {
            "workspaces": len(snapshots),
            "folder": MetadataValue.path(str(paths[0].parent if paths else outputs.path())),
            "window_start": _window_start(snapshots),
        }
    )
    # Handed to the card's asset (Dagster's IO manager), so the card shows exactly
    # what the snapshots say, as `capacity demo` renders both from one read.
    return snapshots


def _window_start(snapshots: Sequence[Mapping[str, Any]]) -> str:
    """The window the snapshots describe (one per build: every workspace shares it)."""
    for item in snapshots:
        if "capacity" in item:
            return str(item["capacity"]["windowStartIso"])
    return "no workspace"


@asset(
    group_name="consumers",
    kinds={"python", "html"},
    description='The "Capacity (30d)" KPI card page (output/kpi_card.html), rendered from '
    "the snapshots: what `capacity kpi-card` writes.",
)
def kpi_card(
    insights_snapshots: list[dict[str, Any]], outputs: CapacityOutputs
) -> MaterializeResult:
    from capacity.consumers import kpi_card as card
    from capacity.consumers.outputs import KPI_PAGE

    path = card.write_page(insights_snapshots, outputs.path() / KPI_PAGE)
    return MaterializeResult(
        metadata={"path": MetadataValue.path(str(path)), "cards": len(insights_snapshots)}
    )


@asset(
    deps=[PLANNING],
    group_name="consumers",
    pool=WAREHOUSE_POOL,
    kinds={"python", "json"},
    description="Whom to call first: the ranked capacity-constrained workspaces and the "
    "high ones left out (output/constrained_workspaces.json), as `capacity show` lists them.",
)
def constrained_workspace_list(
    warehouse: CapacityWarehouse, outputs: CapacityOutputs
) -> MaterializeResult:
    from capacity.mart.show import format_constrained_table, load_constrained
    from capacity.warehouse import connect

    target = warehouse.warehouse()
    with connect(target) as connection:
        rows = load_constrained(connection, target)
    path = outputs.path() / CONSTRAINED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # default=str as `capacity show --json`: dates and decimals as their text.
    path.write_text(json.dumps(rows, indent=2, default=str) + "\n", encoding="utf-8")
    constrained = [row["workspace_id"] for row in rows if row["constraint_status"] == "constrained"]
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            "constrained": len(constrained),
            "call_first": ", ".join(constrained) or "none",
            "list": MetadataValue.md(f"```\n{format_constrained_table(rows)}\n```"),
        }
    )


CONSUMER_ASSETS = (insights_snapshots, kpi_card, constrained_workspace_list)
