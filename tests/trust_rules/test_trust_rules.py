"""SPEC §5 end to end: adversarial app tables, built by dbt, give the hand-worked mart.

The same rows go into the SPEC §2 tables on DuckDB and on PostgreSQL (Spark: the dbt
unit tests of the same rules run in `make test-spark`). On DuckDB slotsUtc is stored as
text, so a value that is not JSON at all can be tested there; PostgreSQL's jsonb cannot
hold one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from support import isolate_dbt_paths, postgres_scratch_build
from trust_rules_data import AS_OF, WORKSPACES, Workspace, app_rows

from capacity.app_tables import APP_TABLE_NAMES, APP_TABLES_DDL, create_app_tables
from capacity.mart import dbt_runner
from capacity.sql import quote_ident
from capacity.warehouse import Warehouse, connect, fetch_dicts

APP_SCHEMA = "trust_app"


def _insert_rows(
    execute: Callable[[str, list[Any]], Any],
    schema: str,
    marker: str,
    workspaces: tuple[Workspace, ...],
) -> None:
    for table, rows in app_rows(workspaces).items():
        for row in rows:
            columns = ", ".join(quote_ident(column) for column in row)
            values = ", ".join(marker for _ in row)
            execute(
                f"insert into {quote_ident(schema)}.{quote_ident(table)} ({columns}) "
                f"values ({values})",
                list(row.values()),
            )


@pytest.fixture(scope="module")
def duckdb_trust(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    import duckdb

    tmp = tmp_path_factory.mktemp("trust_duckdb")
    database = tmp / "trust.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"create schema {APP_SCHEMA}")
        connection.execute(f"set schema = '{APP_SCHEMA}'")
        for statement in APP_TABLES_DDL:
            if statement.startswith("create index"):
                continue  # DuckDB wants a named index, and the models need none
            # slotsUtc as text: DuckDB's json type would refuse the value that is not JSON
            connection.execute(
                statement.replace("jsonb", "varchar").replace("timestamp(3)", "timestamp")
            )
        _insert_rows(connection.execute, APP_SCHEMA, "?", WORKSPACES)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_dbt_paths(monkeypatch, tmp)
        monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(database))
        dbt_runner.build(target="dev", dbt_vars={"capacity_as_of": AS_OF, "app_schema": APP_SCHEMA})
    return Warehouse("duckdb", str(database), "main")


@pytest.fixture(scope="module")
def postgres_trust(
    pg_conninfo: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    json_workspaces = tuple(w for w in WORKSPACES if not w.needs_text_slots)

    def load(connection: Any, app_schema: str) -> None:
        create_app_tables(connection, app_schema)
        _insert_rows(connection.execute, app_schema, "%s", json_workspaces)

    with postgres_scratch_build(
        pg_conninfo,
        tmp_path_factory.mktemp("trust_postgres"),
        "trust",
        load,
        {"capacity_as_of": AS_OF},
    ) as warehouse:
        yield warehouse


def _mart(warehouse: Warehouse) -> dict[str, dict[str, Any]]:
    with connect(warehouse) as connection:
        rows = fetch_dicts(
            connection, f"select * from {warehouse.relation('workspace_capacity_30d')}"
        )
    return {row["workspace_id"]: row for row in rows}


def _check(warehouse: Warehouse, workspaces: tuple[Workspace, ...]) -> None:
    mart = _mart(warehouse)
    assert sorted(mart) == sorted(w.workspace_id for w in workspaces)
    problems = []
    for workspace in workspaces:
        row = mart[workspace.workspace_id]
        for column, expected in workspace.expected.items():
            actual = row[column]
            if isinstance(actual, datetime) and actual.tzinfo is not None:
                actual = actual.astimezone(UTC).replace(tzinfo=None)
            same = (
                actual == pytest.approx(expected)
                if isinstance(expected, float)
                else actual == expected
            )
            if not same:
                problems.append(f"{workspace.workspace_id}.{column}: {actual!r} != {expected!r}")
    assert not problems, "\n".join(problems)


def test_trust_rules_on_duckdb(duckdb_trust: Warehouse) -> None:
    _check(duckdb_trust, WORKSPACES)


@pytest.mark.postgres
def test_trust_rules_on_postgres(postgres_trust: Warehouse) -> None:
    _check(postgres_trust, tuple(w for w in WORKSPACES if not w.needs_text_slots))


def test_every_unreadable_value_is_quarantined_with_its_reason(duckdb_trust: Warehouse) -> None:
    with connect(duckdb_trust) as connection:
        rows = fetch_dicts(
            connection,
            f"select workspace_id, invalid_reason from "
            f"{duckdb_trust.relation('fct_invalid_slot_entries')} where entry_index is null",
        )
    reasons = {row["workspace_id"]: row["invalid_reason"] for row in rows}
    assert reasons == {
        "t_unreadable_json_null": "slots_json_null",
        "t_unreadable_object": "slots_not_an_array",
        "t_unreadable_string": "slots_not_an_array",
        "t_unreadable_number": "slots_not_an_array",
        "t_unreadable_boolean": "slots_not_an_array",
        "t_unreadable_not_json": "slots_not_json",
        "t_shared_default_unreadable": "slots_json_null",
        "t_missing_and_unreadable": "slots_not_an_array",
        "t_one_unreadable": "slots_not_an_array",
    }


def test_the_fixtures_cover_every_null_reason() -> None:
    """A new reason in the models needs a workspace here that shows it."""
    reasons = {
        w.expected[column]
        for w in WORKSPACES
        for column in (
            "booked_pct_null_reason",
            "default_booked_pct_null_reason",
            "direct_book_booked_pct_null_reason",
        )
    }
    assert reasons - {None} == {
        "no_configured_calendar",
        "no_cache_row",
        "cache_unreadable",
        "not_configured",
        "shares_default_calendar",
        "no_slots_in_window",
    }
    assert set(APP_TABLE_NAMES) == set(app_rows(WORKSPACES))
