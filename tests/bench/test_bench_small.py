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
from capacity.bench.generator import COLUMNS, TABLE_ORDER, generate_batches
from capacity.bench.loaders import PostgresWriter
from capacity.bench.naive import (
    Settings,
    Source,
    combined_figures,
    combined_null_reason,
    count_cache,
    direct_book_enters,
    figures_for,
    normalize_uri,
    normalized_settings,
    parse_slot,
    sources_of,
)
from capacity.bench.runner import BenchResult, run_bench
from capacity.bench.scenario import DEFAULT_SEED, BenchSettings

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
    # JSON null, a number and garbage are quarantined; a value that is not an array is
    # unreadable (no count of free slots) and one quarantined entry
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
    for unreadable in (
        '{"error": "not an array"}',
        "null",
        "42",
        '"2026-03-03T15:00:00Z"',
        "{",
        None,
    ):
        assert count_cache(unreadable) == (None, 1), unreadable
    assert count_cache("[]") == (0, 0)


# A cache with two free slots in the window, for the §5 cases below.
TWO_SLOTS = json.dumps(["2026-03-03T15:00:00Z", "2026-03-04T15:00:00Z"])
ONE_SLOT = json.dumps(["2026-03-05T15:00:00Z"])


def test_naive_figures_follow_the_trust_rules() -> None:
    """SPEC §5, worked by hand: (combined 4, DEFAULT 4, DIRECT_BOOK 4, unattributed,
    invalid entries per source)."""
    two_calendars = ("cal_main", "cal_direct", None, None)
    shared = ("cal_main", "cal_main", None, None)
    booked = {"DEFAULT": 2, "DIRECT_BOOK": 1, None: 5}
    # an unconfigured DIRECT_BOOK's cache keeps its count but is out of the combined figure
    default_only = normalized_settings(("cal_main", "  ", None, None))
    both_caches = {"DEFAULT": TWO_SLOTS, "DIRECT_BOOK": ONE_SLOT}
    assert figures_for(default_only, both_caches, {"DEFAULT": 2}) == (
        2, 2, 4, 50.0, 2, 2, 4, 50.0, 0, 1, 1, None, 0, 0, 0,
    )  # fmt: skip
    # an unreadable cache: unknown free slots, one invalid entry, the other source alone
    assert figures_for(two_calendars, {"DEFAULT": "null", "DIRECT_BOOK": ONE_SLOT}, booked) == (
        1, 1, 2, 50.0, 2, None, None, None, 1, 1, 2, 50.0, 5, 1, 0,
    )  # fmt: skip
    # no configured calendar: no combined figure, whatever the caches hold
    assert figures_for(None, {"DEFAULT": TWO_SLOTS}, {None: 3}) == (
        None, None, None, None, 0, 2, 2, None, 0, None, None, None, 3, 0, 0,
    )  # fmt: skip
    # one calendar for both sources, DEFAULT's cache readable: counted once, from DEFAULT
    assert figures_for(shared, both_caches, booked) == (
        2, 2, 4, 50.0, 2, 2, 4, 50.0, 1, 1, 2, None, 5, 0, 0,
    )  # fmt: skip
    # ... DEFAULT's cache unreadable: DEFAULT's bookings with DIRECT_BOOK's free slots
    assert figures_for(shared, {"DEFAULT": "{}", "DIRECT_BOOK": ONE_SLOT}, booked) == (
        2, 1, 3, 200 / 3, 2, None, None, None, 1, 1, 2, None, 5, 1, 0,
    )  # fmt: skip


def test_naive_reasons_follow_the_trust_rules() -> None:
    def source(configured: bool, slots: str | None, shares: bool = False) -> Source:
        available, invalid = count_cache(slots) if slots is not None else (None, 0)
        return Source(configured, slots is not None, available, invalid, 1, shares)

    readable, unreadable, missing = source(True, "[]"), source(True, "null"), source(True, None)
    orphan = source(False, "[]")
    assert [s.null_reason for s in (readable, unreadable, missing, orphan)] == [
        None,
        "cache_unreadable",
        "no_cache_row",
        "not_configured",
    ]
    assert source(True, "[]", shares=True).null_reason == "shares_default_calendar"
    assert combined_null_reason(orphan, source(False, None)) == "no_configured_calendar"
    assert combined_null_reason(missing, unreadable) == "no_cache_row"
    assert combined_null_reason(unreadable, orphan) == "cache_unreadable"
    assert combined_null_reason(readable, missing) is None  # 1 booked of 1
    assert combined_null_reason(source(True, "[]"), orphan) is None
    assert combined_figures(orphan, orphan) == (None, None, None, None)
    assert not direct_book_enters(readable, source(True, "[]", shares=True))
    assert direct_book_enters(unreadable, source(True, "[]", shares=True))


def test_the_generator_meets_every_trust_state_at_the_smallest_scale() -> None:
    """The 100-workspace equality run compares the three approaches on every SPEC §5
    state: orphan caches, unreadable slotsUtc of each kind, no configured calendar,
    one calendar shared with and without a readable DEFAULT cache."""
    settings_columns = COLUMNS["WorkspaceSettings"]
    identifier_columns = [
        settings_columns.index(name)
        for name in (
            "ghlDefaultCalendarId",
            "ghlDirectBookCalendarId",
            "calendlyEventTypeUri",
            "calendlyDirectBookEventTypeUri",
        )
    ]
    workspaces: list[str] = []
    settings: dict[str, Settings] = {}
    caches: dict[str, dict[str, str]] = {}
    unreadable_types: set[str] = set()
    for batch in generate_batches(WORKSPACES, seed=DEFAULT_SEED):
        workspaces.extend(str(row[0]) for row in batch.rows["Client"])
        for row in batch.rows["WorkspaceSettings"]:
            identifiers = [None if row[i] is None else str(row[i]) for i in identifier_columns]
            settings[str(row[1])] = normalized_settings(identifiers)
        for _, workspace, label, slots, *_ in batch.rows["WorkspaceAvailabilityCache"]:
            caches.setdefault(str(workspace), {})[str(label).strip().upper()] = str(slots)
            if not str(slots).startswith("["):
                unreadable_types.add(type(json.loads(str(slots))).__name__)
    states: set[str] = set()
    for workspace in workspaces:
        default, direct = sources_of(settings.get(workspace), caches.get(workspace, {}), {})
        for name, source in (("DEFAULT", default), ("DIRECT_BOOK", direct)):
            states.add(f"{name}: {source.null_reason}")
        states.add(f"combined: {combined_null_reason(default, direct)}")
        if direct.shares:
            states.add(f"shared, DEFAULT usable: {default.usable}")
    assert unreadable_types >= {"NoneType", "dict", "int", "str", "bool"}
    for name in ("DEFAULT", "DIRECT_BOOK"):
        assert {
            f"{name}: {reason}" for reason in ("no_cache_row", "cache_unreadable", "not_configured")
        } <= states
    assert {
        "DIRECT_BOOK: shares_default_calendar",
        "combined: no_configured_calendar",
        "combined: no_cache_row",
        "combined: cache_unreadable",
        "shared, DEFAULT usable: True",
        "shared, DEFAULT usable: False",
    } <= states


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
