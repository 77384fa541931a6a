"""The jobs: the marts, the history, the cache's freshness, and the backfill.

- capacity_marts_job: every dbt model but the history, their tests, then the
  snapshots, the card and the constrained list. Scheduled.
- capacity_history_job: every dbt model, the history included, at the as_of of its
  run config: the tick's, or a missed day's when run by hand (`capacity build
  --as-of`, the documented way to backfill the history). Not the history and its
  upstream alone: the marts beside them (daily, weekday by hour) would then hold
  another window than the ones rebuilt, and the test that compares them fails.
  The consumers are left to the marts job, so a missed day's run never puts a
  past window into the snapshots the app reads.
- availability_cache_freshness_job: the freshness check alone.
- attribution_backfill_job: `capacity backfill` with run config. A dry run unless
  the config says ``apply: true``; never scheduled, and it refuses to apply in a run
  a schedule or sensor started.
"""

import argparse
import contextlib
import io
import json
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetsDefinition,
    AssetSelection,
    Config,
    Failure,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    Output,
    define_asset_job,
    job,
    op,
)
from dagster_dbt import build_dbt_asset_selection
from pydantic import Field

from capacity.cli import EXIT_OK
from capacity.orchestration.assets import CONSUMER_ASSETS, HISTORY_MODEL, DbtRunConfig
from capacity.orchestration.checks import FRESHNESS_CHECK_KEY
from capacity.orchestration.resources import WAREHOUSE_POOL, CapacityWarehouse

if TYPE_CHECKING:  # what define_asset_job returns; not exported by dagster itself
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

MARTS_JOB = "capacity_marts_job"
HISTORY_JOB = "capacity_history_job"
FRESHNESS_JOB = "availability_cache_freshness_job"
BACKFILL_JOB = "attribution_backfill_job"

# Tags Dagster puts on the runs its schedules and sensors start.
AUTOMATION_TAGS = ("dagster/schedule_name", "dagster/sensor_name")


def marts_selection(dbt_models: AssetsDefinition) -> AssetSelection:
    models = build_dbt_asset_selection([dbt_models], dbt_exclude=HISTORY_MODEL)
    return models | AssetSelection.assets(*CONSUMER_ASSETS)


def history_selection(dbt_models: AssetsDefinition) -> AssetSelection:
    return build_dbt_asset_selection([dbt_models])


def dbt_run_config(op_name: str, as_of: str | None) -> dict[str, Any]:
    """Run config that sets the dbt models' as_of."""
    return {"ops": {op_name: {"config": DbtRunConfig(as_of=as_of).model_dump()}}}


def asset_jobs(dbt_models: AssetsDefinition) -> list["UnresolvedAssetJobDefinition"]:
    return [
        define_asset_job(
            MARTS_JOB,
            selection=marts_selection(dbt_models),
            description="Rebuild the marts (every model but the history) with their tests, "
            "then the Insights snapshots, the KPI card and the constrained list.",
        ),
        define_asset_job(
            HISTORY_JOB,
            selection=history_selection(dbt_models),
            description="Record the day in workspace_capacity_history: every dbt model at the "
            "run config's as_of (a missed day: run it with that day's as_of, then the marts "
            "job to bring the marts back to the present).",
        ),
        define_asset_job(
            FRESHNESS_JOB,
            selection=AssetSelection.checks(FRESHNESS_CHECK_KEY),
            description="dbt source freshness of the availability cache (fetchedAt).",
        ),
    ]


class BackfillConfig(Config):
    """The backfill's flags (`capacity backfill --help`); providers and database from settings."""

    apply: bool = Field(
        default=False, description="Write the attribution. Default: a dry run, nothing written."
    )
    workspaces: list[str] = Field(default=[], description='Only these "Client"."id" values.')
    provider: str | None = Field(default=None, description="Only GHL or CALENDLY.")
    since: str | None = Field(default=None, description='Only "startAt" >= this (ISO-8601).')
    limit: int | None = Field(default=None, description="Examine at most this many rows.")
    batch_size: int = Field(default=500, description="Rows per batch / transaction.")
    concurrency: int = Field(default=16, description="Provider requests in flight.")
    retry_quarantined: bool = Field(default=False, description="Look again at quarantined rows.")
    reset_checkpoint: bool = Field(default=False, description="Start from the first row.")


def backfill_argv(config: BackfillConfig, target: str) -> list[str]:
    """`capacity backfill` arguments for a run config: the CLI parses and checks them."""
    argv = ["backfill", "--target", target, "--json", "--no-progress"]
    argv += ["--batch-size", str(config.batch_size), "--concurrency", str(config.concurrency)]
    for workspace in config.workspaces:
        argv += ["--workspace", workspace]
    for flag, value in (
        ("--provider", config.provider),
        ("--since", config.since),
        ("--limit", config.limit),
    ):
        if value is not None:
            argv += [flag, str(value)]
    for flag, wanted in (
        ("--apply", config.apply),
        ("--retry-quarantined", config.retry_quarantined),
        ("--reset-checkpoint", config.reset_checkpoint),
    ):
        if wanted:
            argv.append(flag)
    return argv


def _parse_backfill_args(argv: list[str]) -> argparse.Namespace:
    from capacity.backfill import cli as backfill_cli

    parser = argparse.ArgumentParser(prog="capacity", exit_on_error=False)
    subparsers = parser.add_subparsers(dest="command", required=True)
    backfill_cli.register(subparsers)
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return parser.parse_args(argv)
    except (SystemExit, argparse.ArgumentError) as error:
        raise Failure(
            f"backfill run config refused: {errors.getvalue().strip() or error}"
        ) from None


@op(pool=WAREHOUSE_POOL, description="`capacity backfill`: dry run unless config apply is true.")
def attribution_backfill(
    context: OpExecutionContext, config: BackfillConfig, warehouse: CapacityWarehouse
) -> Output[dict[str, Any]]:
    automated = [tag for tag in AUTOMATION_TAGS if tag in context.run.tags]
    if config.apply and automated:
        raise Failure(
            f"the backfill applies only when a person asks: this run was started by "
            f"{context.run.tags[automated[0]]!r} ({automated[0]})"
        )
    args = _parse_backfill_args(backfill_argv(config, warehouse.target))
    stdout, stderr = io.StringIO(), io.StringIO()
    # The CLI's own handler: settings, token redaction, exit codes, the JSON summary.
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = int(args.handler(args))
    messages = stderr.getvalue().strip()
    if messages:
        context.log.info(messages)
    lines = [line for line in stdout.getvalue().splitlines() if line.strip()]
    summary: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    metadata = {
        "dry_run": summary.get("dry_run", not config.apply),
        "summary": MetadataValue.json(summary),
        "exit_code": code,
    }
    if code != EXIT_OK:
        raise Failure(
            f"capacity backfill exited {code}: {messages or 'no message'}", metadata=metadata
        )
    return Output(summary, metadata=metadata)


@job(
    name=BACKFILL_JOB,
    description="Fill missing appointment attribution from GoHighLevel / Calendly "
    "(docs/backfill.md). A dry run unless run config says apply: true; then rebuild the marts.",
    tags={"capacity/writes_app_tables": "only with apply"},
)
def attribution_backfill_job() -> None:
    attribution_backfill()


OP_JOBS: tuple[JobDefinition, ...] = (attribution_backfill_job,)
