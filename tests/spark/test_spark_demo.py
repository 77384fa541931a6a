"""The demo on Apache Spark equals the hand-worked mart and DuckDB's models, row for row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from expected_demo_mart import EXPECTED_MART
from json_macro_cases import JSON_VALUES, check_json_cases, json_cases
from spark_support import SparkDemo

from capacity.mart import dbt_runner
from capacity.settings import DEMO_AS_OF, PROJECT_DIR
from capacity.warehouse import Warehouse, connect, fetch_dicts

pytestmark = pytest.mark.spark

MODELS = [
    "workspace_capacity_30d",
    "workspace_capacity_30d_by_source",
    "fct_available_slots",
    "fct_booked_appointments",
    "fct_invalid_slot_entries",
    "int_availability_slot_entries",
    "int_workspace_sources",
    "workspace_capacity_daily",
    "workspace_capacity_weekday_hour",
    "capacity_constrained_workspaces",
]


def comparable(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(round(v, 9) if isinstance(v, float) else v for v in row.values()) for row in rows),
        key=repr,
    )


def test_spark_mart_matches_hand_worked_expectations(spark_demo: SparkDemo) -> None:
    rows = sorted(spark_demo.rows("workspace_capacity_30d"), key=lambda row: row["workspace_id"])
    assert [row["workspace_id"] for row in rows] == sorted(EXPECTED_MART)
    for row in rows:
        expected = EXPECTED_MART[row["workspace_id"]]
        assert list(row) == list(expected), "mart columns or their order changed"
        for column, value in expected.items():
            if isinstance(value, float):
                assert row[column] == pytest.approx(value), column
            else:
                assert row[column] == value, f"{row['workspace_id']}.{column}"


@pytest.mark.parametrize("model", MODELS)
def test_spark_and_duckdb_models_are_identical(
    spark_demo: SparkDemo, duckdb_demo: Warehouse, model: str
) -> None:
    spark_rows = spark_demo.rows(model)
    with connect(duckdb_demo) as connection:
        duckdb_rows = fetch_dicts(connection, f"select * from {duckdb_demo.relation(model)}")
    assert list(spark_rows[0]) == list(duckdb_rows[0]), "columns or their order differ"
    assert comparable(spark_rows) == comparable(duckdb_rows)


def test_spark_run_fetches_nothing_and_leaves_the_checkout_clean(spark_demo: SparkDemo) -> None:
    conf = spark_demo.session.sparkContext.getConf()
    assert not conf.get("spark.jars.packages", ""), "Spark must not pull Maven/Ivy packages"
    assert not conf.get("spark.jars", "")
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    warehouse = spark_demo.session.conf.get("spark.sql.warehouse.dir")
    assert str(spark_demo.spark_dir) in warehouse
    assert (spark_demo.spark_dir / "metastore_db").is_dir()
    for litter in ("spark-warehouse", "metastore_db", "derby.log"):
        assert not (PROJECT_DIR / litter).exists(), litter


def test_json_macros_agree_with_duckdb(
    spark_demo: SparkDemo,
    duckdb_demo: Warehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in spark_demo.dbt_env().items():
        monkeypatch.setenv(name, value)
    on_spark = json_cases("spark", JSON_VALUES)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", duckdb_demo.dsn)
    on_duckdb = json_cases("dev", JSON_VALUES)
    assert on_spark == on_duckdb
    check_json_cases(on_spark)


def test_text_that_is_not_json_is_reported_not_lost_on_spark(
    spark_demo: SparkDemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spark keeps JSON as plain text, so nothing refuses a malformed slotsUtc on the way in
    # (DuckDB's and PostgreSQL's JSON types do): it gets a type of its own, no elements.
    for name, value in spark_demo.dbt_env().items():
        monkeypatch.setenv(name, value)
    assert json_cases("spark", {1: "not json", 2: '["2026-02-10T15:00:00Z", oops'}) == [
        (1, "invalid_json", None, None, None),
        (1, "past_the_end", 99, None, None),
        (2, "invalid_json", None, None, None),
        (2, "past_the_end", 99, None, None),
    ]


def test_history_rerun_replaces_its_date_and_keeps_the_others_on_spark(
    spark_demo: SparkDemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # delete+insert on a parquet table (macros/spark/incremental_delete_insert.sql): the
    # demo's date is re-recorded in place, an older date (copied a week back) is kept.
    history = spark_demo.relation("workspace_capacity_history")
    session = spark_demo.session
    session.sql(
        f"insert into {history} select workspace_id, date_sub(as_of_date, 7), "
        + ", ".join(
            f"`{field.name}`"
            for field in session.table(history).schema.fields
            if field.name not in ("workspace_id", "as_of_date")
        )
        + f" from {history}"
    )

    def by_date() -> list[tuple[Any, ...]]:
        rows = session.sql(
            f"select as_of_date, count(*) as workspaces, max(recorded_at) as recorded_at "
            f"from {history} group by as_of_date order by as_of_date"
        ).collect()
        return [tuple(row) for row in rows]

    before = by_date()
    assert [workspaces for _, workspaces, _ in before] == [8, 8]
    for name, value in spark_demo.dbt_env().items():
        monkeypatch.setenv(name, value)
    dbt_runner.run_dbt(
        ["run", "--select", "workspace_capacity_history"],
        target="spark",
        dbt_vars={"capacity_as_of": DEMO_AS_OF},
    )
    after = by_date()
    assert [workspaces for _, workspaces, _ in after] == [8, 8]
    assert after[0] == before[0]  # the older date: untouched
    assert after[1][2] > before[1][2]  # the demo's date: recorded again by this run
