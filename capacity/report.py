"""A readable text table of the capacity mart, one line per workspace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from capacity.warehouse import Warehouse, fetch_dicts

MART = "workspace_capacity_30d"


def load_mart(connection: Any, warehouse: Warehouse) -> list[dict[str, Any]]:
    return fetch_dicts(
        connection, f"select * from {warehouse.relation(MART)} order by workspace_id"
    )


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


def _flags(row: dict[str, Any]) -> str:
    flags = ["STALE"] if row["cache_is_stale"] else []
    if row["booked_pct_null_reason"] == "no_cache_row":
        flags.append("no cache")
    elif not row["cache_covers_window"]:
        flags.append("cache short of window")
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
        start, end = rows[0]["window_start_at"], rows[0]["window_end_at"]
        table.insert(0, f"Capacity window [{start}, {end}) UTC, figures as booked/available/total")
    return "\n".join(table)
