"""scan_in_slices on DuckDB: every row of a table exactly once, in as many slices as asked
or as DuckDB has threads, whatever its row ids; one plain scan of what has no row ids of
DuckDB's; and the demo built on sliced caches equals the demo built on one scan."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from integration.test_demo_mart import check_cache_counts_match_the_facts
from support import duckdb_demo_build

from capacity.mart import dbt_runner
from capacity.settings import DEMO_AS_OF
from capacity.warehouse import Warehouse

# Row ids 0 to 9,999 with a gap of 1,000, then 1,000 rows past them: the slices' bounds
# (from the row count, 10,000) fall on rows that exist, and rows lie past the count.
TABLE_ROWS = 10_000
GAP = (100, 1_099)
LATE_ROWS = 1_000
ODD_SCHEMA = "o'brien"


@pytest.fixture
def scratch_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "scratch.duckdb"
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(path))
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table caches as "
            f"select range as id, 'slots of ' || range as payload from range({TABLE_ROWS})"
        )
        connection.execute(f"delete from caches where id between {GAP[0]} and {GAP[1]}")
        connection.execute(
            "insert into caches select range, 'late slots of ' || range "
            f"from range({TABLE_ROWS}, {TABLE_ROWS + LATE_ROWS})"
        )
        # the premises: a gap below the row count, rows past it
        assert connection.execute(
            "select count(*) filter (where rowid between ? and ?), "
            "count(*) filter (where rowid >= (select count(*) from caches)) from caches",
            list(GAP),
        ).fetchone() == (0, LATE_ROWS)
        connection.execute(
            f"create table plain_caches as select * from range({TABLE_ROWS}) as t (id)"
        )
        connection.execute("create table few_caches as select * from caches limit 100")
        connection.execute("create view caches_view as select * from caches")
        connection.execute("create table own_rowid as select id as rowid, payload from caches")
        connection.execute(f"""create schema "{ODD_SCHEMA}" """)
        connection.execute(f"""create table "{ODD_SCHEMA}".caches as select * from caches""")
    return path


def compiled_scan(
    relation: str,
    dbt_vars: dict[str, int] | None = None,
    *,
    schema: str = "main",
    incorporate: str = "",
) -> str:
    schema_literal = schema.replace("'", "\\'")
    lookup = f"database='scratch', schema='{schema_literal}', identifier='{relation}'"
    inline = f"{{{{ scan_in_slices(api.Relation.create({lookup}){incorporate}) }}}}"
    result = dbt_runner.run_dbt(["compile", "--inline", inline], target="dev", dbt_vars=dbt_vars)
    return result.result.results[0].node.compiled_code


def slice_count(sql: str) -> int:
    return sql.lower().count("union all") + 1


def rows_of(path: Path, sql: str) -> list[tuple[int, str]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return sorted(connection.execute(sql).fetchall())


@pytest.mark.usefixtures("isolated_dbt_paths")
@pytest.mark.parametrize("slices", [2, 3, 7])
def test_every_row_once_in_the_slices_asked_for(scratch_file: Path, slices: int) -> None:
    sql = compiled_scan("caches", {"capacity_duckdb_scan_slices": slices})
    assert slice_count(sql) == slices
    assert "rowid" in sql
    expected = rows_of(scratch_file, "select * from caches")
    assert len(expected) == TABLE_ROWS - (GAP[1] - GAP[0] + 1) + LATE_ROWS
    assert rows_of(scratch_file, sql) == expected


@pytest.mark.usefixtures("isolated_dbt_paths")
def test_one_slice_per_thread_and_at_least_a_vector_each(scratch_file: Path) -> None:
    with duckdb.connect(str(scratch_file), read_only=True) as connection:
        threads = int(connection.execute("select current_setting('threads')").fetchone()[0])
    # 10,000 rows, none deleted: four vectors of 2,048
    sql = compiled_scan("plain_caches")
    assert slice_count(sql) == max(1, min(threads, 4))
    assert rows_of(scratch_file, sql) == rows_of(scratch_file, "select * from plain_caches")
    # 100 rows: less than a vector, one scan
    assert slice_count(compiled_scan("few_caches")) == 1


@pytest.mark.usefixtures("isolated_dbt_paths")
def test_names_are_matched_as_duckdb_resolves_them(scratch_file: Path) -> None:
    # another case, and a quote in the schema's name
    for relation, schema in (("CACHES", "main"), ("caches", ODD_SCHEMA)):
        sql = compiled_scan(relation, {"capacity_duckdb_scan_slices": 3}, schema=schema)
        assert slice_count(sql) == 3, relation
        assert rows_of(scratch_file, sql) == rows_of(scratch_file, "select * from caches")


@pytest.mark.usefixtures("isolated_dbt_paths")
@pytest.mark.parametrize(
    ("relation", "incorporate", "expected"),
    [
        # a view has no row ids: sliced, its scan would fail
        ("caches_view", "", "select * from caches"),
        # a column named rowid hides DuckDB's
        ("own_rowid", "", "select * from own_rowid"),
        # dbt's --empty: the table becomes a subquery, which has no row ids
        ("caches", ".incorporate(limit=0)", "select * from caches where false"),
    ],
)
def test_what_has_no_row_ids_is_read_in_one_scan(
    scratch_file: Path, relation: str, incorporate: str, expected: str
) -> None:
    sql = compiled_scan(relation, {"capacity_duckdb_scan_slices": 3}, incorporate=incorporate)
    assert slice_count(sql) == 1
    assert " rowid " not in sql
    assert rows_of(scratch_file, sql) == rows_of(scratch_file, expected)


@pytest.mark.usefixtures("isolated_dbt_paths")
def test_demo_on_sliced_caches_equals_the_demo(tmp_path: Path, duckdb_demo: Warehouse) -> None:
    # the demo's 14 caches are less than a vector: forced to three slices
    database = duckdb_demo_build(tmp_path, DEMO_AS_OF, {"capacity_duckdb_scan_slices": 3})
    sliced = Warehouse("duckdb", str(database), "main")
    staging = sliced.relation("stg_app__workspace_availability_caches")
    with duckdb.connect(str(database), read_only=True) as connection:
        view_sql = connection.execute(
            "select sql from duckdb_views() where view_name = ?",
            ["stg_app__workspace_availability_caches"],
        ).fetchone()[0]
        assert view_sql.lower().count("rowid >=") == 2, staging
        connection.execute(f"attach '{duckdb_demo.dsn}' as one_scan (read_only)")
        for model in (
            "workspace_capacity_30d",
            "workspace_capacity_30d_by_source",
            "fct_available_slots",
            "fct_invalid_slot_entries",
        ):
            here, there = sliced.relation(model), f"one_scan.{duckdb_demo.relation(model)}"
            # rows of either build that the other lacks (duplicates counted)
            difference = connection.execute(
                f"select count(*) from ((select * from {here} except all select * from {there}) "
                f"union all (select * from {there} except all select * from {here}))"
            ).fetchone()[0]
            assert difference == 0, model
    check_cache_counts_match_the_facts(sliced)
