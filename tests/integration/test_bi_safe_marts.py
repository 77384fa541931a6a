"""BI-safe marts: aware UTC timestamps, the marts alone in the BI schema.

A BI tool connects with a session time zone of its own (an analyst in New
York), browses one schema, and trusts what it finds there. These tests read
the built demo the way such a client does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from capacity import report
from capacity.settings import PROJECT_DIR
from capacity.snapshot import build_snapshot, read_snapshot, window_days
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
