"""`capacity demo`, run through Dagster: the same steps, recorded as runs in an instance.

Seeds, the earlier weekly history runs (capacity_history_job with each as_of),
then every asset at the demo's as_of, then the cache's freshness check. What
`capacity orchestrate --demo` shows in the UI, and what the tests compare with
the CLI's build.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from capacity import settings
from capacity.orchestration.assets import DBT_MODELS_OP, DEMO_SEEDS_OP
from capacity.orchestration.checks import FRESHNESS_CHECK_KEY
from capacity.orchestration.jobs import FRESHNESS_JOB, HISTORY_JOB, dbt_run_config


@dataclass
class DemoRuns:
    """The runs, in order; ``main`` materialised every asset at the demo's as_of."""

    seeds: ExecuteInProcessResult
    history: list[ExecuteInProcessResult]
    main: ExecuteInProcessResult
    freshness: ExecuteInProcessResult | None = None
    failed: list[str] = field(default_factory=list)  # the runs that did not succeed


def materialize_demo(
    defs: Definitions,
    instance: DagsterInstance,
    *,
    history_as_of: Sequence[str] = settings.DEMO_HISTORY_AS_OF,
    as_of: str = settings.DEMO_AS_OF,
    freshness: bool = True,
) -> DemoRuns:
    """Run the demo's steps in this process, recording them in ``instance``.

    Needs the DuckDB target's definitions (the demo seeds are assets there only). The
    freshness check fails on the demo, whose caches were fetched in March 2026: it
    runs last and on its own, so that failure does not stop the builds.
    """
    everything = defs.resolve_implicit_global_asset_job_def()
    assets = everything.asset_layer.selected_asset_keys
    seed_keys = {key for key in assets if _is_seed(defs, key)}
    if not seed_keys:
        raise ValueError("the demo needs the dev (DuckDB) target's definitions: no demo seeds")
    # Every check but the freshness one, which the seeds' keys carry: it fails on the
    # demo's old caches and gets a run of its own at the end.
    checks = set(defs.resolve_asset_graph().asset_check_keys) - {FRESHNESS_CHECK_KEY}
    seeds = everything.get_subset(
        asset_selection=seed_keys, asset_check_selection=set()
    ).execute_in_process(instance=instance, raise_on_error=False)
    history_job = defs.resolve_job_def(HISTORY_JOB)
    history = [
        history_job.execute_in_process(
            instance=instance,
            run_config=dbt_run_config(DBT_MODELS_OP, day),
            tags={"capacity/as_of": day},
            raise_on_error=False,
        )
        for day in history_as_of
    ]
    main = everything.get_subset(
        asset_selection=assets - seed_keys, asset_check_selection=checks
    ).execute_in_process(
        instance=instance,
        run_config=dbt_run_config(DBT_MODELS_OP, as_of),
        tags={"capacity/as_of": as_of},
        raise_on_error=False,
    )
    runs = DemoRuns(seeds, history, main)
    if freshness:
        runs.freshness = defs.resolve_job_def(FRESHNESS_JOB).execute_in_process(
            instance=instance, raise_on_error=False
        )
    runs.failed = [
        result.dagster_run.job_name for result in (seeds, *history, main) if not result.success
    ]
    return runs


def _is_seed(defs: Definitions, key: AssetKey) -> bool:
    node = defs.resolve_assets_def(key)
    return node.op.name == DEMO_SEEDS_OP
