"""The Insights Chat snapshot: figures from the mart, its JSON Schema, its one indexed read."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from expected_demo_consumers import DEMO_CONSTRAINTS, DEMO_DATA_QUALITY

from capacity.consumers import snapshot as snapshot_module
from capacity.consumers.snapshot import (
    MartNotBuiltError,
    SnapshotContext,
    WorkspaceNotFoundError,
    iso_utc,
    read_all_snapshots,
    read_snapshot,
    round_pct,
    snapshot_from_row,
    to_json,
    validate_snapshot,
    workspace_query,
)
from capacity.warehouse import Warehouse, connect

INJECTION_ID = "x' or '1'='1"


def expected_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The snapshot a hand-worked mart row should give, written out independently."""

    def iso(value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

    def figures(prefix: str) -> dict[str, Any]:
        pct = row[f"{prefix}booked_pct"]
        return {
            "bookedSlots": row[f"{prefix}booked_slots"],
            "availableSlots": row[f"{prefix}available_slots"],
            "totalSlots": row[f"{prefix}total_slots"],
            "bookedPct": None if pct is None else round(pct, 1),
            "bookedPctNullReason": row[f"{prefix}booked_pct_null_reason"],
        }

    def cache_meta(prefix: str) -> dict[str, Any]:
        return {
            "fetchedAtIso": iso(row[f"{prefix}cache_fetched_at"]),
            "isStale": row[f"{prefix}cache_is_stale"],
            "lastError": row[f"{prefix}cache_last_error"],
            "coversWindow": row[f"{prefix}cache_covers_window"],
        }

    def source(prefix: str) -> dict[str, Any]:
        return {
            **figures(prefix),
            "isConfigured": row[f"{prefix}is_configured"],
            "hasCache": row[f"{prefix}has_cache"],
            "cacheIsReadable": row[f"{prefix}cache_is_readable"],
            "entersCombinedFigure": row[f"{prefix}enters_combined_figure"],
            "invalidSlotEntries": row[f"{prefix}invalid_slot_entries"],
            "cacheMeta": cache_meta(prefix),
        }

    quality = DEMO_DATA_QUALITY[row["workspace_id"]]

    return {
        "scope": "workspace",
        "workspaceId": row["workspace_id"],
        "workspaceName": row["workspace_name"],
        "capacity": {
            "windowDays": 30,
            "windowStartIso": iso(row["window_start_at"]),
            "windowEndIso": iso(row["window_end_at"]),
            **figures(""),
            "breakdown": {"DEFAULT": source("default_"), "DIRECT_BOOK": source("direct_book_")},
            "unattributedBookedSlots": row["unattributed_booked_slots"],
            "cacheMeta": cache_meta(""),
            "dataQuality": {
                "invalidSlotEntries": quality["invalid"],
                "unattributedShare": quality["share"],
                "maxUnattributedShare": 0.2,
                "reasons": quality["reasons"],
            },
        },
    }


def check_demo_snapshots(warehouse: Warehouse, expected_mart: dict[str, dict[str, Any]]) -> None:
    for workspace_id, row in expected_mart.items():
        produced = read_snapshot(warehouse, workspace_id)
        validate_snapshot(produced)
        trend = produced.pop("capacityTrend")  # the planning block: its own test below
        assert produced == expected_snapshot(row), workspace_id
        assert (trend["trendRunCount"], trend["trendFromDate"]) == (1, "2026-03-02"), workspace_id
        # Only JSON types: the text round-trips to the same value.
        assert json.loads(to_json(produced)) == produced


def test_duckdb_snapshots_match_the_hand_worked_mart(
    duckdb_demo: Warehouse, expected_mart: dict[str, dict[str, Any]]
) -> None:
    check_demo_snapshots(duckdb_demo, expected_mart)


@pytest.mark.postgres
def test_postgres_snapshots_match_the_hand_worked_mart(
    postgres_demo: Warehouse, expected_mart: dict[str, dict[str, Any]]
) -> None:
    check_demo_snapshots(postgres_demo, expected_mart)


@pytest.mark.postgres
def test_both_engines_give_the_same_snapshots(
    duckdb_demo: Warehouse, postgres_demo: Warehouse
) -> None:
    assert read_all_snapshots(duckdb_demo) == read_all_snapshots(postgres_demo)


def test_capacity_trend_block_reflects_the_planning_model(duckdb_demo: Warehouse) -> None:
    for workspace_id, (status, rank, reason) in DEMO_CONSTRAINTS.items():
        trend = read_snapshot(duckdb_demo, workspace_id)["capacityTrend"]
        assert (trend["constraintStatus"], trend["constrainedRank"], trend["exclusionReason"]) == (
            status,
            rank,
            reason,
        ), workspace_id
        assert trend["trendDirection"] is None and trend["bookedPctChange"] is None
    grove = read_snapshot(duckdb_demo, "ws_grove")["capacityTrend"]
    assert grove["projectedDaysUntilFullyBooked"] is None  # no trend to project from
    assert grove["nextFreeSlotIso"] == "2026-03-06T12:00:00.000Z"
    acme = read_snapshot(duckdb_demo, "ws_acme")["capacityTrend"]
    assert acme["nextFreeSlotIso"] == "2026-03-02T09:00:00.000Z"


def test_campaign_scope_has_no_trend_either(duckdb_demo: Warehouse) -> None:
    produced = read_snapshot(duckdb_demo, "ws_grove", campaign_id="spring-promo")
    assert "capacity" not in produced and "capacityTrend" not in produced


def test_a_workspace_without_cache_keeps_its_nulls(duckdb_demo: Warehouse) -> None:
    """Delta Law, literally: unknown stays null (with the reason), never 0; still stale."""
    produced = read_snapshot(duckdb_demo, "ws_delta")
    validate_snapshot(produced)
    unknown_source = {
        "availableSlots": None,
        "totalSlots": None,
        "bookedPct": None,
        "bookedPctNullReason": "no_cache_row",
        "hasCache": False,
    }
    capacity = produced["capacity"]
    assert capacity["windowStartIso"] == "2026-03-02T09:00:00.000Z"
    assert capacity["windowEndIso"] == "2026-04-01T09:00:00.000Z"
    assert {key: capacity[key] for key in ("bookedSlots", "availableSlots", "totalSlots")} == {
        "bookedSlots": None,
        "availableSlots": None,
        "totalSlots": None,
    }
    assert (capacity["bookedPct"], capacity["bookedPctNullReason"]) == (None, "no_cache_row")
    assert capacity["breakdown"]["DEFAULT"] == {
        "bookedSlots": 1,
        "isConfigured": True,
        "cacheIsReadable": False,
        "entersCombinedFigure": False,
        "invalidSlotEntries": 0,
        **unknown_source,
        "cacheMeta": {
            "fetchedAtIso": None,
            "isStale": True,
            "lastError": None,
            "coversWindow": False,
        },
    }
    assert capacity["unattributedBookedSlots"] == 1
    assert capacity["cacheMeta"] == {
        "fetchedAtIso": None,
        "isStale": True,
        "lastError": None,
        "coversWindow": False,
    }


def test_campaign_scope_has_no_capacity(duckdb_demo: Warehouse) -> None:
    produced = read_snapshot(duckdb_demo, "ws_acme", campaign_id="cmp_spring")
    validate_snapshot(produced)
    assert produced == {
        "scope": "campaign",
        "workspaceId": "ws_acme",
        "workspaceName": "Acme Dental",
        "campaignId": "cmp_spring",
    }


def test_campaign_scope_still_checks_the_workspace(duckdb_demo: Warehouse) -> None:
    with pytest.raises(WorkspaceNotFoundError):
        read_snapshot(duckdb_demo, "ws_nobody", campaign_id="cmp_spring")


def test_schema_rejects_capacity_under_campaign_scope(duckdb_demo: Warehouse) -> None:
    workspace = read_snapshot(duckdb_demo, "ws_acme")
    campaign = {**read_snapshot(duckdb_demo, "ws_acme", campaign_id="c1")}
    campaign["capacity"] = workspace["capacity"]
    with pytest.raises(jsonschema.ValidationError):
        validate_snapshot(campaign)


def _set(snapshot: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path ("capacity.breakdown.DEFAULT.bookedPct")."""
    *parents, key = path.split(".")
    target = snapshot
    for parent in parents:
        target = target[parent]
    target[key] = value


def _reasons_without(snapshot: dict[str, Any], reason: str) -> list[str]:
    return [r for r in snapshot["capacity"]["dataQuality"]["reasons"] if r != reason]


# (name, workspace, {dotted path: value}): each a snapshot that cannot be true, made by hand
# from a valid demo snapshot, changing only what the rule is about.
BROKEN_SNAPSHOTS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "timestamp not ending in Z",
        "ws_acme",
        {"capacity.windowStartIso": "2026-03-02T09:00:00+00:00"},
    ),
    ("month 13, day 45", "ws_acme", {"capacity.windowStartIso": "2026-13-45T10:00:00.000Z"}),
    ("hour 25", "ws_acme", {"capacity.cacheMeta.fetchedAtIso": "2026-03-02T25:00:00.000Z"}),
    ("February 30", "ws_grove", {"capacityTrend.trendFromDate": "2026-02-30"}),
    ("a % as a string", "ws_acme", {"capacity.bookedPct": "37.5"}),
    ("a NULL isStale", "ws_acme", {"capacity.cacheMeta.isStale": None}),
    ("NULL % without a reason", "ws_acme", {"capacity.bookedPct": None}),
    (
        "a reason beside a %",
        "ws_fern",
        {"capacity.breakdown.DEFAULT.bookedPctNullReason": "no_slots_in_window"},
    ),
    (
        "a source's NULL % without a reason",
        "ws_grove",
        {"capacity.breakdown.DIRECT_BOOK.bookedPctNullReason": None},
    ),
    (
        "a combined-only reason on a source",
        "ws_cedar",
        {"capacity.breakdown.DIRECT_BOOK.bookedPctNullReason": "no_configured_calendar"},
    ),
    (
        "a source-only reason combined",
        "ws_delta",
        {"capacity.bookedPctNullReason": "not_configured"},
    ),
    (
        "% 0 with a NULL total",
        "ws_delta",
        {"capacity.bookedPct": 0.0, "capacity.bookedPctNullReason": None},
    ),
    (
        "a source's % 0 with a NULL total",
        "ws_delta",
        {
            "capacity.breakdown.DEFAULT.bookedPct": 0.0,
            "capacity.breakdown.DEFAULT.bookedPctNullReason": None,
        },
    ),
    (
        "% with a total of 0",
        "ws_acme",
        {"capacity.bookedSlots": 0, "capacity.availableSlots": 0, "capacity.totalSlots": 0},
    ),
    ("% above 100", "ws_grove", {"capacity.bookedPct": 100.1}),
    ("% below 0", "ws_grove", {"capacity.breakdown.DEFAULT.bookedPct": -0.1}),
    ("a total without its free slots", "ws_acme", {"capacity.availableSlots": None}),
    ("negative booked slots", "ws_acme", {"capacity.bookedSlots": -1}),
    ("negative free slots", "ws_acme", {"capacity.breakdown.DEFAULT.availableSlots": -1}),
    ("negative unattributed", "ws_acme", {"capacity.unattributedBookedSlots": -1}),
    ("negative invalid entries", "ws_grove", {"capacity.dataQuality.invalidSlotEntries": -1}),
    (
        "negative invalid entries of a source",
        "ws_grove",
        {"capacity.breakdown.DEFAULT.invalidSlotEntries": -1},
    ),
    ("a share above 1", "ws_grove", {"capacity.dataQuality.unattributedShare": 1.5}),
    ("an unknown reason", "ws_grove", {"capacity.dataQuality.reasons": ["looks_odd"]}),
    ("a reason twice", "ws_elm", {"capacity.dataQuality.reasons": ["cache_stale", "cache_stale"]}),
    ("stale without cache_stale", "ws_elm", {"capacity.dataQuality.reasons": []}),
    ("cache_stale while fresh", "ws_grove", {"capacity.dataQuality.reasons": ["cache_stale"]}),
    (
        "short of a covered window",
        "ws_grove",
        {"capacity.dataQuality.reasons": ["cache_short_of_window"]},
    ),
    (
        "invalid entries without their reason",
        "ws_bloom",
        {"capacity.dataQuality.reasons": ["many_unattributed_bookings"]},
    ),
    (
        "the invalid reason without entries",
        "ws_grove",
        {"capacity.dataQuality.reasons": ["invalid_slot_entries"]},
    ),
    (
        "many unattributed without a share",
        "ws_grove",
        {
            "capacity.dataQuality.unattributedShare": None,
            "capacity.dataQuality.reasons": ["many_unattributed_bookings"],
        },
    ),
    (
        "a NULL reason missing from reasons",
        "ws_harbor",
        {
            "capacity.dataQuality.reasons": [
                "cache_unreadable",
                "cache_stale",
                "many_unattributed_bookings",
                "invalid_slot_entries",
            ]
        },
    ),
    (
        "a NULL reason listed beside a %",
        "ws_grove",
        {"capacity.dataQuality.reasons": ["no_cache_row"]},
    ),
    (
        "an unreadable cache with free slots",
        "ws_fern",
        {
            "capacity.breakdown.DIRECT_BOOK.availableSlots": 0,
            "capacity.breakdown.DIRECT_BOOK.totalSlots": 0,
        },
    ),
    (
        "a readable cache without a row",
        "ws_delta",
        {"capacity.breakdown.DIRECT_BOOK.cacheIsReadable": True},
    ),
    (
        "an unconfigured source in the figure",
        "ws_cedar",
        {"capacity.breakdown.DIRECT_BOOK.entersCombinedFigure": True},
    ),
    ("no dataQuality", "ws_acme", {}),
]


@pytest.mark.parametrize(
    ("workspace_id", "changes"),
    [pytest.param(workspace, changes, id=name) for name, workspace, changes in BROKEN_SNAPSHOTS],
)
def test_schema_refuses_what_cannot_be_true(
    duckdb_demo: Warehouse, workspace_id: str, changes: dict[str, Any]
) -> None:
    """Each hand-made snapshot differs from a valid one only by what its rule forbids."""
    broken = json.loads(to_json(read_snapshot(duckdb_demo, workspace_id)))
    validate_snapshot(broken)  # valid before the change: the change alone is refused
    if not changes:
        del broken["capacity"]["dataQuality"]
    for path, value in changes.items():
        _set(broken, path, value)
    with pytest.raises(jsonschema.ValidationError):
        validate_snapshot(broken)


def test_the_format_checker_really_checks_date_time() -> None:
    """Without rfc3339-validator, jsonschema passes any date-time: this fails instead."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert "date-time" in checker.checkers
    assert not checker.conforms("2026-13-45T10:00:00.000Z", "date-time")
    assert checker.conforms("2026-03-02T09:00:00.000Z", "date-time")
    assert not checker.conforms("2026-02-30", "date")
    iso_utc_schema = snapshot_module.load_schema()["$defs"]["isoUtc"]
    assert iso_utc_schema["format"] == "date-time"
    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        jsonschema.validate("2026-13-45T10:00:00.000Z", iso_utc_schema, format_checker=checker)


def test_data_quality_reasons_keep_their_fixed_order(duckdb_demo: Warehouse) -> None:
    order = snapshot_module.DATA_QUALITY_REASONS
    enum = snapshot_module.load_schema()["$defs"]["dataQuality"]["properties"]["reasons"]
    assert enum["items"]["enum"] == list(order)
    for produced in read_all_snapshots(duckdb_demo):
        reasons = produced["capacity"]["dataQuality"]["reasons"]
        assert reasons == sorted(reasons, key=order.index), produced["workspaceId"]


def test_unattributed_share_is_the_planning_models(duckdb_demo: Warehouse) -> None:
    """Same definition as capacity_constrained_workspaces.unattributed_share, same verdict."""
    with connect(duckdb_demo) as connection:
        planning = {
            row["workspace_id"]: row
            for row in snapshot_module.fetch_dicts(
                connection, f"select * from {duckdb_demo.relation(snapshot_module.PLANNING)}"
            )
        }
    for produced in read_all_snapshots(duckdb_demo):
        quality = produced["capacity"]["dataQuality"]
        row = planning[produced["workspaceId"]]
        assert quality["unattributedShare"] == row["unattributed_share"]
        assert quality["maxUnattributedShare"] == row["max_unattributed_share"]
        many = "many_unattributed_bookings" in quality["reasons"]
        assert many == row["has_many_unattributed_bookings"]
        if row["exclusion_reason"] == "many_unattributed_bookings":
            assert many


def test_data_quality_without_the_planning_model(duckdb_demo: Warehouse) -> None:
    """No planning model: no threshold, so many_unattributed_bookings is not judged."""
    with connect(duckdb_demo) as connection:
        row = snapshot_module.fetch_workspace_row(connection, duckdb_demo, "ws_bloom")
        context = SnapshotContext(connection, duckdb_demo, "ws_bloom", row, planning_row=None)
        quality = snapshot_module.data_quality_block(context)
    assert quality == {
        "invalidSlotEntries": 5,
        "unattributedShare": 0.5,
        "maxUnattributedShare": None,
        "reasons": ["invalid_slot_entries"],
    }


def test_schema_requires_every_spec_field(duckdb_demo: Warehouse) -> None:
    produced = read_snapshot(duckdb_demo, "ws_acme")
    spec_capacity_keys = [
        "windowDays",
        "windowStartIso",
        "windowEndIso",
        "bookedSlots",
        "availableSlots",
        "totalSlots",
        "bookedPct",
        "breakdown",
        "unattributedBookedSlots",
        "cacheMeta",
    ]
    for key in spec_capacity_keys:
        broken = json.loads(to_json(produced))
        del broken["capacity"][key]
        with pytest.raises(jsonschema.ValidationError):
            validate_snapshot(broken)


@pytest.mark.parametrize("workspace_id", [INJECTION_ID, "ws_nobody", "", "ws_acme "])
def test_unknown_workspace_is_an_error_on_duckdb(duckdb_demo: Warehouse, workspace_id: str) -> None:
    with pytest.raises(WorkspaceNotFoundError, match="not found"):
        read_snapshot(duckdb_demo, workspace_id)


@pytest.mark.postgres
@pytest.mark.parametrize("workspace_id", [INJECTION_ID, "ws_nobody"])
def test_unknown_workspace_is_an_error_on_postgres(
    postgres_demo: Warehouse, workspace_id: str
) -> None:
    with pytest.raises(WorkspaceNotFoundError, match="not found"):
        read_snapshot(postgres_demo, workspace_id)


def test_snapshot_runs_one_bound_query(
    duckdb_demo: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id travels as a parameter; the mart read is workspace_query() verbatim (EXPLAINed).

    The capacityTrend block then reads the planning models by the same bound id.
    """
    executed: list[tuple[str, list[Any]]] = []
    real_fetch = snapshot_module.fetch_dicts

    def recording_fetch(connection: Any, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        executed.append((sql, list(params)))
        return real_fetch(connection, sql, params)

    monkeypatch.setattr(snapshot_module, "fetch_dicts", recording_fetch)
    read_snapshot(duckdb_demo, "ws_acme")
    assert executed[0] == (workspace_query(duckdb_demo), ["ws_acme"])
    assert all("ws_acme" not in sql for sql, _ in executed)
    by_id = [sql for sql, params in executed if "ws_acme" in params]
    assert len(by_id) == 2 and all("where workspace_id = ?" in sql for sql in by_id)
    assert workspace_query(duckdb_demo).endswith("where workspace_id = ?")


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


@pytest.mark.postgres
def test_postgres_snapshot_query_reads_through_the_unique_index(postgres_demo: Warehouse) -> None:
    import psycopg

    with psycopg.connect(postgres_demo.dsn) as conn:
        indexes = conn.execute(
            "select indexname, indexdef from pg_indexes where schemaname = %s and tablename = %s",
            [postgres_demo.schema, snapshot_module.MART],
        ).fetchall()
        unique_on_id = [
            name
            for name, definition in indexes
            if definition.startswith("CREATE UNIQUE INDEX")
            and definition.endswith("(workspace_id)")
        ]
        assert len(unique_on_id) == 1, indexes
        # The demo mart has 8 rows, so the planner rightly prefers a sequential scan.
        # enable_seqscan = off (this session only) does not forbid one: it only makes it
        # look prohibitively expensive, so a Seq Scan would still be chosen if the query
        # could not use the index (a function on workspace_id, a type mismatch, ...).
        # An index scan here therefore proves the query matches the index, which is what
        # keeps it one lookup when the mart has 100,000s of rows. Loading a large copy
        # instead would test the planner's cost model, and EXPLAIN a relation the
        # function never reads.
        conn.execute("set enable_seqscan = off")
        (plan,) = conn.execute(
            "explain (format json) " + workspace_query(postgres_demo), ["ws_acme"]
        ).fetchone()
    nodes = _plan_nodes(plan[0]["Plan"])
    index_nodes = [
        node
        for node in nodes
        if node["Node Type"] in {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
        and node.get("Index Name") == unique_on_id[0]
    ]
    assert index_nodes, nodes
    assert not [node for node in nodes if node["Node Type"] == "Seq Scan"], nodes


def test_missing_duckdb_warehouse_is_reported_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "never_built.duckdb"
    with pytest.raises(MartNotBuiltError, match="build it first"):
        read_snapshot(Warehouse("duckdb", str(missing), "main"), "ws_acme")
    assert not missing.exists()


def test_unbuilt_mart_is_reported(tmp_path: Path) -> None:
    import duckdb

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(MartNotBuiltError, match="build it first"):
        read_snapshot(Warehouse("duckdb", str(empty), "main"), "ws_acme")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (37.5, 37.5),
        (100 * 5 / 12, 41.7),
        (100 * 1 / 3, 33.3),
        (0.0, 0.0),
        (100.0, 100.0),
        (37.45, 37.5),  # half away from zero on the printed decimal, not binary banker's
        (0.05, 0.1),
        (99.96, 100.0),
    ],
)
def test_booked_pct_rounds_to_one_decimal(value: float | None, expected: float | None) -> None:
    assert round_pct(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (datetime(2026, 3, 2, 7, 59, 59, 999000), "2026-03-02T07:59:59.999Z"),
        (datetime(2026, 3, 2, 9), "2026-03-02T09:00:00.000Z"),
        (datetime(2026, 3, 2, 4, tzinfo=timezone(timedelta(hours=-5))), "2026-03-02T09:00:00.000Z"),
        (datetime(2026, 3, 2, 9, tzinfo=UTC), "2026-03-02T09:00:00.000Z"),
    ],
)
def test_timestamps_are_utc_iso_strings_ending_in_z(
    value: datetime | None, expected: str | None
) -> None:
    assert iso_utc(value) == expected


def test_aware_timestamps_give_the_same_snapshot(duckdb_demo: Warehouse) -> None:
    """The mart's timestamps may become timestamptz: aware values, any zone, same snapshot."""
    elsewhere = timezone(timedelta(hours=5, minutes=30))
    with connect(duckdb_demo) as connection:
        for workspace_id in ("ws_elm", "ws_delta"):
            row = snapshot_module.fetch_workspace_row(connection, duckdb_demo, workspace_id)
            aware = {
                key: value.replace(tzinfo=UTC).astimezone(elsewhere)
                if isinstance(value, datetime)
                else value
                for key, value in row.items()
            }
            assert any(isinstance(value, datetime) for value in aware.values())
            naive_snapshot = snapshot_from_row(connection, duckdb_demo, row)
            assert snapshot_from_row(connection, duckdb_demo, aware) == naive_snapshot


def test_blocks_can_be_added_without_touching_the_builder(duckdb_demo: Warehouse) -> None:
    """How a later block (e.g. capacityTrend) plugs in: a function of the context."""
    seen: list[SnapshotContext] = []

    def trend_block(context: SnapshotContext) -> dict[str, Any] | None:
        seen.append(context)
        return {"points": []}

    def absent_block(context: SnapshotContext) -> dict[str, Any] | None:
        return None

    with connect(duckdb_demo) as connection:
        row = snapshot_module.fetch_workspace_row(connection, duckdb_demo, "ws_acme")
        produced = snapshot_from_row(
            connection,
            duckdb_demo,
            row,
            blocks=[
                *snapshot_module.WORKSPACE_BLOCKS,
                ("capacityTrend", trend_block),
                ("nothing", absent_block),
            ],
        )
    assert list(produced) == ["scope", "workspaceId", "workspaceName", "capacity", "capacityTrend"]
    assert seen[0].workspace_id == "ws_acme"


def test_schema_is_packaged_and_documents_the_campaign_limitation() -> None:
    packaged = resources.files("capacity.consumers.schemas").joinpath(
        "insights_snapshot.schema.json"
    )
    schema = json.loads(packaged.read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "campaign-scoped snapshot carries NO `capacity` key" in schema["description"]
    module_doc = inspect.getdoc(snapshot_module) or ""
    assert "campaign-scoped snapshot" in module_doc and "NO ``capacity`` key" in module_doc
