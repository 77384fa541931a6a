"""The schedules: marts fresher than the caches' max age, the history daily, freshness checks.

Every scheduled dbt run passes its tick as ``capacity_as_of``: a run that starts
late (a queue, a busy machine) still computes the window its tick stands for, and
the run config in the UI says which window that is.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Union

import yaml
from dagster import (
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from capacity import settings
from capacity.orchestration.jobs import dbt_run_config

MARTS_SCHEDULE = "capacity_marts_schedule"
HISTORY_SCHEDULE = "capacity_history_daily"
FRESHNESS_SCHEDULE = "availability_cache_freshness_schedule"
# One record a day, at the time of day the demo's weekly runs use (09:00 UTC), so
# the days the trend compares are windows that start at the same hour.
HISTORY_CRON = "0 9 * * *"
MAX_AGE_VAR = "capacity_cache_max_age_minutes"

if TYPE_CHECKING:  # what define_asset_job returns; not exported by dagster itself
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

Job = Union[JobDefinition, "UnresolvedAssetJobDefinition"]


def cache_max_age_minutes() -> int:
    """The var's default in dbt_project.yml: a cache older than this counts as stale."""
    with (settings.PROJECT_DIR / "dbt_project.yml").open(encoding="utf-8") as project_file:
        return int(yaml.safe_load(project_file)["vars"][MAX_AGE_VAR])


def marts_interval_minutes(max_age_minutes: int) -> int:
    """Minutes between marts builds: the longest interval that divides the hour (or the day)
    and is at most half the max age. A mart is at most one interval plus one build old;
    half the max age leaves the other half for the build, or for one late tick."""
    half = max(1, max_age_minutes // 2)
    if half < 60:
        return max(step for step in range(1, 61) if 60 % step == 0 and step <= half)
    hours = max(step for step in range(1, 25) if 24 % step == 0 and step <= half // 60)
    return hours * 60


def interval_cron(minutes: int, offset: int = 0) -> str:
    """A cron line every `minutes` (a divisor of the hour, or whole hours dividing the day),
    starting `offset` minutes into the hour."""
    if minutes < 60 and offset % minutes == 0:
        return f"*/{minutes} * * * *"
    if minutes < 60:
        return f"{','.join(str(m) for m in range(offset % minutes, 60, minutes))} * * * *"
    return f"{offset % 60} */{minutes // 60} * * *"


def tick_as_of(context: ScheduleEvaluationContext) -> str:
    """The tick as an ISO-8601 UTC timestamp (now, for a context built without one)."""
    tick = context.scheduled_execution_time or datetime.now(UTC)
    return tick.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_schedules(
    marts_job: Job, history_job: Job, freshness_job: Job, dbt_op: str
) -> list[ScheduleDefinition]:
    interval = marts_interval_minutes(cache_max_age_minutes())

    @schedule(
        name=MARTS_SCHEDULE,
        job=marts_job,
        cron_schedule=interval_cron(interval),
        execution_timezone="UTC",
        description=f"Every {interval} minutes (half of {MAX_AGE_VAR}): the marts, their "
        "tests, then the snapshots, the card and the constrained list, as_of the tick.",
    )
    def capacity_marts_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        as_of = tick_as_of(context)
        return RunRequest(run_config=dbt_run_config(dbt_op, as_of), tags={"capacity/as_of": as_of})

    @schedule(
        name=HISTORY_SCHEDULE,
        job=history_job,
        cron_schedule=HISTORY_CRON,
        execution_timezone="UTC",
        description="Daily at 09:00 UTC: records the day in workspace_capacity_history, "
        "as_of the tick (a missed day: launch capacity_history_job with that day's as_of).",
    )
    def capacity_history_daily(context: ScheduleEvaluationContext) -> RunRequest:
        as_of = tick_as_of(context)
        return RunRequest(run_config=dbt_run_config(dbt_op, as_of), tags={"capacity/as_of": as_of})

    # Between the marts' ticks, so the two never queue behind each other.
    freshness = ScheduleDefinition(
        name=FRESHNESS_SCHEDULE,
        job=freshness_job,
        cron_schedule=interval_cron(interval, offset=interval // 2),
        execution_timezone="UTC",
        description=f"Every {interval} minutes, between the marts' builds: dbt source "
        "freshness of the availability cache; the run fails when the app stopped refreshing it.",
    )
    return [capacity_marts_schedule, capacity_history_daily, freshness]
