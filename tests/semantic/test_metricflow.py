"""The semantic layer agrees with the marts (SPEC §5): MetricFlow shows the mart's figure.

One DuckDB file holds the demo at its as_of plus two earlier recorded runs
of workspace_capacity_history, so the trend has three points. MetricFlow
runs in this process through its Python API (one engine, no CLI start-up per
query) on a DB-API connection of the test's own; the same connection runs
the SQL over the marts the answers are compared with. Every metric by every
grouping is compared on the PostgreSQL demo too. One test goes through the
`mf` CLI, as docs/consumers.md shows it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import duckdb
import pytest
from expected_demo_mart import EXPECTED_MART
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.engine.models import Dimension
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import (
    parse_manifest_from_dbt_generated_manifest,
)
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from support import isolate_dbt_paths

from capacity.mart import dbt_runner
from capacity.settings import DEMO_AS_OF, PROJECT_DIR
from capacity.warehouse import Warehouse

MF = Path(sys.executable).with_name("mf")

# Recorded before the demo's own as_of (2026-03-02), which is recorded last.
EARLIER_AS_OFS = ("2026-02-16T09:00:00Z", "2026-02-23T09:00:00Z")
RECORDED_DATES = [dt.date(2026, 2, 16), dt.date(2026, 2, 23), dt.date(2026, 3, 2)]

BY_SOURCE = "workspace_capacity_30d_by_source"
COMBINED = "workspace_capacity_30d"
HISTORY = "workspace_capacity_history"


def pct(booked: str, total: str) -> str:
    return f"100 * cast({booked} as double precision) / nullif({total}, 0)"


WITH_PCT = "case when booked_pct is not null then {} end"

# What each metric means, as SQL over the mart it reads: written here, not taken from the
# semantic models, so a measure that drifts from the mart fails. A new metric must be added.
# Over the history a figure is a stock, not a flow: each period shows its latest recorded
# run (LATEST_RUN: the mart and its as-of column), never a sum over runs.
MEANING: dict[str, tuple[str, str]] = {
    "booked_slots": (COMBINED, "sum(booked_slots)"),
    "available_slots": (COMBINED, "sum(available_slots)"),
    "total_slots": (COMBINED, "sum(total_slots)"),
    "booked_pct": (COMBINED, pct("sum(booked_slots)", "sum(total_slots)")),
    "unattributed_booked_slots": (COMBINED, "sum(unattributed_booked_slots)"),
    "source_booked_slots": (BY_SOURCE, "sum(booked_slots)"),
    "source_available_slots": (BY_SOURCE, "sum(available_slots)"),
    "source_total_slots": (BY_SOURCE, "sum(total_slots)"),
    "source_booked_slots_with_pct": (BY_SOURCE, f"sum({WITH_PCT.format('booked_slots')})"),
    "source_total_slots_with_pct": (BY_SOURCE, f"sum({WITH_PCT.format('total_slots')})"),
    "source_booked_pct": (
        BY_SOURCE,
        pct(f"sum({WITH_PCT.format('booked_slots')})", f"sum({WITH_PCT.format('total_slots')})"),
    ),
    "invalid_slot_entries": (BY_SOURCE, "sum(invalid_slot_entries)"),
    "recorded_booked_slots": (HISTORY, "sum(booked_slots)"),
    "recorded_available_slots": (HISTORY, "sum(available_slots)"),
    "recorded_total_slots": (HISTORY, "sum(total_slots)"),
    "recorded_invalid_slot_entries": (HISTORY, "sum(invalid_slot_entries)"),
    "recorded_booked_pct": (HISTORY, pct("sum(booked_slots)", "sum(total_slots)")),
}
LATEST_RUN = {HISTORY: "as_of_date"}


class SqlClient:
    """MetricFlow's SqlClient on one DB-API connection of the test's own (no dbt adapter)."""

    sql_engine_type: SqlEngine
    sql_plan_renderer: Any

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def rows(self, stmt: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.connection.execute(stmt)
        return [column[0] for column in cursor.description], cursor.fetchall()

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> MetricFlowDataTable:
        names, rows = self.rows(stmt)
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=rows)

    def execute(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self.connection.execute(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self.connection.execute(f"explain {stmt}")

    def close(self) -> None:
        self.connection.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


class DuckDbClient(SqlClient):
    sql_engine_type = SqlEngine.DUCKDB
    sql_plan_renderer = DuckDbSqlPlanRenderer()


class PostgresClient(SqlClient):
    sql_engine_type = SqlEngine.POSTGRES
    sql_plan_renderer = PostgresSQLSqlPlanRenderer()


@dataclass(frozen=True)
class SemanticLayer:
    engine: MetricFlowEngine
    client: SqlClient
    manifest: dict[str, Any]  # target/semantic_manifest.json as dbt wrote it
    target: Path
    database: Path | None  # the DuckDB file

    def query(self, metrics: Sequence[str], group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics), group_by_names=list(group_by)
        )
        table = self.engine.query(request).result_df
        assert table is not None
        names = list(table.column_names)
        return [dict(zip(names, row, strict=True)) for row in table.rows]

    def sql(self, statement: str) -> list[dict[str, Any]]:
        names, rows = self.client.rows(statement)
        return [dict(zip(names, row, strict=True)) for row in rows]


def layer(client: SqlClient, target: Path, database: Path | None = None) -> SemanticLayer:
    text = (target / "semantic_manifest.json").read_text()
    lookup = SemanticManifestLookup(parse_manifest_from_dbt_generated_manifest(text))
    engine = MetricFlowEngine(lookup, client)
    return SemanticLayer(engine, client, json.loads(text), target, database)


@pytest.fixture(scope="module")
def semantic(
    duckdb_demo: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SemanticLayer]:
    """The demo's DuckDB file with history recorded at three as-of dates, and MetricFlow on it."""
    tmp = tmp_path_factory.mktemp("semantic")
    database = tmp / "semantic.duckdb"
    shutil.copy2(duckdb_demo.dsn, database)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
        # earlier runs first, then the demo's as_of again: the marts are the demo's
        for as_of in (*EARLIER_AS_OFS, DEMO_AS_OF):
            dbt_runner.run_dbt(
                ["run", "--select", "+workspace_capacity_history"],
                dbt_vars={"capacity_as_of": as_of},
            )
    client = DuckDbClient(duckdb.connect(str(database), read_only=True))
    try:
        yield layer(client, tmp / "target", database)
    finally:
        client.close()


@pytest.fixture(scope="module")
def semantic_postgres(
    postgres_demo: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SemanticLayer]:
    """MetricFlow on the demo built on PostgreSQL (history recorded at the demo's as_of only)."""
    import psycopg

    tmp = tmp_path_factory.mktemp("semantic_postgres")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_PG_SCHEMA", postgres_demo.schema)
        dbt_runner.run_dbt(["parse"], target="postgres")  # relations named in that schema
    client = PostgresClient(psycopg.connect(postgres_demo.dsn, autocommit=True))
    try:
        yield layer(client, tmp / "target")
    finally:
        client.close()


def same(actual: Any, expected: Any) -> bool:
    """NULL equals only NULL; numbers to 1e-9."""
    if actual is None or expected is None:
        return actual is None and expected is None
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def key_value(value: Any) -> Any:
    """A group-by value as a comparable key: a day is a date, whether DATE or TIMESTAMP."""
    return value.date() if isinstance(value, dt.datetime) else value


# ---- the issue's own examples -------------------------------------------------------------


def test_grand_total_counts_only_what_entered_the_combined_figures(
    semantic: SemanticLayer,
) -> None:
    [row] = semantic.query(["booked_slots", "available_slots", "total_slots", "booked_pct"])
    entered = [w for w in EXPECTED_MART.values() if w["total_slots"] is not None]
    booked = sum(w["booked_slots"] for w in entered)
    total = sum(w["total_slots"] for w in entered)
    assert (booked, total) == (19, 49)  # Delta's DEFAULT booking entered no combined figure
    assert row["booked_slots"] == booked
    assert row["available_slots"] == total - booked
    assert row["total_slots"] == total
    assert row["booked_pct"] == pytest.approx(100 * booked / total)


def test_combined_metrics_by_workspace_are_the_mart(semantic: SemanticLayer) -> None:
    metrics = ["booked_slots", "available_slots", "total_slots", "booked_pct"]
    rows = semantic.query([*metrics, "unattributed_booked_slots"], ["workspace"])
    by_workspace = {row["workspace"]: row for row in rows}
    assert set(by_workspace) == set(EXPECTED_MART)
    for workspace_id, expected in EXPECTED_MART.items():
        for metric in [*metrics, "unattributed_booked_slots"]:
            assert same(by_workspace[workspace_id][metric], expected[metric]), (
                workspace_id,
                metric,
            )


def test_source_metrics_by_workspace_and_source_keep_the_marts_nulls(
    semantic: SemanticLayer,
) -> None:
    figures = ["booked_slots", "available_slots", "total_slots", "booked_pct"]
    rows = semantic.query(
        [f"source_{figure}" for figure in figures],
        ["workspace", "workspace_source__availability_source"],
    )
    assert len(rows) == 2 * len(EXPECTED_MART)
    for row in rows:
        prefix = row["workspace_source__availability_source"].lower() + "_"
        expected = EXPECTED_MART[row["workspace"]]
        for figure in figures:
            assert same(row[f"source_{figure}"], expected[prefix + figure]), (
                row["workspace"],
                prefix + figure,
            )
    cells = {(row["workspace"], row["workspace_source__availability_source"]): row for row in rows}
    grove = cells[("ws_grove", "DIRECT_BOOK")]
    assert (grove["source_available_slots"], grove["source_total_slots"]) == (1, 1)
    harbor = cells[("ws_harbor", "DIRECT_BOOK")]
    assert harbor["source_available_slots"] is None
    assert harbor["source_total_slots"] is None


def test_combined_metrics_cannot_be_split_by_source(semantic: SemanticLayer) -> None:
    """A split of the combined figure by source would show a source's share as its figure."""
    for metric in ("booked_slots", "available_slots", "total_slots", "booked_pct"):
        names = {group_by_name(item) for item in semantic.engine.list_group_bys([metric])}
        assert "workspace_source__availability_source" not in names, metric


def test_booked_pct_trend_over_metric_time_comes_from_the_history(
    semantic: SemanticLayer,
) -> None:
    rows = semantic.query(["recorded_booked_pct"], ["metric_time__day"])
    by_day = {key_value(row["metric_time__day"]): row["recorded_booked_pct"] for row in rows}
    assert sorted(by_day) == RECORDED_DATES
    [today_figures] = semantic.query(["booked_slots", "booked_pct"])
    assert by_day[RECORDED_DATES[-1]] == pytest.approx(today_figures["booked_pct"])
    # a stock, not a flow: a month shows its latest run, never the sum of its runs
    by_month = {
        key_value(row["metric_time__month"]): row
        for row in semantic.query(["recorded_booked_slots"], ["metric_time__month"])
    }
    february = max(day for day in RECORDED_DATES if day.month == 2)  # two runs in February
    [on_february] = [
        row
        for row in semantic.query(["recorded_booked_slots"], ["metric_time__day"])
        if key_value(row["metric_time__day"]) == february
    ]
    february_total = by_month[dt.date(2026, 2, 1)]["recorded_booked_slots"]
    assert february_total == on_february["recorded_booked_slots"]
    [latest] = semantic.query(["recorded_booked_slots", "recorded_booked_pct"])
    assert latest["recorded_booked_slots"] == today_figures["booked_slots"]
    assert latest["recorded_booked_pct"] == pytest.approx(today_figures["booked_pct"])
    per_workspace = semantic.query(
        ["recorded_booked_pct"], ["workspace_day__workspace_id", "metric_time__day"]
    )
    assert len(per_workspace) == len(EXPECTED_MART) * len(RECORDED_DATES)
    for row in per_workspace:
        if key_value(row["metric_time__day"]) == RECORDED_DATES[-1]:
            expected = EXPECTED_MART[row["workspace_day__workspace_id"]]["booked_pct"]
            assert same(row["recorded_booked_pct"], expected), row


def test_no_metric_fills_nulls_or_joins_the_time_spine(semantic: SemanticLayer) -> None:
    """fill_nulls_with would turn a NULL into a number; join_to_timespine would invent days."""

    def settings(node: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("fill_nulls_with", "join_to_timespine"):
                    yield key, value
                yield from settings(value)
        elif isinstance(node, list):
            for item in node:
                yield from settings(item)

    found = list(settings(semantic.manifest["metrics"]))
    assert found, "the manifest's metric inputs name these settings"
    # `is`, not ==: fill_nulls_with 0 == False
    assert [(key, value) for key, value in found if value is not None and value is not False] == []


# ---- every metric by every grouping --------------------------------------------------------


def group_by_name(item: Any) -> str:
    """The name a query groups by: a time dimension at its day grain."""
    if isinstance(item, Dimension):
        name = item.dunder_name
        if item.type.value == "time" and not name.endswith("__day"):
            name += "__day"
        return name
    return item.name  # an entity


@dataclass(frozen=True)
class Column:
    """Where a group-by item's value comes from: an expression over a semantic model's mart,
    reached from the metric's own mart through an entity (join) or not (None)."""

    expr: str
    model: str
    join_entity: str | None
    grain: str | None  # a time column's: day, month
    is_metric_time: bool = False


def semantic_models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {model["name"]: model for model in manifest["semantic_models"]}


def entity_expr(model: dict[str, Any], name: str) -> str:
    [entity] = [entity for entity in model["entities"] if entity["name"] == name]
    return entity["expr"] or entity["name"]


def dimension_expr(model: dict[str, Any], name: str) -> str:
    [dimension] = [dimension for dimension in model["dimensions"] if dimension["name"] == name]
    return dimension["expr"] or dimension["name"]


def column_of(name: str, item: Any, metric_model: dict[str, Any], models: dict[str, Any]) -> Column:
    if name.startswith("metric_time__"):
        time = metric_model["defaults"]["agg_time_dimension"]
        grain = name.removeprefix("metric_time__")
        expr = dimension_expr(metric_model, time)
        return Column(expr, metric_model["name"], None, grain, is_metric_time=True)
    if not isinstance(item, Dimension):  # an entity, read where the metric is
        return Column(entity_expr(metric_model, item.name), metric_model["name"], None, None)
    owner = models[item.semantic_model_reference.semantic_model_name]
    grain = "day" if item.type.value == "time" else None
    if owner["name"] == metric_model["name"]:
        return Column(dimension_expr(owner, item.name), owner["name"], None, grain)
    links = [link.element_name for link in item.entity_links]
    assert len(links) == 1, f"{name}: joins over more than one entity are not covered"
    return Column(dimension_expr(owner, item.name), owner["name"], links[0], grain)


def expected_sql(
    metrics: Sequence[str],
    columns: Sequence[Column],
    metric_model: dict[str, Any],
    models: dict[str, Any],
) -> str:
    """SQL over the marts: each metric's MEANING grouped by the columns, joins left outer."""

    def relation(model: dict[str, Any]) -> str:
        return model["node_relation"]["relation_name"]  # where dbt built it, as MetricFlow reads

    def value(column: Column) -> str:
        if column.grain is None:
            return column.expr
        return f"cast(date_trunc('{column.grain}', {column.expr}) as date)"

    own = [f"{value(c)} as g{i}" for i, c in enumerate(columns) if c.join_entity is None]
    joins = sorted({c.join_entity for c in columns if c.join_entity is not None})
    own += [f"{entity_expr(metric_model, e)} as join_{e}" for e in joins]
    selected = ", ".join(own) or "null as g"
    rows = relation(metric_model)
    as_of = LATEST_RUN.get(metric_model["node_relation"]["alias"])
    if as_of:  # only the latest run of each period the grouping's time columns make
        # the period is metric_time's when it is grouped (MetricFlow's rule: a grouping by
        # metric_time__month and as_of_date__day shows each month's latest day only)
        times = [c for c in columns if c.grain and c.join_entity is None]
        periods = [value(c) for c in times if c.is_metric_time] or [value(c) for c in times]
        partition = f"partition by {', '.join(periods)}" if periods else ""
        rows = (
            f"(select * from (select *, max({as_of}) over ({partition}) as latest_run "
            f"from {rows}) as runs where {as_of} = latest_run) as latest"
        )
    ctes = [f"metric_rows as (select *, {selected} from {rows})"]
    for entity in joins:
        owners = {c.model for c in columns if c.join_entity == entity}
        assert len(owners) == 1
        owner = models[owners.pop()]
        picked = [f"{value(c)} as g{i}" for i, c in enumerate(columns) if c.join_entity == entity]
        key = entity_expr(owner, entity)
        ctes.append(
            f"linked_{entity} as "
            f"(select {key} as join_key, {', '.join(picked)} from {relation(owner)})"
        )
    source = "metric_rows" + "".join(
        f" left join linked_{e} on metric_rows.join_{e} = linked_{e}.join_key" for e in joins
    )
    groups = [f"g{i}" for i in range(len(columns))]
    aggregates = [f"{MEANING[metric][1]} as {metric}" for metric in metrics]
    group_clause = f" group by {', '.join(groups)}" if groups else ""
    return (
        f"with {', '.join(ctes)} select {', '.join([*groups, *aggregates])} "
        f"from {source}{group_clause}"
    )


def test_every_metric_by_every_grouping_equals_sql_over_the_marts(
    semantic: SemanticLayer,
) -> None:
    # 3 families; every single and paired grouping of each
    assert check_every_metric_by_every_grouping(semantic) > 1000


@pytest.mark.postgres
def test_every_metric_by_every_grouping_on_postgres(semantic_postgres: SemanticLayer) -> None:
    assert check_every_metric_by_every_grouping(semantic_postgres) > 1000


def check_every_metric_by_every_grouping(semantic: SemanticLayer) -> int:
    """Every metric by every grouping MetricFlow offers (none, each one, each pair) against
    SQL over the marts; returns the number of values compared."""
    engine, models = semantic.engine, semantic_models(semantic.manifest)
    metrics = [metric.name for metric in engine.list_metrics(include_dimensions=False)]
    assert metrics, "no metric in the semantic manifest"
    missing = sorted(set(metrics) - set(MEANING))
    assert not missing, f"say what these metrics mean over the marts in MEANING: {missing}"

    # metrics of one semantic model share their groupings: query them together
    families: dict[str, list[str]] = {}
    for metric in engine.list_metrics(include_dimensions=False):
        [model] = {model.semantic_model_name for model in metric.semantic_models}
        families.setdefault(model, []).append(metric.name)

    compared = 0
    for model_name, family in sorted(families.items()):
        metric_model = models[model_name]
        marts = {MEANING[metric][0] for metric in family}
        assert marts == {metric_model["node_relation"]["alias"]}, (family, marts)
        items = {group_by_name(item): item for item in engine.list_group_bys(family)}
        assert "metric_time__day" in items, model_name
        items["metric_time__month"] = items["metric_time__day"]  # a coarser period too
        groupings = [(), *((n,) for n in items), *combinations(sorted(items), 2)]
        for grouping in groupings:
            columns = [column_of(name, items[name], metric_model, models) for name in grouping]
            actual = semantic.query(family, grouping)
            expected = semantic.sql(expected_sql(family, columns, metric_model, models))
            compared += compare(actual, expected, family, grouping)
    return compared


def compare(
    actual: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    metrics: Sequence[str],
    grouping: Sequence[str],
) -> int:
    """Same groups, and in each the same value of every metric; returns the values compared."""

    def keyed(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[tuple[Any, ...], Any]:
        result = {tuple(key_value(row[name]) for name in names): row for row in rows}
        assert len(result) == len(rows), f"{grouping}: a group appears twice"
        return result

    got = keyed(actual, grouping)
    want = keyed(expected, [f"g{i}" for i in range(len(grouping))])
    assert set(got) == set(want), (grouping, sorted(got, key=repr), sorted(want, key=repr))
    for key, row in want.items():
        for metric in metrics:
            assert same(got[key][metric], row[metric]), (
                f"{metric} by {list(grouping)} at {key}: "
                f"MetricFlow {got[key][metric]!r}, the marts {row[metric]!r}"
            )
    return len(want) * len(metrics)


# ---- the mf CLI, as docs/consumers.md shows it -------------------------------------------


def test_mf_cli_draws_the_trend(semantic: SemanticLayer, tmp_path: Path) -> None:
    """`mf query` from a project directory (it reads <project>/target/semantic_manifest.json)."""
    project = tmp_path / "project"
    project.mkdir()
    # a copy under the same file name (the manifest names the database after it): the
    # engine's read-only connection holds the original, dbt's adapter opens it read-write
    assert semantic.database is not None
    database = tmp_path / semantic.database.name
    shutil.copy2(semantic.database, database)
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds"):
        (project / name).symlink_to(PROJECT_DIR / name)
    (project / "target").symlink_to(semantic.target)
    out = tmp_path / "trend.csv"
    env = {
        **os.environ,
        "CAPACITY_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(project),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    env.pop("DBT_TARGET_PATH", None)
    command = [str(MF), "query", "--metrics", "recorded_booked_pct", "--group-by"]
    command += ["metric_time__day", "--csv", str(out), "--quiet"]
    completed = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with out.open(newline="") as result:
        rows = list(csv.DictReader(result))
    api = semantic.query(["recorded_booked_pct"], ["metric_time__day"])
    expected = {str(key_value(row["metric_time__day"])): row["recorded_booked_pct"] for row in api}
    got = {row["metric_time__day"][:10]: float(row["recorded_booked_pct"]) for row in rows}
    assert got.keys() == expected.keys()
    for day, value in got.items():
        assert value == pytest.approx(expected[day])


# ---- every consumer, one figure and one doubt (SPEC §5) -----------------------------------


def test_snapshot_card_metricflow_and_mart_agree_on_every_workspace(
    semantic: SemanticLayer,
) -> None:
    """For each demo workspace: the mart, MetricFlow, the Insights snapshot and the KPI card
    give the same combined figure, the same NULL with the same reason, and the same doubt."""
    import re

    from capacity.consumers.kpi_card import render_page
    from capacity.consumers.snapshot import read_all_snapshots, round_pct

    assert semantic.database is not None
    warehouse = Warehouse("duckdb", str(semantic.database), "main")
    mart = {
        row["workspace_id"]: row
        for row in semantic.sql(f"select * from {warehouse.relation('workspace_capacity_30d')}")
    }
    metrics = ["booked_slots", "available_slots", "total_slots", "booked_pct"]
    flow = {
        row["workspace"]: row
        for row in semantic.query([*metrics, "unattributed_booked_slots"], ["workspace"])
    }
    snapshots = read_all_snapshots(warehouse)
    page = render_page(snapshots)
    cards = dict(re.findall(r'data-workspace-id="([^"]+)"(.*?)</section>', page, flags=re.DOTALL))
    assert set(mart) == set(flow) == {s["workspaceId"] for s in snapshots} == set(cards)
    for snapshot in snapshots:
        workspace_id = snapshot["workspaceId"]
        row, capacity, card = mart[workspace_id], snapshot["capacity"], cards[workspace_id]
        for metric in metrics:
            assert same(flow[workspace_id][metric], row[metric]), (workspace_id, metric)
        assert capacity["bookedSlots"] == row["booked_slots"], workspace_id
        assert capacity["totalSlots"] == row["total_slots"], workspace_id
        assert capacity["bookedPct"] == round_pct(row["booked_pct"]), workspace_id
        assert capacity["bookedPctNullReason"] == row["booked_pct_null_reason"], workspace_id
        assert capacity["unattributedBookedSlots"] == row["unattributed_booked_slots"]
        assert capacity["cacheMeta"]["isStale"] == row["cache_is_stale"], workspace_id
        quality = capacity["dataQuality"]
        assert quality["invalidSlotEntries"] == row["invalid_slot_entries"], workspace_id
        # the card's face: its figure (or n/a with the mart's reason) and every signal
        value = re.search(r'<p class="value[^"]*" id="[^"]+">([^<]+)</p>', card)
        assert value is not None, workspace_id
        if row["booked_pct"] is None:
            assert value.group(1) == "n/a", workspace_id
            assert f'data-signal="{row["booked_pct_null_reason"]}"' in card, workspace_id
        else:
            assert value.group(1) == f"{capacity['bookedPct']:.1f}%", workspace_id
            assert f"{row['booked_slots']} of {row['total_slots']} slots booked" in card
        shown = set(re.findall(r'data-signal="([^"]+)"', card))
        assert shown == set(quality["reasons"]), workspace_id
        assert ("cache_stale" in shown) == row["cache_is_stale"], workspace_id
