"""The Insights Chat analytics snapshot (SPEC §4): one workspace's capacity as plain JSON.

The snapshot is read from the built mart ``workspace_capacity_30d`` and the
planning model ``capacity_constrained_workspaces`` (DuckDB or PostgreSQL),
never from a calendar provider: the chat answers from the same figures the
operators see, and asking it a question costs one indexed row read of each.

Shape (camelCase; only strings, numbers, booleans and null)::

    {"scope": "workspace", "workspaceId": "...", "workspaceName": "...",
     "capacity": {"windowDays": 30, "windowStartIso": "...Z", "windowEndIso": "...Z",
                  "bookedSlots": 6, "availableSlots": 10, "totalSlots": 16,
                  "bookedPct": 37.5, "bookedPctNullReason": null,
                  "breakdown": {"DEFAULT": {...}, "DIRECT_BOOK": {...}},
                  "unattributedBookedSlots": 2,
                  "cacheMeta": {"fetchedAtIso": "...Z", "isStale": false,
                                "lastError": null, "coversWindow": true},
                  "dataQuality": {"invalidSlotEntries": 0, "unattributedShare": 0.25,
                                  "maxUnattributedShare": 0.2,
                                  "reasons": ["many_unattributed_bookings"]}}}

- Every SPEC field keeps its SPEC name; the extras (``workspaceName``,
  ``bookedPctNullReason``, ``coversWindow``, per source ``isConfigured``,
  ``hasCache``, ``cacheIsReadable``, ``entersCombinedFigure``,
  ``invalidSlotEntries`` and its own ``cacheMeta``) only add to it.
- ``dataQuality`` (SPEC §5) carries the doubt with the figure:
  ``invalidSlotEntries`` (the mart's), ``unattributedShare`` (the planning
  model's definition, :func:`unattributed_share`), ``maxUnattributedShare``
  (the threshold the build applied) and ``reasons``, the trust signals that
  apply in the fixed order of :data:`DATA_QUALITY_REASONS`, each derived from
  a mart column (:func:`data_quality_reasons`).
- Timestamps are UTC ISO-8601 strings with milliseconds ending in ``Z`` (the
  mart stores time-zone-aware instants, read back in UTC; the app's caches are
  millisecond-precise, and a cache fetched 1 ms past the max age is stale, so
  milliseconds are kept).
- ``bookedPct`` is rounded to one decimal, half away from zero on the decimal
  the mart's double prints as (37.45 -> 37.5), so the chat and the KPI card
  say what a person would compute. NULL stays null, with its reason.

LIMITATION — campaign scope: a campaign-scoped snapshot
(``{"scope": "campaign", "workspaceId": ..., "campaignId": ...}``) carries
NO ``capacity`` key. Capacity belongs to a workspace's calendars and the mart
has no campaign dimension (the app's appointments are not linked to
campaigns), so a per-campaign figure does not exist; showing the workspace's
figure under a campaign would pass it off as the campaign's. The campaign id
is echoed, not checked (analytics has no campaign table); the workspace id is.

The JSON Schema (``capacity/consumers/schemas/insights_snapshot.schema.json``, Draft
2020-12) is the contract; :func:`read_snapshot` validates every snapshot
against it before returning it.

Workspace scope may also carry ``capacityTrend`` (once the planning models
are built): the workspace's constraint status and rank, and the trend of %
booked over the recent runs (:func:`capacity_trend_block`).

Adding a block: write ``def my_block(context) -> dict | None`` reading what it
needs through ``context`` (by workspace id, through an index: one snapshot
must never scan a whole table), add it to ``WORKSPACE_BLOCKS`` and its
property to the schema's ``workspaceSnapshot``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from capacity.warehouse import Warehouse, as_utc, connect, fetch_dicts

MART = "workspace_capacity_30d"
SCHEMA_RESOURCE = "insights_snapshot.schema.json"

# (JSON key, mart column prefix) of each availability source, in SPEC order.
SOURCES: tuple[tuple[str, str], ...] = (("DEFAULT", "default_"), ("DIRECT_BOOK", "direct_book_"))

_FIGURES = (
    "booked_slots",
    "available_slots",
    "total_slots",
    "booked_pct",
    "booked_pct_null_reason",
)
_SOURCE_FRESHNESS = (
    "is_configured",
    "has_cache",
    "cache_is_readable",
    "enters_combined_figure",
    "invalid_slot_entries",
    "cache_fetched_at",
    "cache_is_stale",
    "cache_last_error",
    "cache_covers_window",
)

# The only mart columns a snapshot reads, named so a renamed column fails loudly here.
MART_COLUMNS: tuple[str, ...] = (
    "workspace_id",
    "workspace_name",
    "window_start_at",
    "window_end_at",
    *_FIGURES,
    *(f"{prefix}{name}" for _, prefix in SOURCES for name in _FIGURES + _SOURCE_FRESHNESS),
    "unattributed_booked_slots",
    "cache_fetched_at",
    "cache_is_stale",
    "cache_last_error",
    "cache_covers_window",
    "invalid_slot_entries",
)

JsonObject = dict[str, Any]


class SnapshotError(Exception):
    """A snapshot cannot be produced; the message says why, for a person."""


class WorkspaceNotFoundError(SnapshotError, LookupError):
    """The workspace id has no row in the mart (unknown workspace, or a stale build)."""


class MartNotBuiltError(SnapshotError):
    """The warehouse has no built mart to read."""


# --- SQL: the single place the snapshot's queries are written ---------------------------


def _select(warehouse: Warehouse) -> str:
    return f"select {', '.join(MART_COLUMNS)} from {warehouse.relation(MART)}"


def workspace_query(warehouse: Warehouse) -> str:
    """The query one workspace's snapshot runs: an equality on the mart's unique index.

    The id is a bound parameter (the engine's DB-API marker), never pasted in.
    Tests EXPLAIN exactly this text to show it reads through the index.
    """
    return f"{_select(warehouse)} where workspace_id = {warehouse.placeholder}"


def all_workspaces_query(warehouse: Warehouse) -> str:
    """Every workspace's row, for the outputs that cover all of them (the KPI page)."""
    return f"{_select(warehouse)} order by workspace_id"


def _mart_missing(warehouse: Warehouse, error: Exception) -> bool:
    """Whether a driver error means the mart relation does not exist (not built yet)."""
    if warehouse.engine == "duckdb":
        import duckdb

        return isinstance(error, duckdb.CatalogException)
    from psycopg import errors

    return isinstance(error, errors.UndefinedTable)


def _read(
    connection: Any, warehouse: Warehouse, sql: str, params: Sequence[Any]
) -> list[JsonObject]:
    try:
        return fetch_dicts(connection, sql, params)
    except Exception as error:
        if _mart_missing(warehouse, error):
            raise MartNotBuiltError(
                f"no {MART} in {warehouse.engine} schema {warehouse.schema!r}: "
                "build it first (capacity demo, or capacity build)"
            ) from error
        raise


def fetch_workspace_row(connection: Any, warehouse: Warehouse, workspace_id: str) -> JsonObject:
    """The mart row of one workspace; WorkspaceNotFoundError when it has none."""
    rows = _read(connection, warehouse, workspace_query(warehouse), [workspace_id])
    if not rows:
        raise WorkspaceNotFoundError(
            f"workspace {workspace_id!r} not found in {warehouse.relation(MART)} "
            f"({warehouse.engine}); is the id right and the mart built from the current app data?"
        )
    if len(rows) > 1:  # the mart's unique test and index forbid this; never pick one silently
        raise SnapshotError(f"workspace {workspace_id!r} has {len(rows)} rows in {MART}")
    return rows[0]


def fetch_all_rows(connection: Any, warehouse: Warehouse) -> list[JsonObject]:
    """Every workspace's mart row, ordered by workspace id."""
    return _read(connection, warehouse, all_workspaces_query(warehouse), [])


# --- value conversion: driver types to JSON types ---------------------------------------


def iso_utc(value: datetime | None) -> str | None:
    """A UTC ISO-8601 string with milliseconds ending in Z.

    A naive value is taken as UTC (the mart's ``timestamp`` columns hold UTC); an
    aware one (a ``timestamptz`` column, in the session's time zone) is converted
    to UTC first, so both give the same text for the same instant.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def round_pct(value: float | Decimal | None) -> float | None:
    """One decimal, half away from zero on the value's shortest decimal form; None stays None."""
    if value is None:
        return None
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(rounded)


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _flag(value: Any) -> bool:
    if value is None:  # the mart's freshness flags are tested not_null: a NULL is a bug upstream
        raise SnapshotError("a freshness flag of the mart is NULL")
    return bool(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def window_days(start: datetime, end: datetime) -> int:
    """Whole days of the window (the dbt var capacity_window_days is a positive whole number).

    Aware bounds are compared in UTC: in a zone with DST, their wall clocks could be
    an hour apart from the instants'.
    """
    days, remainder = divmod(as_utc(end) - as_utc(start), timedelta(days=1))
    if remainder or days < 1:
        raise SnapshotError(f"window [{start}, {end}) is not a whole number of days")
    return days


# --- blocks: one small function per snapshot block --------------------------------------


@dataclass(frozen=True)
class SnapshotContext:
    """What a block may read: the open connection, where the models are, and the mart row.

    A block that needs more than these rows queries by ``workspace_id`` through
    ``connection`` (bound parameter, indexed column).
    """

    connection: Any
    warehouse: Warehouse
    workspace_id: str
    mart_row: Mapping[str, Any]
    # The workspace's row of the planning model (capacity_constrained_workspaces), read
    # once per snapshot; None where that model is not built.
    planning_row: Mapping[str, Any] | None = None


Block = Callable[[SnapshotContext], JsonObject | None]


def _figures(row: Mapping[str, Any], prefix: str) -> JsonObject:
    return {
        "bookedSlots": _count(row[f"{prefix}booked_slots"]),
        "availableSlots": _count(row[f"{prefix}available_slots"]),
        "totalSlots": _count(row[f"{prefix}total_slots"]),
        "bookedPct": round_pct(row[f"{prefix}booked_pct"]),
        "bookedPctNullReason": _text(row[f"{prefix}booked_pct_null_reason"]),
    }


def _cache_meta(row: Mapping[str, Any], prefix: str) -> JsonObject:
    return {
        "fetchedAtIso": iso_utc(row[f"{prefix}cache_fetched_at"]),
        "isStale": _flag(row[f"{prefix}cache_is_stale"]),
        "lastError": _text(row[f"{prefix}cache_last_error"]),
        "coversWindow": _flag(row[f"{prefix}cache_covers_window"]),
    }


def _source_block(row: Mapping[str, Any], prefix: str) -> JsonObject:
    return {
        **_figures(row, prefix),
        "isConfigured": _flag(row[f"{prefix}is_configured"]),
        "hasCache": _flag(row[f"{prefix}has_cache"]),
        "cacheIsReadable": _flag(row[f"{prefix}cache_is_readable"]),
        "entersCombinedFigure": _flag(row[f"{prefix}enters_combined_figure"]),
        "invalidSlotEntries": _count(row[f"{prefix}invalid_slot_entries"]),
        "cacheMeta": _cache_meta(row, prefix),
    }


# The trust signals of dataQuality.reasons, in their fixed order (the schema enumerates them).
# no_configured_calendar, no_cache_row and no_slots_in_window are listed only as the combined
# figure's NULL reason; cache_unreadable whenever a cache row cannot be read (whether or not it
# is the NULL reason); the others may qualify a figure that exists.
DATA_QUALITY_REASONS: tuple[str, ...] = (
    "no_configured_calendar",
    "no_cache_row",
    "cache_unreadable",
    "no_slots_in_window",
    "cache_stale",
    "cache_short_of_window",
    "many_unattributed_bookings",
    "invalid_slot_entries",
)
_NULL_REASONS_IN_DATA_QUALITY = frozenset(
    {"no_configured_calendar", "no_cache_row", "cache_unreadable", "no_slots_in_window"}
)


def unattributed_share(row: Mapping[str, Any]) -> float | None:
    """unattributed / (booked in the combined figure + unattributed); None when that is 0.

    The planning model's ``unattributed_share`` (capacity_constrained_workspaces),
    from the same two mart columns: a NULL combined figure counts as 0 booked.
    """
    unattributed = int(row["unattributed_booked_slots"])
    denominator = int(row["booked_slots"] or 0) + unattributed
    return None if denominator == 0 else unattributed / denominator


def data_quality_reasons(row: Mapping[str, Any], many_unattributed_bookings: bool) -> list[str]:
    """The trust signals that apply to a mart row, each from a mart column, in fixed order.

    ``many_unattributed_bookings`` is the planning model's verdict
    (has_many_unattributed_bookings), the one place its threshold is applied.
    """
    null_reason = row["booked_pct_null_reason"]
    if null_reason is not None and null_reason not in _NULL_REASONS_IN_DATA_QUALITY:
        raise SnapshotError(f"unknown booked_pct_null_reason {null_reason!r} in {MART}")
    sources = [prefix for _, prefix in SOURCES]
    applies = {
        "no_configured_calendar": null_reason == "no_configured_calendar",
        "no_cache_row": null_reason == "no_cache_row",
        "cache_unreadable": null_reason == "cache_unreadable"
        or any(
            _flag(row[f"{p}has_cache"]) and not _flag(row[f"{p}cache_is_readable"]) for p in sources
        ),
        "no_slots_in_window": null_reason == "no_slots_in_window",
        "cache_stale": _flag(row["cache_is_stale"]),
        # without any source in the combined figure there is no fetch to fall short
        "cache_short_of_window": not _flag(row["cache_covers_window"])
        and any(_flag(row[f"{p}enters_combined_figure"]) for p in sources),
        "many_unattributed_bookings": many_unattributed_bookings,
        "invalid_slot_entries": int(row["invalid_slot_entries"]) > 0,
    }
    return [reason for reason in DATA_QUALITY_REASONS if applies[reason]]


def data_quality_block(context: SnapshotContext) -> JsonObject:
    """``capacity.dataQuality`` (SPEC §5): the doubt that travels with the figure."""
    row, planning = context.mart_row, context.planning_row
    many = planning is not None and _flag(planning["has_many_unattributed_bookings"])
    return {
        "invalidSlotEntries": _count(row["invalid_slot_entries"]),
        "unattributedShare": unattributed_share(row),
        "maxUnattributedShare": (
            None if planning is None else float(planning["max_unattributed_share"])
        ),
        "reasons": data_quality_reasons(row, many),
    }


def capacity_block(context: SnapshotContext) -> JsonObject:
    """The SPEC §4 ``capacity`` block from the workspace's mart row, with §5's dataQuality."""
    row = context.mart_row
    return {
        "windowDays": window_days(row["window_start_at"], row["window_end_at"]),
        "windowStartIso": iso_utc(row["window_start_at"]),
        "windowEndIso": iso_utc(row["window_end_at"]),
        **_figures(row, ""),
        "breakdown": {key: _source_block(row, prefix) for key, prefix in SOURCES},
        "unattributedBookedSlots": _count(row["unattributed_booked_slots"]),
        "cacheMeta": _cache_meta(row, ""),
        "dataQuality": data_quality_block(context),
    }


PLANNING = "capacity_constrained_workspaces"


def _planning_built(connection: Any, warehouse: Warehouse) -> bool:
    """Whether the planning model exists in the warehouse (it is optional)."""
    exists = fetch_dicts(
        connection,
        "select count(*) as n from information_schema.tables "
        f"where table_schema = {warehouse.placeholder} "
        f"and table_name = {warehouse.placeholder}",
        [warehouse.schema, PLANNING],
    )
    return bool(exists[0]["n"])


def fetch_planning_row(
    connection: Any, warehouse: Warehouse, workspace_id: str
) -> JsonObject | None:
    """The workspace's planning row, by id through the model's unique index; None if not built."""
    if not _planning_built(connection, warehouse):
        return None
    marker = warehouse.placeholder
    rows = fetch_dicts(
        connection,
        f"select * from {warehouse.relation(PLANNING)} where workspace_id = {marker}",
        [workspace_id],
    )
    return rows[0] if rows else None


def fetch_all_planning_rows(connection: Any, warehouse: Warehouse) -> dict[str, JsonObject]:
    """Every workspace's planning row in one pass, by workspace id; empty if not built."""
    if not _planning_built(connection, warehouse):
        return {}
    rows = fetch_dicts(connection, f"select * from {warehouse.relation(PLANNING)}")
    return {str(row["workspace_id"]): row for row in rows}


def capacity_trend_block(context: SnapshotContext) -> JsonObject | None:
    """The optional ``capacityTrend`` block: the planning model's verdict and trend.

    Left out (None) where the planning model is not built. Scalars only (SPEC §4).
    """
    signal = context.planning_row
    if signal is None:
        return None
    return {
        "constraintStatus": signal["constraint_status"],
        "constrainedRank": _count(signal["constrained_rank"]),
        "exclusionReason": _text(signal["exclusion_reason"]),
        "trendRunCount": _count(signal["trend_run_count"]),
        "trendFromDate": _iso_date(signal["trend_from_date"]),
        "trendDirection": _text(signal["trend_direction"]),
        "bookedPctChange": round_pct(signal["booked_pct_change"]),
        "projectedDaysUntilFullyBooked": _count(signal["projected_days_until_fully_booked"]),
        "nextFreeSlotIso": iso_utc(signal["next_free_slot_at"]),
    }


def _iso_date(day: date | None) -> str | None:
    """A UTC calendar date as YYYY-MM-DD (the as-of date of a recorded run)."""
    return None if day is None else day.isoformat()


# The workspace scope's blocks, in output order. A block returning None is left out.
WORKSPACE_BLOCKS: tuple[tuple[str, Block], ...] = (
    ("capacity", capacity_block),
    ("capacityTrend", capacity_trend_block),
)


# --- assembling, validating, reading ----------------------------------------------------


def snapshot_from_row(
    connection: Any,
    warehouse: Warehouse,
    row: Mapping[str, Any],
    *,
    campaign_id: str | None = None,
    blocks: Sequence[tuple[str, Block]] = WORKSPACE_BLOCKS,
    planning_rows: Mapping[str, JsonObject] | None = None,
) -> JsonObject:
    """Assemble the snapshot of a mart row: campaign scope gets no blocks (see the module doc).

    ``planning_rows``: every workspace's planning row when the caller read them in one
    pass (:func:`fetch_all_planning_rows`); without it the row is looked up by id.
    """
    workspace_id = str(row["workspace_id"])
    head: JsonObject = {
        "workspaceId": workspace_id,
        "workspaceName": _text(row["workspace_name"]),
    }
    if campaign_id is not None:
        return {"scope": "campaign", **head, "campaignId": campaign_id}
    snapshot: JsonObject = {"scope": "workspace", **head}
    planning_row = (
        fetch_planning_row(connection, warehouse, workspace_id)
        if planning_rows is None
        else planning_rows.get(workspace_id)
    )
    context = SnapshotContext(connection, warehouse, workspace_id, row, planning_row)
    for key, block in blocks:
        value = block(context)
        if value is not None:
            snapshot[key] = value
    return snapshot


def build_snapshot(
    connection: Any, warehouse: Warehouse, workspace_id: str, *, campaign_id: str | None = None
) -> JsonObject:
    """One workspace's snapshot over an open connection (one indexed row read)."""
    if campaign_id is not None and not campaign_id:
        raise SnapshotError("campaign id must not be empty")
    row = fetch_workspace_row(connection, warehouse, workspace_id)
    return snapshot_from_row(connection, warehouse, row, campaign_id=campaign_id)


@cache
def load_schema() -> JsonObject:
    """The snapshot's JSON Schema, from the installed package's data."""
    schemas = resources.files("capacity.consumers.schemas")
    text = schemas.joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: JsonObject = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


def validate_snapshot(snapshot: Mapping[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the snapshot breaks its schema.

    Formats ("date-time", "date") are checked, not only annotated: jsonschema
    checks "date-time" only with rfc3339-validator installed (a pinned
    dependency; a test makes sure the checker really refuses a bad date).
    """
    Draft202012Validator(
        load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    ).validate(snapshot)


def _ensure_built(warehouse: Warehouse) -> None:
    # duckdb.connect() would create an empty file where the warehouse should be.
    if warehouse.engine == "duckdb" and not Path(warehouse.dsn).exists():
        raise MartNotBuiltError(
            f"no DuckDB warehouse at {warehouse.dsn}: build it first (capacity demo)"
        )


def read_snapshot(
    warehouse: Warehouse, workspace_id: str, *, campaign_id: str | None = None
) -> JsonObject:
    """Connect, build one workspace's snapshot and validate it against the schema."""
    _ensure_built(warehouse)
    with connect(warehouse) as connection:
        snapshot = build_snapshot(connection, warehouse, workspace_id, campaign_id=campaign_id)
    validate_snapshot(snapshot)
    return snapshot


def read_all_snapshots(warehouse: Warehouse) -> list[JsonObject]:
    """Every workspace's snapshot (one pass over the mart and one over the planning model),
    each validated."""
    _ensure_built(warehouse)
    with connect(warehouse) as connection:
        planning_rows = fetch_all_planning_rows(connection, warehouse)
        snapshots = [
            snapshot_from_row(connection, warehouse, row, planning_rows=planning_rows)
            for row in fetch_all_rows(connection, warehouse)
        ]
    for snapshot in snapshots:
        validate_snapshot(snapshot)
    return snapshots


def to_json(snapshot: Mapping[str, Any]) -> str:
    """Strict JSON text (NaN or Infinity would raise: they are not JSON)."""
    return json.dumps(snapshot, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
