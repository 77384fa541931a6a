"""BI-safe marts: aware UTC timestamps, enforced keys, the marts alone in the BI schema.

A BI tool connects with a session time zone of its own (an analyst in New
York), browses one schema, and trusts the keys it finds there. These tests
read the built demo the way such a client does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from capacity.consumers.snapshot import build_snapshot, read_snapshot, window_days
from capacity.mart import dbt_runner
from capacity.mart import show as report
from capacity.settings import PROJECT_DIR
from capacity.warehouse import Warehouse, connect, fetch_dicts, model_schema, model_schemas

NEW_YORK = "America/New_York"
AS_OF = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARTS = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").rglob("*.sql"))


@pytest.fixture
def duckdb_in_new_york(duckdb_demo: Warehouse) -> Iterator[Any]:
    """A read-only DuckDB connection to the demo whose session time zone is New York's."""
    import duckdb

    connection = duckdb.connect(duckdb_demo.dsn, read_only=True)
    connection.execute(f"set TimeZone = '{NEW_YORK}'")
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def postgres_in_new_york(postgres_demo: Warehouse) -> Iterator[Any]:
    """A PostgreSQL connection to the demo with `set time zone 'America/New_York'`."""
    import psycopg

    with psycopg.connect(postgres_demo.dsn) as connection:
        connection.execute(f"set time zone '{NEW_YORK}'")
        yield connection


# --- timestamps: one instant, whatever the session's time zone ---------------------------


def test_duckdb_new_york_session_reads_the_utc_instant(duckdb_in_new_york: Any) -> None:
    mart = Warehouse("duckdb", "", "main").relation("workspace_capacity_30d")
    as_of_at, shown = duckdb_in_new_york.execute(
        f"select as_of_at, cast(as_of_at as varchar) from {mart} limit 1"
    ).fetchone()
    assert as_of_at.tzinfo is not None, "the driver returns an aware datetime"
    assert as_of_at == AS_OF
    assert shown == "2026-03-02 04:00:00-05"  # displayed in the session's zone, same instant


@pytest.mark.postgres
def test_postgres_new_york_session_reads_the_utc_instant(
    postgres_demo: Warehouse, postgres_in_new_york: Any
) -> None:
    as_of_at, shown = postgres_in_new_york.execute(
        f"select as_of_at, as_of_at::text from {postgres_demo.relation('workspace_capacity_30d')} "
        "limit 1"
    ).fetchone()
    assert as_of_at == AS_OF
    assert shown == "2026-03-02 04:00:00-05"


def test_duckdb_consumers_say_the_same_in_a_new_york_session(
    duckdb_demo: Warehouse, duckdb_in_new_york: Any
) -> None:
    # The window crosses the US change to summer time (2026-03-08): on New York's wall
    # clock it lasts 30 days and 1 hour, in UTC exactly 30 days.
    assert build_snapshot(duckdb_in_new_york, duckdb_demo, "ws_acme") == read_snapshot(
        duckdb_demo, "ws_acme"
    )
    rows = report.load_mart(duckdb_in_new_york, duckdb_demo)
    assert {row["window_start_at"].tzinfo for row in rows} == {UTC}
    with connect(duckdb_demo) as connection:
        assert report.format_capacity_table(rows) == report.format_capacity_table(
            report.load_mart(connection, duckdb_demo)
        )


@pytest.mark.postgres
def test_postgres_consumers_say_the_same_in_a_new_york_session(
    postgres_demo: Warehouse, postgres_in_new_york: Any
) -> None:
    for workspace_id in ("ws_acme", "ws_elm"):
        assert build_snapshot(postgres_in_new_york, postgres_demo, workspace_id) == read_snapshot(
            postgres_demo, workspace_id
        )


@pytest.mark.postgres
@pytest.mark.usefixtures("isolated_dbt_paths")
def test_mart_unit_tests_pass_in_a_new_york_dbt_session(
    postgres_demo: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixture value of an aware column without an offset would be read in the
    # session's zone: the marts' unit tests spell their instants with +00:00.
    monkeypatch.setenv("CAPACITY_PG_SCHEMA", postgres_demo.schema)
    monkeypatch.setenv("PGTZ", NEW_YORK)  # libpq sets the session's time zone from it
    result = dbt_runner.run_dbt(
        ["test", "--select", "test_type:unit,path:models/marts"], target="postgres"
    )
    assert len(result.result.results) >= 6


def test_window_days_counts_instants_not_wall_clocks() -> None:
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo(NEW_YORK)
    start = datetime(2026, 3, 2, 4, 0, tzinfo=new_york)  # 09:00 UTC
    end = datetime(2026, 4, 1, 5, 0, tzinfo=new_york)  # 09:00 UTC, after the DST change
    assert end - start != end.astimezone(UTC) - start.astimezone(UTC)  # Python's trap
    assert window_days(start, end) == 30


def _timestamp_columns(warehouse: Warehouse) -> dict[tuple[str, str], str]:
    with connect(warehouse) as connection:
        rows = fetch_dicts(
            connection,
            "select table_name, column_name, data_type from information_schema.columns "
            f"where table_schema = {warehouse.placeholder} "
            "and substr(lower(data_type), 1, 9) = 'timestamp'",
            [warehouse.schema],
        )
    return {(row["table_name"], row["column_name"]): row["data_type"].lower() for row in rows}


def check_every_mart_timestamp_is_aware(warehouse: Warehouse) -> None:
    columns = _timestamp_columns(warehouse)
    assert ("workspace_capacity_30d", "as_of_at") in columns
    assert ("workspace_capacity_history", "recorded_at") in columns
    naive = {column: kind for column, kind in columns.items() if kind != "timestamp with time zone"}
    assert not naive, f"naive timestamps in the marts: {naive}"


def test_every_duckdb_mart_timestamp_is_aware(duckdb_demo: Warehouse) -> None:
    check_every_mart_timestamp_is_aware(duckdb_demo)


@pytest.mark.postgres
def test_every_postgres_mart_timestamp_is_aware(postgres_demo: Warehouse) -> None:
    check_every_mart_timestamp_is_aware(postgres_demo)


# --- the schema a BI tool browses holds the marts only -----------------------------------


def check_layers_in_their_schemas(warehouse: Warehouse) -> None:
    with connect(warehouse) as connection:
        rows = fetch_dicts(
            connection,
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join([warehouse.placeholder] * 3)})",
            list(model_schemas(warehouse.schema)),
        )
    by_schema: dict[str, set[str]] = {}
    for row in rows:
        by_schema.setdefault(row["table_schema"], set()).add(row["table_name"])
    assert sorted(by_schema[warehouse.schema]) == MARTS
    staging, intermediate = model_schemas(warehouse.schema)[1:]
    assert by_schema[staging] and all(name.startswith("stg_") for name in by_schema[staging])
    assert by_schema[intermediate] and all(
        name.startswith("int_") for name in by_schema[intermediate]
    )
    # capacity.warehouse finds every relation where dbt built it
    for schema, names in by_schema.items():
        assert all(model_schema(warehouse.schema, name) == schema for name in names), schema


def test_duckdb_main_schema_holds_the_marts_only(duckdb_demo: Warehouse) -> None:
    check_layers_in_their_schemas(duckdb_demo)


@pytest.mark.postgres
def test_postgres_models_schema_holds_the_marts_only(postgres_demo: Warehouse) -> None:
    check_layers_in_their_schemas(postgres_demo)


# --- constraints: enforced keys and NOT NULL ----------------------------------------------

# (model, key columns) of the marts whose contracts declare a primary key
PRIMARY_KEYS = {
    "workspace_capacity_30d": ["workspace_id"],
    "workspace_capacity_30d_by_source": ["workspace_id", "availability_source"],
    "fct_booked_appointments": ["appointment_id"],
    "workspace_capacity_daily": ["workspace_source_date_id"],
    "capacity_constrained_workspaces": ["workspace_id"],
    "workspace_capacity_history": ["workspace_id", "as_of_date"],
}
# never NULL (SPEC §4, §5): a sample of the not_null constraints the contracts declare
NOT_NULL = {
    "workspace_capacity_30d": [
        "workspace_id",
        "as_of_at",
        "window_start_at",
        "window_end_at",
        "default_booked_slots",
        "direct_book_booked_slots",
        "unattributed_booked_slots",
        "cache_is_stale",
        "default_has_cache",
        "direct_book_has_cache",
    ],
    "workspace_capacity_30d_by_source": [
        "workspace_id",
        "availability_source",
        "as_of_at",
        "booked_slots",
        "cache_is_stale",
        "has_cache",
        "cache_is_readable",
        "enters_combined_figure",
    ],
    "fct_booked_appointments": ["appointment_id", "workspace_id", "start_at"],
    "workspace_capacity_daily": ["workspace_source_date_id", "calendar_date", "booked_slots"],
    "capacity_constrained_workspaces": [
        "workspace_id",
        "constraint_status",
        "max_unattributed_share",
        "has_many_unattributed_bookings",
        "trend_run_count",
    ],
    "workspace_capacity_history": [
        "workspace_id",
        "as_of_date",
        "as_of_at",
        "recorded_at",
        "workspace_as_of_date_id",
    ],
}


def _not_nullable(warehouse: Warehouse, model: str) -> set[str]:
    with connect(warehouse) as connection:
        rows = fetch_dicts(
            connection,
            "select column_name from information_schema.columns "
            f"where table_schema = {warehouse.placeholder} "
            f"and table_name = {warehouse.placeholder} and is_nullable = 'NO'",
            [warehouse.schema, model],
        )
    return {row["column_name"] for row in rows}


@pytest.mark.parametrize("model", sorted(PRIMARY_KEYS))
def test_duckdb_enforces_the_contract_constraints(duckdb_demo: Warehouse, model: str) -> None:
    import duckdb

    assert set(NOT_NULL[model]) <= _not_nullable(duckdb_demo, model)
    with connect(duckdb_demo) as connection:
        keys = connection.execute(
            "select constraint_column_names from duckdb_constraints() "
            "where schema_name = ? and table_name = ? and constraint_type = 'PRIMARY KEY'",
            [duckdb_demo.schema, model],
        ).fetchall()
    assert keys == [(PRIMARY_KEYS[model],)]
    # and DuckDB refuses a duplicate key (on a copy: the demo file is shared)
    with duckdb.connect() as scratch:
        scratch.execute(f"attach '{duckdb_demo.dsn}' as demo (read_only)")
        ddl = scratch.execute(
            "select sql from duckdb_tables() where database_name = 'demo' and table_name = ?",
            [model],
        ).fetchone()[0]
        scratch.execute(ddl.replace(f"{duckdb_demo.schema}.", "", 1))
        scratch.execute(f"insert into {model} select * from demo.{duckdb_demo.relation(model)}")
        with pytest.raises(duckdb.ConstraintException):
            scratch.execute(
                f"insert into {model} select * from demo.{duckdb_demo.relation(model)} limit 1"
            )


@pytest.mark.postgres
@pytest.mark.parametrize("model", sorted(PRIMARY_KEYS))
def test_postgres_enforces_the_contract_constraints(postgres_demo: Warehouse, model: str) -> None:
    import psycopg

    assert set(NOT_NULL[model]) <= _not_nullable(postgres_demo, model)
    with psycopg.connect(postgres_demo.dsn) as conn:
        keys = conn.execute(
            "select array_agg(attribute.attname order by key.ordinality) "
            "from pg_constraint as constraint_ "
            "cross join unnest(constraint_.conkey) with ordinality as key(attnum, ordinality) "
            "join pg_attribute as attribute "
            "on attribute.attrelid = constraint_.conrelid and attribute.attnum = key.attnum "
            "where constraint_.contype = 'p' and constraint_.conrelid = %s::regclass "
            "group by constraint_.oid",
            [postgres_demo.relation(model)],
        ).fetchall()
        assert keys == [(PRIMARY_KEYS[model],)]
        # the key is enforced: a duplicate is refused (rolled back with the transaction)
        with pytest.raises(psycopg.errors.UniqueViolation):
            relation = postgres_demo.relation(model)
            conn.execute(f"insert into {relation} select * from {relation} limit 1")


# --- dbt's view: constraints in the contracts, exposures on public marts -----------------


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp: Path = tmp_path_factory.mktemp("bi_safe_parse")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DBT_TARGET_PATH", str(tmp / "target"))
        monkeypatch.setenv("DBT_LOG_PATH", str(tmp / "logs"))
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(tmp / "unused.duckdb"))
        return dbt_runner.run_dbt(["parse"]).result


def test_exposures_depend_on_public_marts_only(manifest: Any) -> None:
    assert manifest.exposures
    for exposure in manifest.exposures.values():
        for unique_id in exposure.depends_on.nodes:
            node = manifest.nodes[unique_id]
            assert node.access == "public", (
                f"{exposure.name} depends on {node.name} ({node.access})"
            )


def test_every_contract_declares_its_key_and_never_null_columns(manifest: Any) -> None:
    for unique_id, node in manifest.nodes.items():
        if node.resource_type != "model" or not node.contract.enforced:
            continue
        not_null = {
            name
            for name, column in node.columns.items()
            if any(c.type == "not_null" for c in column.constraints)
        }
        tests = [
            test
            for test in manifest.nodes.values()
            if test.resource_type == "test"
            and getattr(test, "test_metadata", None) is not None
            and test.attached_node == unique_id
        ]
        # one test checks every not_null constraint (where the engine enforces none)
        assert [
            t
            for t in tests
            if t.test_metadata.name == "not_null_columns"
            and not t.test_metadata.kwargs.get("column_names")
        ], node.name
        assert set(NOT_NULL[node.name]) <= not_null, node.name
        key = [list(c.columns) for c in node.constraints if c.type == "primary_key"] or [
            [name]
            for name, column in node.columns.items()
            if any(c.type == "primary_key" for c in column.constraints)
        ]
        assert key == [PRIMARY_KEYS[node.name]], node.name
        # the key's own columns keep their unique and not_null tests (single-column keys)
        tested = {(t.test_metadata.name, t.column_name) for t in tests}
        if len(key[0]) == 1:
            assert {("unique", key[0][0]), ("not_null", key[0][0])} <= tested, node.name
        for name, column in node.columns.items():
            if name.endswith("_at"):
                assert column.data_type == "timestamp with time zone", f"{node.name}.{name}"


@pytest.mark.parametrize(
    ("model", "column"),
    [
        # a contract's columns (no list): what Spark, which enforces no constraint, relies on
        ("workspace_capacity_30d", "direct_book_cache_is_stale"),
        # a slot fact's listed columns
        ("fct_available_slots", "entry_count"),
    ],
)
def test_not_null_columns_fails_on_a_null(
    duckdb_demo: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str, column: str
) -> None:
    """On a copy of the demo where the relation is a plain table (no constraint, as Spark's
    parquet holds a contracted mart) with a NULL in one row of one checked column, the
    model's not_null_columns test fails on that row."""
    import duckdb

    copy = tmp_path / "demo.duckdb"
    shutil.copyfile(duckdb_demo.dsn, copy)
    relation = duckdb_demo.relation(model)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(f"create table scratch_rows as select * from {relation}")
        connection.execute(f"drop table {relation}")
        connection.execute(f"create table {relation} as select * from scratch_rows")
        connection.execute(
            f"update {relation} set {column} = null "
            f"where rowid = (select min(rowid) from {relation})"
        )
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(copy))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    with pytest.raises(dbt_runner.DbtCommandError):
        dbt_runner.run_dbt(["test", "--select", f"test_name:not_null_columns,{model}"])
    run_results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    [result] = run_results["results"]
    assert (result["status"], result["failures"]) == ("fail", 1)
