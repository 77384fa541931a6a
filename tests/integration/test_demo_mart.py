"""The demo mart, built by dbt on DuckDB and on PostgreSQL, equals the hand-worked one."""

from __future__ import annotations

from typing import Any

import pytest
from expected_demo_mart import EXPECTED_MART

from capacity.mart import show as report
from capacity.warehouse import Warehouse, connect, fetch_dicts


def load_mart(warehouse: Warehouse) -> list[dict[str, Any]]:
    with connect(warehouse) as connection:
        return report.load_mart(connection, warehouse)


def assert_rows_equal(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(actual) == list(expected), "mart columns or their order changed"
    for column, value in expected.items():
        if isinstance(value, float):
            assert actual[column] == pytest.approx(value), column
        else:
            assert actual[column] == value, f"{actual['workspace_id']}.{column}"


def check_demo_mart(warehouse: Warehouse) -> None:
    rows = load_mart(warehouse)
    assert [row["workspace_id"] for row in rows] == sorted(EXPECTED_MART)
    for row in rows:
        assert_rows_equal(row, EXPECTED_MART[row["workspace_id"]])


def test_duckdb_mart_matches_hand_worked_expectations(duckdb_demo: Warehouse) -> None:
    check_demo_mart(duckdb_demo)


@pytest.mark.postgres
def test_postgres_mart_matches_hand_worked_expectations(postgres_demo: Warehouse) -> None:
    check_demo_mart(postgres_demo)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "model",
    [
        "workspace_capacity_30d",
        "workspace_capacity_30d_by_source",
        "int_availability_caches_counted",
        "fct_available_slots",
        "fct_booked_appointments",
        "fct_invalid_slot_entries",
    ],
)
def test_duckdb_and_postgres_models_are_identical(
    duckdb_demo: Warehouse, postgres_demo: Warehouse, model: str
) -> None:
    def rows(warehouse: Warehouse) -> list[tuple[Any, ...]]:
        with connect(warehouse) as connection:
            data = fetch_dicts(connection, f"select * from {warehouse.relation(model)}")
        return sorted(
            (
                tuple(round(v, 9) if isinstance(v, float) else v for v in row.values())
                for row in data
            ),
            key=repr,
        )

    assert rows(duckdb_demo) == rows(postgres_demo)


@pytest.mark.postgres
def test_postgres_analyzes_the_slots_fact_as_it_is_built(postgres_demo: Warehouse) -> None:
    """Its data tests group its rows straight after the build: without statistics,
    PostgreSQL plans that for a couple of hundred groups (docs/decisions.md, 'Slot facts
    as tables, read once per build'). last_analyze is set by ANALYZE, never by
    autovacuum (last_autoanalyze)."""
    with connect(postgres_demo) as connection:
        rows = fetch_dicts(
            connection,
            "select relname, last_analyze from pg_stat_user_tables "
            "where relid in (to_regclass(%s), to_regclass(%s))",
            [
                postgres_demo.relation("fct_available_slots"),
                postgres_demo.relation("fct_invalid_slot_entries"),
            ],
        )
    analyzed = {row["relname"]: row["last_analyze"] is not None for row in rows}
    # the quarantine is small: left to autovacuum
    assert analyzed == {"fct_available_slots": True, "fct_invalid_slot_entries": False}


def check_cache_counts_match_the_facts(warehouse: Warehouse) -> None:
    """int_availability_caches_counted gives, in one pass, the counts of the slots fact
    (in-window rows) and of the quarantine: both ways must agree, cache by cache.

    A pytest check, not a dbt singular test: such a test would read models from two
    branches of the DAG (the marts no longer read the facts), and dbt's eager indirect
    selection would run it, and fail, in a build that selects only one of them."""
    counted, slots, invalid = (
        warehouse.relation(model)
        for model in (
            "int_availability_caches_counted",
            "fct_available_slots",
            "fct_invalid_slot_entries",
        )
    )
    with connect(warehouse) as connection:
        rows = fetch_dicts(
            connection,
            f"""
            select
                counted.availability_cache_id,
                counted.available_slots_in_window,
                (
                    select count(*) from {slots} as slots
                    where slots.workspace_id = counted.workspace_id
                        and slots.availability_source = counted.availability_source
                        and slots.is_in_capacity_window
                ) as fact_available_slots,
                counted.invalid_slot_entries,
                (
                    select count(*) from {invalid} as invalid
                    where invalid.availability_cache_id = counted.availability_cache_id
                ) as fact_invalid_slot_entries
            from {counted} as counted
            order by counted.availability_cache_id
            """,
        )
    assert len(rows) > 10
    assert sum(row["invalid_slot_entries"] for row in rows) == 7  # the quarantine test's total
    for row in rows:
        assert row["available_slots_in_window"] == row["fact_available_slots"], row
        assert row["invalid_slot_entries"] == row["fact_invalid_slot_entries"], row


def test_duckdb_cache_counts_match_the_facts(duckdb_demo: Warehouse) -> None:
    check_cache_counts_match_the_facts(duckdb_demo)


@pytest.mark.postgres
def test_postgres_cache_counts_match_the_facts(postgres_demo: Warehouse) -> None:
    check_cache_counts_match_the_facts(postgres_demo)


def test_invalid_slot_entries_are_quarantined_not_dropped(duckdb_demo: Warehouse) -> None:
    with connect(duckdb_demo) as connection:
        reasons = fetch_dicts(
            connection,
            "select invalid_reason, count(*) as entries "
            f"from {duckdb_demo.relation('fct_invalid_slot_entries')} "
            "group by invalid_reason order by invalid_reason",
        )
    assert {row["invalid_reason"]: row["entries"] for row in reasons} == {
        "json_null": 1,
        "not_a_string": 1,
        "not_an_iso8601_timestamp": 3,
        "slots_json_null": 1,
        "slots_not_an_array": 1,
    }


def test_report_prints_one_line_per_workspace(duckdb_demo: Warehouse) -> None:
    table = report.format_capacity_table(load_mart(duckdb_demo))
    lines = table.splitlines()
    assert lines[0].startswith("Capacity window [2026-03-02 09:00:00, 2026-04-01 09:00:00) UTC")
    assert len(lines) == 3 + len(EXPECTED_MART)
    acme = next(line for line in lines if "[ws_acme]" in line)
    assert "37.5% (6/10/16)" in acme and "41.7% (5/7/12)" in acme and "25.0% (1/3/4)" in acme
    delta = next(line for line in lines if "[ws_delta]" in line)
    assert "n/a (?/?/?)" in delta and "STALE" in delta and "no cache" in delta
    # SPEC §5: the flags say what the snapshot's dataQuality says
    harbor = next(line for line in lines if "[ws_harbor]" in line)
    assert "no configured calendar" in harbor and "unreadable cache: DEFAULT" in harbor
    assert "short of window" not in harbor and "1 invalid slot entry" in harbor
    fern = next(line for line in lines if "[ws_fern]" in line)
    assert "unreadable cache: DIRECT_BOOK" in fern and "cache short of window" in fern
