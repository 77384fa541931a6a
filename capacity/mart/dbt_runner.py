"""Run dbt in-process on this project, failing loudly when dbt does.

The only module that imports dbt, which is slow to import: commands load it when they run it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from dbt.cli.main import dbtRunner, dbtRunnerResult

from capacity import settings
from capacity.mart import publish

log = logging.getLogger(__name__)


class DbtCommandError(RuntimeError):
    """A dbt command did not succeed (a failing model or test, or a dbt error)."""


def run_dbt(
    command: Sequence[str],
    *,
    target: str | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
) -> dbtRunnerResult:
    """Invoke `dbt <command>` on this project and return the result; raise when it fails."""
    project = str(settings.PROJECT_DIR)
    args = [*command, "--project-dir", project, "--profiles-dir", project]
    # Never inside the project: an installed package's copy of it is read-only.
    args += ["--target-path", str(settings.dbt_target_path())]
    args += ["--log-path", str(settings.dbt_log_path())]
    if target:
        args += ["--target", target]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    log.info("dbt %s", " ".join(args))
    # profiles.yml reads the environment: what Python opens (in a build, its copy).
    with publish.dbt_profile_environment():
        try:
            # dbt logs to stdout; stdout is for results (a table, --json), so its log goes
            # to stderr, where a terminal shows it all the same.
            with contextlib.redirect_stdout(sys.stderr):
                result = dbtRunner().invoke(args)
        finally:
            release_duckdb()
    if not result.success:
        reason = f": {result.exception}" if result.exception else " (see the dbt output above)"
        raise DbtCommandError(f"dbt {' '.join(command)} failed{reason}")
    return result


def release_duckdb() -> None:
    """Close the DuckDB file dbt-duckdb keeps open for the life of the process.

    DuckDB locks its file per process: while dbt holds it, no other process
    (a MetricFlow query, a second CLI) can open it, and this process cannot
    open it with another configuration.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing to release
        return
    DuckDBConnectionManager.close_all_connections()
    gc.collect()


def build(
    *,
    target: str | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    load_demo_seeds: bool = False,
    scheduled: bool = False,
    extra: Sequence[str] = (),
) -> None:
    """Build (run + test) the project; with the demo, load the seeds first. A scheduled
    build leaves the unit tests out (settings.SCHEDULED_DBT_BUILD).

    The demo seeds stand in for the app's tables and are read through
    source(), so dbt does not know the staging views depend on them: they
    are loaded in a step of their own before anything selects from them.

    On the embedded DuckDB the build runs on a copy of the file, switched in when it
    succeeded (:func:`capacity.mart.publish.publishing`): readers are never blocked
    and never see a half-built warehouse.
    """
    with publish.publishing(target):
        if load_demo_seeds:
            run_dbt(["seed", "--full-refresh"], target=target, dbt_vars=dbt_vars)
        command = settings.SCHEDULED_DBT_BUILD if scheduled else ("build",)
        run_dbt(
            [*command, "--exclude", "resource_type:seed", *extra],
            target=target,
            dbt_vars=dbt_vars,
        )
