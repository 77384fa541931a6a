"""scan_in_slices on DuckDB: every row of a table exactly once, in as many slices as asked
or as DuckDB has threads, whatever its row ids; one plain scan of what has no row ids."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from capacity.mart import dbt_runner

# 10,000 rows with row ids 0 to 9,999 but a gap of 1,000, and 1,000 more past them: the
# slices' bounds (from the row count) fall on rows that exist, and rows lie past the count
TABLE_ROWS = 10_000
GAP = (100, 1_099)
LATE_ROWS = 1_000


@pytest.fixture
def scratch_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "scratch.duckdb"
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(path))
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table caches as "
            f"select range as id, 'slots of ' || range as payload from range({TABLE_ROWS})"
        )
        # a gap in the row ids, then rows past the row count
        connection.execute(f"delete from caches where id between {GAP[0]} and {GAP[1]}")
        connection.execute(
            "insert into caches select range, 'late slots of ' || range "
            f"from range({TABLE_ROWS}, {TABLE_ROWS + LATE_ROWS})"
        )
        connection.execute("create table few_caches as select * from caches limit 100")
        connection.execute("create view caches_view as select * from caches")
    return path


def compiled_scan(relation: str, dbt_vars: dict[str, int] | None = None) -> str:
    inline = (
        "{{ scan_in_slices(adapter.get_relation("
        f"database='scratch', schema='main', identifier='{relation}')) }}}}"
    )
    result = dbt_runner.run_dbt(["compile", "--inline", inline], target="dev", dbt_vars=dbt_vars)
    return result.result.results[0].node.compiled_code


def slice_count(sql: str) -> int:
    return sql.lower().count("select * from")


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
    # 10,000 rows: four vectors of 2,048
    sql = compiled_scan("caches")
    assert slice_count(sql) == max(1, min(threads, 4))
    assert rows_of(scratch_file, sql) == rows_of(scratch_file, "select * from caches")
    # 100 rows: less than a vector, one scan
    assert slice_count(compiled_scan("few_caches")) == 1


@pytest.mark.usefixtures("isolated_dbt_paths")
def test_a_view_is_read_in_one_scan(scratch_file: Path) -> None:
    # a view has no row ids: sliced, its scan would fail
    sql = compiled_scan("caches_view", {"capacity_duckdb_scan_slices": 3})
    assert slice_count(sql) == 1
    assert "rowid" not in sql
    assert rows_of(scratch_file, sql) == rows_of(scratch_file, "select * from caches")
