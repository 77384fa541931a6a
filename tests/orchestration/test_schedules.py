"""Each schedule evaluated for a given tick: which job, which run config, how often.

No run starts here: the run config is checked against the job's config schema
(``validate_run_config``), and test_duckdb.py runs the history job with the run
config its schedule gives for a past day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from dagster import build_schedule_context, validate_run_config

from capacity.orchestration.assets import DBT_MODELS_OP
from capacity.orchestration.jobs import BACKFILL_JOB, FRESHNESS_JOB, HISTORY_JOB, MARTS_JOB
from capacity.orchestration.schedules import (
    FRESHNESS_SCHEDULE,
    HISTORY_SCHEDULE,
    MARTS_SCHEDULE,
    cache_max_age_minutes,
    interval_cron,
    marts_interval_minutes,
)

TICK = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _evaluate(defs: Any, name: str, tick: datetime) -> Any:
    schedule = defs.resolve_schedule_def(name)
    result = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=tick))
    (request,) = result.run_requests
    return schedule, request


def _as_of(run_config: dict[str, Any]) -> str:
    return run_config["ops"][DBT_MODELS_OP]["config"]["as_of"]


def test_marts_are_rebuilt_more_often_than_a_cache_goes_stale(dev_definitions) -> None:
    defs, _ = dev_definitions
    schedule, request = _evaluate(defs, MARTS_SCHEDULE, TICK)
    max_age = cache_max_age_minutes()
    assert max_age == 60  # dbt_project.yml's capacity_cache_max_age_minutes
    assert marts_interval_minutes(max_age) == 30
    assert schedule.cron_schedule == "*/30 * * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == MARTS_JOB
    assert _as_of(request.run_config) == "2026-03-02T09:30:00Z"
    assert request.tags["capacity/as_of"] == "2026-03-02T09:30:00Z"
    validate_run_config(defs.resolve_job_def(MARTS_JOB), request.run_config)


def test_history_is_recorded_daily_with_the_ticks_as_of(dev_definitions) -> None:
    defs, _ = dev_definitions
    tick = datetime(2026, 2, 23, 9, 0, tzinfo=UTC)
    schedule, request = _evaluate(defs, HISTORY_SCHEDULE, tick)
    assert schedule.cron_schedule == "0 9 * * *"
    assert schedule.job_name == HISTORY_JOB
    assert request.run_config == {
        "ops": {DBT_MODELS_OP: {"config": {"as_of": "2026-02-23T09:00:00Z"}}}
    }
    validate_run_config(defs.resolve_job_def(HISTORY_JOB), request.run_config)


def test_freshness_is_checked_between_the_marts_builds(dev_definitions) -> None:
    defs, _ = dev_definitions
    schedule, request = _evaluate(defs, FRESHNESS_SCHEDULE, TICK)
    assert schedule.cron_schedule == "15,45 * * * *"
    assert schedule.job_name == FRESHNESS_JOB
    assert not request.run_config


def test_the_backfill_is_never_scheduled_and_dry_runs_by_default(dev_definitions) -> None:
    defs, _ = dev_definitions
    assert {schedule.job_name for schedule in defs.schedules} == {
        MARTS_JOB,
        HISTORY_JOB,
        FRESHNESS_JOB,
    }
    assert not list(defs.sensors or [])
    config = validate_run_config(defs.resolve_job_def(BACKFILL_JOB), {})
    assert config["ops"]["attribution_backfill"]["config"]["apply"] is False


@pytest.mark.parametrize(
    ("max_age", "minutes", "cron"),
    [
        (60, 30, "*/30 * * * *"),
        (45, 20, "*/20 * * * *"),
        (10, 5, "*/5 * * * *"),
        (1, 1, "*/1 * * * *"),
        (180, 60, "0 */1 * * *"),
        (1440, 720, "0 */12 * * *"),
    ],
)
def test_marts_interval_is_at_most_half_the_max_age(max_age: int, minutes: int, cron: str) -> None:
    assert marts_interval_minutes(max_age) == minutes
    assert minutes <= max(1, max_age // 2)
    assert interval_cron(minutes) == cron


def test_an_offset_interval_lists_its_minutes() -> None:
    assert interval_cron(30, offset=15) == "15,45 * * * *"
    assert interval_cron(20, offset=10) == "10,30,50 * * * *"
