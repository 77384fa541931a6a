"""The same definitions on PostgreSQL: the demo's app tables in a scratch schema (SPEC DDL),
every asset materialised through Dagster, compared with the CLI's build of the same
tables (``postgres_demo``, the root conftest)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetCheckSeverity, DagsterInstance
from fakes.demo_seeds import load_demo_seeds_into_postgres
from orchestration_support import apply_env, assert_builds_equal, scratch_env

from capacity.consumers.outputs import write_outputs
from capacity.orchestration.assets import DBT_MODELS_OP
from capacity.orchestration.checks import CACHE_SOURCE, FRESHNESS_CHECK_KEY
from capacity.orchestration.jobs import FRESHNESS_JOB, dbt_run_config
from capacity.settings import DEMO_AS_OF
from capacity.sql import quote_ident
from capacity.warehouse import Warehouse, model_schemas

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def orchestrated_postgres(
    pg_conninfo: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    import psycopg

    from capacity.orchestration.location import build_definitions

    suffix = uuid.uuid4().hex[:8]
    app_schema, models_schema = f"dg_app_{suffix}", f"dg_models_{suffix}"
    tmp = tmp_path_factory.mktemp("dagster_postgres")
    env = {
        **scratch_env(tmp, "postgres"),
        "CAPACITY_PG_SCHEMA": models_schema,
        "CAPACITY_APP_SCHEMA": app_schema,
    }
    try:
        with psycopg.connect(pg_conninfo, autocommit=True) as connection:
            load_demo_seeds_into_postgres(connection, app_schema)
        with pytest.MonkeyPatch.context() as monkeypatch:
            apply_env(monkeypatch, env)
            defs = build_definitions()  # CAPACITY_TARGET=postgres
            everything = defs.resolve_implicit_global_asset_job_def()
            checks = set(defs.resolve_asset_graph().asset_check_keys) - {FRESHNESS_CHECK_KEY}
            instance = DagsterInstance.ephemeral()
            main = everything.get_subset(
                asset_selection=everything.asset_layer.selected_asset_keys,
                asset_check_selection=checks,
            ).execute_in_process(
                instance=instance,
                run_config=dbt_run_config(DBT_MODELS_OP, DEMO_AS_OF),
                raise_on_error=False,
            )
            freshness = defs.resolve_job_def(FRESHNESS_JOB).execute_in_process(
                instance=instance, raise_on_error=False
            )
        yield {
            "defs": defs,
            "main": main,
            "freshness": freshness,
            "home": Path(env["CAPACITY_HOME"]),
            "warehouse": Warehouse("postgres", pg_conninfo, models_schema),
        }
    finally:
        with psycopg.connect(pg_conninfo, autocommit=True) as connection:
            for schema in (app_schema, *model_schemas(models_schema)):
                connection.execute(f"drop schema if exists {quote_ident(schema)} cascade")


def test_no_seed_assets_on_postgres(orchestrated_postgres: dict[str, Any]) -> None:
    graph = orchestrated_postgres["defs"].resolve_asset_graph()
    assert CACHE_SOURCE in graph.external_asset_keys  # the app writes its own tables
    assert not any(key.path[0] == "app" for key in graph.materializable_asset_keys)


def test_every_asset_is_materialised_on_postgres(orchestrated_postgres: dict[str, Any]) -> None:
    main = orchestrated_postgres["main"]
    assert main.success
    built = {event.asset_key for event in main.get_asset_materialization_events()}
    graph = orchestrated_postgres["defs"].resolve_asset_graph()
    assert built == graph.materializable_asset_keys
    failed = {
        e.asset_check_key.name: e.severity
        for e in main.get_asset_check_evaluations()
        if not e.passed
    }
    assert failed and set(failed.values()) == {AssetCheckSeverity.WARN}


def test_postgres_marts_equal_the_clis_build(
    orchestrated_postgres: dict[str, Any], postgres_demo: Warehouse, tmp_path: Path
) -> None:
    assert_builds_equal(
        orchestrated_postgres["defs"], orchestrated_postgres["warehouse"], postgres_demo
    )
    expected = write_outputs(postgres_demo, tmp_path)
    output = orchestrated_postgres["home"] / "output"
    for path in expected.snapshots:
        assert (output / "snapshots" / path.name).read_bytes() == path.read_bytes(), path.name
    assert (output / "kpi_card.html").read_bytes() == expected.kpi_card.read_bytes()


def test_freshness_check_fails_on_postgres_too(orchestrated_postgres: dict[str, Any]) -> None:
    freshness = orchestrated_postgres["freshness"]
    assert not freshness.success
    (evaluation,) = freshness.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    assert evaluation.metadata["dbt_status"].value == "error"
