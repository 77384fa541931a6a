"""Fixtures of the Dagster tests: definitions per target, and the demo run through Dagster.

One materialisation of the demo per session (``orchestrated_demo``): seeds, then
every asset at the demo's as_of, then the freshness check, recorded in a Dagster
instance of its own, in scratch paths (DuckDB file, dbt target/, output/,
DAGSTER_HOME). The tests that change data work on a copy of its DuckDB file.

Without the `orchestration` extra these modules are not collected, and
test_extra_installed.py says so (a failure under CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from orchestration_support import HAVE_DAGSTER, OrchestratedDemo, apply_env, scratch_env

from capacity.settings import DEMO_AS_OF

if not HAVE_DAGSTER:
    collect_ignore_glob = ["test_[!e]*.py"]  # all but test_extra_installed.py


@pytest.fixture(scope="session")
def dev_definitions(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Any, dict[str, str]]]:
    """The dev target's definitions (the manifest parsed into a scratch target/) and their env."""
    from capacity.orchestration.cli import prepare_dagster_home
    from capacity.orchestration.location import build_definitions

    env = scratch_env(tmp_path_factory.mktemp("dagster_dev"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        apply_env(monkeypatch, env)
        prepare_dagster_home(Path(env["DAGSTER_HOME"]))
        yield build_definitions("dev"), env


@pytest.fixture(scope="session")
def orchestrated_demo(dev_definitions: tuple[Any, dict[str, str]]) -> Iterator[OrchestratedDemo]:
    """The demo materialised through Dagster once: seeds, every asset at the demo's as_of,
    then the freshness check (which fails on the demo's March 2026 caches)."""
    from dagster import DagsterInstance

    from capacity.orchestration.demo import materialize_demo

    defs, env = dev_definitions
    with pytest.MonkeyPatch.context() as monkeypatch:
        apply_env(monkeypatch, env)
        instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
        try:
            runs = materialize_demo(defs, instance, history_as_of=(), as_of=DEMO_AS_OF)
            assert not runs.failed, runs.failed
            yield OrchestratedDemo(env, defs, instance, runs)
        finally:
            instance.dispose()
