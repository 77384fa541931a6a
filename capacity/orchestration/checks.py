"""Whether the app still refreshes its availability cache: dbt source freshness, loudly.

The marts already mark each workspace whose cache is stale (SPEC §5); this check
answers the other question, whether the app stopped refreshing the caches at all.
It runs ``dbt source freshness`` on the cache's source, so the thresholds are the
ones models/staging/app/_app__sources.yml declares for ``fetchedAt`` (warn after 1
hour, error after 24), the same ones `dbt source freshness` applies by hand.

- pass: the check passes;
- warn: the check fails with severity WARN (the run succeeds: one late refresh);
- error (or dbt could not tell): the check fails with severity ERROR and the step
  raises, so the run fails too. A failed run is what run-failure sensors and
  alerting see; a failed check alone is only a red badge in the UI.
"""

import shutil
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    Failure,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource

from capacity import settings
from capacity.mart import publish
from capacity.orchestration.resources import WAREHOUSE_POOL

CACHE_SOURCE = AssetKey(["app", "WorkspaceAvailabilityCache"])
FRESHNESS_CHECK = "availability_cache_fetched_recently"
FRESHNESS_CHECK_KEY = AssetCheckKey(CACHE_SOURCE, FRESHNESS_CHECK)
DBT_SOURCE = "source:capacity.app.WorkspaceAvailabilityCache"


def freshness_result(result: Mapping[str, Any]) -> AssetCheckResult:
    """The check's result for one source of dbt's sources.json."""
    status = result.get("status")
    criteria = result.get("criteria") or {}
    metadata: dict[str, Any] = {
        "dbt_status": str(status),
        "max_fetched_at": str(result.get("max_loaded_at")),
        "checked_at": str(result.get("snapshotted_at")),
        "warn_after": _threshold(criteria.get("warn_after")),
        "error_after": _threshold(criteria.get("error_after")),
    }
    age = result.get("max_loaded_at_time_ago_in_s")
    if age is not None:
        metadata["hours_since_last_fetch"] = MetadataValue.float(round(float(age) / 3600, 2))
    if result.get("error"):
        metadata["error"] = str(result["error"])
    return AssetCheckResult(
        asset_key=CACHE_SOURCE,
        check_name=FRESHNESS_CHECK,
        passed=status == "pass",
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=_describe(status, metadata),
    )


def _threshold(rule: Mapping[str, Any] | None) -> str:
    if not rule or rule.get("count") is None:
        return "none"
    return f"{rule['count']} {rule['period']}"


def _describe(status: Any, metadata: Mapping[str, Any]) -> str:
    if status == "pass":
        return "The app refreshed the availability cache recently."
    if status == "warn":
        return f"No cache fetched in the last {metadata['warn_after']}: one refresh is late."
    if status == "error":
        return (
            f"No cache fetched in the last {metadata['error_after']} (newest fetchedAt "
            f"{metadata['max_fetched_at']}): the app has stopped refreshing the cache."
        )
    return f"dbt source freshness could not tell ({status}): {metadata.get('error', '')}"


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=CACHE_SOURCE,
            description="dbt source freshness on WorkspaceAvailabilityCache.fetchedAt: fails "
            "(and fails its run) when the app stopped refreshing the cache.",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def availability_cache_freshness(
    context: AssetCheckExecutionContext, dbt: DbtCliResource
) -> Iterator[AssetCheckResult]:
    target_path = (
        settings.dbt_target_path() / "dagster" / "runs" / f"freshness-{context.run.run_id}"
    )
    # On DuckDB on a copy of the file: dbt-duckdb opens its file for writing, which
    # would lock the Insights Chat's readers out while the check runs.
    with publish.reading_a_copy(dbt.target), publish.dbt_profile_environment():
        # dbt exits 1 on an `error` freshness: read its sources.json, not its exit code.
        invocation = dbt.cli(
            ["source", "freshness", "--select", DBT_SOURCE],
            raise_on_error=False,
            target_path=target_path,
        ).wait()
    try:
        results = invocation.get_artifact("sources.json")["results"]
    except FileNotFoundError:
        raise Failure(
            "dbt source freshness wrote no sources.json (see its log above)",
            metadata={"target_path": str(target_path)},
        ) from None
    # What matters is in the check's metadata; the folder (a manifest copy) would pile up.
    shutil.rmtree(target_path, ignore_errors=True)
    (result,) = results
    check = freshness_result(result)
    yield check
    if result.get("status") not in ("pass", "warn"):
        raise Failure(description=check.description, metadata=check.metadata)


FRESHNESS_CHECKS: tuple[AssetsDefinition, ...] = (availability_cache_freshness,)
