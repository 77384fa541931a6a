"""The benchmark at 100 workspaces: the three approaches give the same figures.

Times are not checked (they depend on the machine); equality is: the dbt models, the
hand-written query and the naive Python loop must agree workspace by workspace,
source by source, or run_bench raises. `dbt build` is left out to keep this short:
the integration tests run the unit and data tests.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from psycopg.errors import InsufficientPrivilege

from capacity.bench.figures import FiguresDiffer, check_agree, figures_from_rows
from capacity.bench.generator import TABLE_ORDER, generate_batches
from capacity.bench.loaders import PostgresWriter
from capacity.bench.naive import count_cache, normalize_uri, parse_slot
from capacity.bench.runner import BenchResult, run_bench
from capacity.bench.scenario import AS_OF_ISO, BenchSettings
from capacity.commands import DEMO_AS_OF

WORKSPACES = 100


def small_bench(engine: str, tmp_path: Path) -> BenchResult:
    suffix = uuid.uuid4().hex[:8]
    settings = BenchSettings(
        data_dir=tmp_path / "bench",
        app_schema=f"bench_test_app_{suffix}",
        pg_models_schema=f"bench_test_models_{suffix}",
    )
    return run_bench([WORKSPACES], [engine], settings, command="test", with_build=False)


def check_small_bench(result: BenchResult, engine: str) -> None:
    (engine_result,) = result.results
    assert engine_result.engine == engine
    assert engine_result.workspaces == WORKSPACES
    assert set(engine_result.steps) == {"dbt run", "hand-written SQL", "naive Python"}
    assert engine_result.slot_entries > 150_000  # about 2,000 entries a workspace
    # The timed dbt run re-used the parse of the start-up measurement.
    assert "parse: partial" in engine_result.steps["dbt run"].note
    assert result.startup[0].full_parse.note.startswith("full")


def test_bench_agrees_on_duckdb(tmp_path: Path) -> None:
    check_small_bench(small_bench("duckdb", tmp_path), "duckdb")


@pytest.mark.postgres
def test_bench_agrees_on_postgres(pg_conninfo: str, tmp_path: Path) -> None:
    check_small_bench(small_bench("postgres", tmp_path), "postgres")


def test_generator_is_deterministic_whatever_the_batch_size() -> None:
    def rows(batch_size: int) -> list[tuple[object, ...]]:
        collected = []
        for batch in generate_batches(7, seed=3, batch_size=batch_size):
            for table in sorted(batch.rows):
                collected.extend(batch.rows[table])
        return sorted(collected, key=repr)

    assert rows(2) == rows(7)
    assert rows(7) != sorted(
        (row for b in generate_batches(7, seed=4) for t in b.rows.values() for row in t), key=repr
    )


def test_naive_parse_follows_the_macro_rules() -> None:
    # The cases of the int_availability_slot_entries unit test.
    valid = {
        "2026-02-10T15:00:00.000Z": datetime(2026, 2, 10, 15),
        "2026-02-10T10:00:00-05:00": datetime(2026, 2, 10, 15),
        "2026-02-10T20:30+0530": datetime(2026, 2, 10, 15),
        "2026-02-10T17:00:00.5+02": datetime(2026, 2, 10, 15),
        "2024-02-29T00:00:00z": datetime(2024, 2, 29),
        "2026-02-11T05:00:00+14:00": datetime(2026, 2, 10, 15),
    }
    for text, expected in valid.items():
        assert parse_slot(text) == expected, text
    for text in (
        None,
        5,
        "garbage",
        "2026-02-10T15:00:00",
        "2026-02-29T10:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-02-10T24:00:00Z",
        "2026-02-10T10:00:00+15:00",
        "2026-02-10T10:00:00+14:30",
        "",
    ):
        assert parse_slot(text) is None, text
    assert normalize_uri(" HTTPS://API.Calendly.com/event_types/Path-Case/ ") == (
        "https://api.calendly.com/event_types/Path-Case"
    )


def test_figures_that_differ_are_reported() -> None:
    same = {"ws": (1, 2, 3, 33.3, 1, 2, 3, 33.3, 0, None, None, None, 0, 4, 0)}
    other = {"ws": (1, 2, 3, 33.3, 1, 2, 3, 33.3, 0, 0, 0, None, 0, 4, 0)}
    quarantined = {"ws": (1, 2, 3, 33.3, 1, 2, 3, 33.3, 0, None, None, None, 0, 3, 0)}
    check_agree({"a": same, "b": dict(same)})
    with pytest.raises(FiguresDiffer, match="direct_book_available_slots: None != 0"):
        check_agree({"a": same, "b": other})
    with pytest.raises(FiguresDiffer, match="default_invalid_slot_entries: 4 != 3"):
        check_agree({"a": same, "b": quarantined})


def test_a_workspace_with_two_rows_of_figures_is_an_error() -> None:
    row = ("ws", 1, 2, 3, 33.3, 1, 2, 3, 33.3, 0, None, None, None, 0, 4, 0)
    assert figures_from_rows([row]) == {"ws": row[1:]}
    with pytest.raises(FiguresDiffer, match="ws: more than one row of figures"):
        figures_from_rows([row, row])


def test_naive_counts_a_cache_as_the_models_do() -> None:
    # two spellings of one instant count once; out of the window is not counted;
    # JSON null, a number and garbage are quarantined; so is a value that is not an array
    slots = [
        "2026-03-03T15:00:00.000Z",
        "2026-03-03T10:00:00-05:00",
        "2026-03-02T08:59:59Z",
        "2026-03-02T09:00:00Z",
        None,
        5,
        "garbage",
    ]
    assert count_cache(json.dumps(slots)) == (2, 3)
    assert count_cache('{"error": "not an array"}') == (0, 1)
    assert count_cache("null") == (0, 1)
    assert count_cache("[]") == (0, 0)
    assert count_cache(None) == (0, 0)


def test_the_benchmark_window_is_the_demo_one() -> None:
    assert AS_OF_ISO == DEMO_AS_OF


class _NoCheckpointConnection:
    """A PostgreSQL connection of a role that may not CHECKPOINT: records statements."""

    def __init__(self) -> None:
        self.autocommit = False
        self.statements: list[str] = []

    def execute(self, sql: str) -> None:
        self.statements.append(sql)
        if sql == "checkpoint":
            raise InsufficientPrivilege("permission denied to execute CHECKPOINT")


def test_postgres_load_finishes_without_the_checkpoint_privilege(
    capsys: pytest.CaptureFixture[str],
) -> None:
    writer = PostgresWriter.__new__(PostgresWriter)  # no server: the connection is a fake
    writer.schema = "bench_app"
    writer.connection = _NoCheckpointConnection()
    writer.finish()
    vacuumed = [sql for sql in writer.connection.statements if sql.startswith("vacuum (analyze)")]
    assert len(vacuumed) == len(TABLE_ORDER)
    assert writer.connection.statements[-1] == "checkpoint"
    assert "no privilege to CHECKPOINT" in capsys.readouterr().err
