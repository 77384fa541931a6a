"""A readable text table of the capacity mart, one line per workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from capacity.warehouse import Warehouse, fetch_dicts

MART = "workspace_capacity_30d"
CONSTRAINED = "capacity_constrained_workspaces"


def load_mart(connection: Any, warehouse: Warehouse) -> list[dict[str, Any]]:
    return fetch_dicts(
        connection, f"select * from {warehouse.relation(MART)} order by workspace_id"
    )


def _utc_wall_clock(value: datetime) -> str:
    """A timestamp as its UTC wall clock, '2026-03-02 09:00:00' (aware values converted)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _figures(row: dict[str, Any], prefix: str) -> str:
    booked, available, total = (
        row[f"{prefix}{name}"] for name in ("booked_slots", "available_slots", "total_slots")
    )
    return (
        f"{_pct(row[f'{prefix}booked_pct'])} ({_count(booked)}/{_count(available)}/{_count(total)})"
    )


_NULL_REASON_FLAGS = {
    "no_configured_calendar": "no configured calendar",
    "no_cache_row": "no cache",
    "cache_unreadable": "cache unreadable",
    "no_slots_in_window": "no slots in window",
}
_SOURCE_PREFIXES = {"DEFAULT": "default_", "DIRECT_BOOK": "direct_book_"}


def _flags(row: dict[str, Any]) -> str:
    """The same doubts as the snapshot's dataQuality (SPEC §5), in a few words."""
    flags = ["STALE"] if row["cache_is_stale"] else []
    reason = row["booked_pct_null_reason"]
    if reason is not None:
        flags.append(_NULL_REASON_FLAGS.get(reason, reason))
    unreadable = [
        source
        for source, prefix in _SOURCE_PREFIXES.items()
        if row[f"{prefix}has_cache"] and not row[f"{prefix}cache_is_readable"]
    ]
    if unreadable and reason != "cache_unreadable":
        flags.append(f"unreadable cache: {', '.join(unreadable)}")
    entering = any(row[f"{prefix}enters_combined_figure"] for prefix in _SOURCE_PREFIXES.values())
    if entering and not row["cache_covers_window"]:
        flags.append("cache short of window")
    invalid = row["invalid_slot_entries"]
    if invalid:
        flags.append(f"{invalid} invalid slot {'entry' if invalid == 1 else 'entries'}")
    if row["cache_last_error"]:
        flags.append(f"error: {row['cache_last_error']}")
    return ", ".join(flags) or "ok"


def format_capacity_table(rows: Sequence[dict[str, Any]]) -> str:
    """Render mart rows as an aligned table (figures as booked/available/total)."""
    header = ("workspace", "% booked (b/a/t)", "DEFAULT", "DIRECT_BOOK", "unattributed", "cache")
    lines = [
        (
            f"{row['workspace_name']} [{row['workspace_id']}]",
            _figures(row, ""),
            _figures(row, "default_"),
            _figures(row, "direct_book_"),
            str(row["unattributed_booked_slots"]),
            _flags(row),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    table = [render(header), render(["-" * width for width in widths]), *map(render, lines)]
    if rows:
        start, end = (
            _utc_wall_clock(rows[0][name]) for name in ("window_start_at", "window_end_at")
        )
        table.insert(0, f"Capacity window [{start}, {end}) UTC, figures as booked/available/total")
    return "\n".join(table)


def load_constrained(connection: Any, warehouse: Warehouse) -> list[dict[str, Any]]:
    """The planning model, constrained workspaces first in rank order."""
    return fetch_dicts(
        connection,
        f"select * from {warehouse.relation(CONSTRAINED)} "
        "order by case when constrained_rank is null then 1 else 0 end, constrained_rank, "
        "booked_pct desc, workspace_id",
    )


def _trend(row: dict[str, Any]) -> str:
    if row["trend_direction"] is None:
        return "no trend yet"
    change, runs = row["booked_pct_change"], row["trend_run_count"]
    return f"{row['trend_direction']} {change:+.1f} pts over {runs} runs"


def _fill(days: int | None) -> str:
    if days is None:
        return "no fill date projected"
    return "fully booked now" if days == 0 else f"projected full in {days} days"


def format_constrained_table(rows: Sequence[dict[str, Any]], top: int = 10) -> str:
    """Who to call first: the ranked constrained workspaces, then the high ones left out."""
    constrained = [row for row in rows if row["constraint_status"] == "constrained"][:top]
    lines = ["Capacity-constrained workspaces (call first):"]
    lines += [
        f"  {row['constrained_rank']}. {row['workspace_name']} [{row['workspace_id']}]: "
        f"{_pct(row['booked_pct'])} booked, {_trend(row)}, "
        + _fill(row["projected_days_until_fully_booked"])
        for row in constrained
    ] or ["  none"]
    untrusted = [
        row
        for row in rows
        if row["constraint_status"] == "excluded" and row["exclusion_reason"] != "no_figure"
    ]
    if untrusted:
        lines.append("Not ranked, figures not trusted:")
        lines += [
            f"  {row['workspace_name']} [{row['workspace_id']}]: {_pct(row['booked_pct'])} booked, "
            f"{row['exclusion_reason']}"
            for row in untrusted
        ]
    return "\n".join(lines)
