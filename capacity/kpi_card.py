"""The "Capacity (30d)" KPI card: a static, offline HTML page, one card per workspace.

The card is rendered from the workspace snapshots (:mod:`capacity.snapshot`),
not from the mart directly, so the card and the Insights Chat can never show
different numbers: same rounding, same NULL handling, same freshness flags.

What a card shows, and why:

- the % booked, large; a NULL % is "n/a" with its reason, never 0% (a
  workspace without a cache is unknown, not empty);
- a visible warning when the availability cache is stale, or covers less than
  the window (the free slots after the fetch's end are missing, so the % reads
  high);
- a tooltip with the full breakdown (booked / available / total; DEFAULT vs
  DIRECT_BOOK; the unattributed bookings, which may be historical or from
  unconfigured calendars). It opens on hover and on keyboard focus (the card
  has tabindex=0 and points at it with aria-describedby), and Escape hides it
  (WCAG 1.4.13: content on hover or focus must be dismissible).

The page must open offline and from anywhere: inline CSS and a few lines of
inline script, no libraries, web fonts or network; a Content-Security-Policy
with the hashes of exactly that CSS and script blocks everything else. Every
value from the warehouse goes through html.escape.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from capacity.snapshot import SOURCES, read_all_snapshots, read_snapshot
from capacity.warehouse import Warehouse

UNATTRIBUTED_EXPLANATION = (
    "They are not in the % above: they may be historical (pending backfill) "
    "or from unconfigured calendars."
)
NULL_REASONS = {
    "no_cache_row": "no availability cache, so the free slots are unknown",
    "no_slots_in_window": "no slots in the window: nothing booked and nothing free",
    "shares_default_calendar": "same calendar as DEFAULT: its bookings and free slots count there",
}

STYLE = """
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #d9e2ec;
  --page: #f5f7fa; --card: #ffffff; --focus: #1d4ed8; --warn-bg: #fff4e5;
  --warn-line: #f0b455; --warn-ink: #7a4100; --tip: #102a43; --tip-ink: #f0f4f8; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; background: var(--page); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { margin: 0 0 4px; font-size: 22px; }
.meta { margin: 0 0 20px; color: var(--muted); font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(330px, 100%), 1fr));
  gap: 16px; align-items: start; }
.empty { color: var(--muted); }
.card { position: relative; background: var(--card); border: 1px solid var(--line);
  border-radius: 10px; padding: 16px; overflow-wrap: anywhere; }
.card:hover { border-color: #9fb3c8; box-shadow: 0 2px 8px rgba(16, 42, 67, 0.08); }
.card:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.name { margin: 0; font-size: 16px; }
.label { margin: 2px 0 6px; color: var(--muted); font-size: 12px; letter-spacing: 0.04em;
  text-transform: uppercase; }
.value { margin: 0; font-size: 44px; font-weight: 700; line-height: 1.1;
  font-variant-numeric: tabular-nums; }
.value.na { color: var(--muted); }
.sub { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
.warning { margin: 10px 0 0; padding: 6px 8px; border: 1px solid var(--warn-line);
  border-radius: 6px; background: var(--warn-bg); color: var(--warn-ink); font-size: 13px; }
.tooltip { visibility: hidden; position: absolute; z-index: 10; left: -1px; right: -1px;
  top: calc(100% - 2px); padding: 10px; border-radius: 8px; background: var(--tip);
  color: var(--tip-ink); font-size: 12px; box-shadow: 0 10px 28px rgba(16, 42, 67, 0.3); }
.card:hover .tooltip, .card:focus .tooltip { visibility: visible; }
.card.dismissed .tooltip { visibility: hidden; }
.tooltip table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.tooltip caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
.tooltip th, .tooltip td { padding: 3px 4px; text-align: right; white-space: nowrap;
  border-bottom: 1px solid rgba(240, 244, 248, 0.18); }
.tooltip tbody th { text-align: left; font-weight: 600; color: #bcccdc; }
.tooltip thead th { font-weight: 600; }
.tooltip p { margin: 8px 0 0; }
.tooltip .na-notes { margin: 4px 0 0; color: #bcccdc; }
.tooltip .tip-warning { color: #ffd8a8; }
"""

# Escape hides the open tooltip (hovered or focused card) until the pointer or focus leaves.
SCRIPT = """
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") { return; }
  document.querySelectorAll(".card:hover, .card:focus").forEach(function (card) {
    card.classList.add("dismissed");
  });
});
["mouseleave", "blur"].forEach(function (type) {
  document.querySelectorAll(".card").forEach(function (card) {
    card.addEventListener(type, function () { card.classList.remove("dismissed"); });
  });
});
"""


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape(str(value), quote=True)


def _when(iso: str | None) -> str:
    """A snapshot timestamp as a person reads it (minutes, UTC)."""
    if iso is None:
        return "never"
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _null_reason(reason: str | None) -> str:
    return NULL_REASONS.get(reason or "", reason or "reason unknown")


def _slots(value: int | None) -> str:
    return "unknown" if value is None else str(value)


def _title_days(snapshot: Mapping[str, Any]) -> str:
    return f"Capacity ({snapshot['capacity']['windowDays']}d)"


def stale_reasons(capacity: Mapping[str, Any]) -> list[str]:
    """Why the workspace's cache is stale, per source, in words (empty when it is not)."""
    if not capacity["cacheMeta"]["isStale"]:
        return []
    sources = capacity["breakdown"]
    if not any(source["hasCache"] for source in sources.values()):
        return ["no availability cache for this workspace"]
    reasons = []
    for key, _ in SOURCES:
        source = sources[key]
        meta = source["cacheMeta"]
        if source["hasCache"] and meta["isStale"]:
            if meta["lastError"]:
                reasons.append(f"{key}: last fetch failed ({meta['lastError']})")
            elif meta["fetchedAtIso"]:
                reasons.append(f"{key}: fetched {_when(meta['fetchedAtIso'])}, too long ago")
            else:
                reasons.append(f"{key}: never fetched")
        elif source["isConfigured"] and not source["hasCache"]:
            reasons.append(f"{key}: configured but not cached")
    return reasons or ["the cache is stale"]


def short_coverage(capacity: Mapping[str, Any]) -> list[str]:
    """The cached sources whose fetch covered less than the window."""
    sources = capacity["breakdown"]
    if capacity["cacheMeta"]["coversWindow"] or not any(s["hasCache"] for s in sources.values()):
        return []
    return [
        key
        for key, _ in SOURCES
        if sources[key]["hasCache"] and not sources[key]["cacheMeta"]["coversWindow"]
    ]


def _warnings(capacity: Mapping[str, Any]) -> str:
    parts = []
    stale = stale_reasons(capacity)
    if stale:
        parts.append(
            '<p class="warning warning-stale">&#9888; Stale availability: '
            f"{_e('; '.join(stale))}</p>"
        )
    short = short_coverage(capacity)
    if short:
        parts.append(
            '<p class="warning warning-coverage">&#9888; Cache covers less than the '
            f"{_e(capacity['windowDays'])}-day window ({_e(', '.join(short))}): free slots after "
            "the fetch are missing, so the % may read high</p>"
        )
    return "".join(parts)


# (row label, snapshot key, data-figure attribute) of the breakdown table's rows.
_TABLE_ROWS = (
    ("Booked", "bookedSlots", "booked"),
    ("Available", "availableSlots", "available"),
    ("Total", "totalSlots", "total"),
    ("% booked", "bookedPct", "pct"),
)


def _breakdown_table(capacity: Mapping[str, Any]) -> str:
    """Figures as rows and Combined / DEFAULT / DIRECT_BOOK as columns (fits a narrow card)."""
    columns = [("Combined", "combined", capacity)] + [
        (key, key, capacity["breakdown"][key]) for key, _ in SOURCES
    ]
    head = "".join(f'<th scope="col">{_e(label)}</th>' for label, _, _ in columns)
    body = "".join(
        f'<tr><th scope="row">{_e(row_label)}</th>'
        + "".join(
            f'<td data-source="{_e(source)}" data-figure="{figure}">'
            f"{_e(_pct(figures[key]) if figure == 'pct' else _slots(figures[key]))}</td>"
            for _, source, figures in columns
        )
        + "</tr>"
        for row_label, key, figure in _TABLE_ROWS
    )
    return (
        "<table><caption>Slots in the window: booked / available / total</caption>"
        f"<thead><tr><td></td>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _figure_notes(capacity: Mapping[str, Any]) -> list[str]:
    """Footnotes to the table: unconfigured sources and why a % is n/a."""
    notes = []
    labelled = [("Combined", capacity), *((key, capacity["breakdown"][key]) for key, _ in SOURCES)]
    for label, figures in labelled:
        parts = [] if figures.get("isConfigured", True) else ["not configured"]
        if figures["bookedPct"] is None:
            parts.append(f"% n/a, {_null_reason(figures.get('bookedPctNullReason'))}")
        if parts:
            notes.append(f"{label}: {'; '.join(parts)}.")
    return notes


def _tooltip(capacity: Mapping[str, Any], tip_id: str) -> str:
    notes_html = "".join(f'<p class="na-notes">{_e(note)}</p>' for note in _figure_notes(capacity))
    meta = capacity["cacheMeta"]
    cache_line = f"Cache fetched {_when(meta['fetchedAtIso'])}"
    if meta["lastError"]:
        cache_line += f"; last error: {meta['lastError']}"
    stale = stale_reasons(capacity)
    short = short_coverage(capacity)
    notes = "".join(
        f'<p class="tip-warning">&#9888; {_e(text)}</p>'
        for text in [
            *([f"Stale: {'; '.join(stale)}"] if stale else []),
            *([f"Covers less than the window: {', '.join(short)}"] if short else []),
        ]
    )
    return (
        f'<div class="tooltip" role="tooltip" id="{_e(tip_id)}">'
        f"{_breakdown_table(capacity)}"
        f"{notes_html}"
        f'<p class="unattributed">Unattributed bookings: '
        f'<strong class="unattributed-count">{_e(capacity["unattributedBookedSlots"])}</strong>. '
        f"{_e(UNATTRIBUTED_EXPLANATION)}</p>"
        f'<p class="cache-line">{_e(cache_line)}</p>'
        f"{notes}"
        f'<p class="window">Window {_e(_when(capacity["windowStartIso"]))} to '
        f"{_e(_when(capacity['windowEndIso']))} (end excluded)</p>"
        "</div>"
    )


def render_card(snapshot: Mapping[str, Any], index: int) -> str:
    """One workspace's card; ``index`` makes its element ids unique on the page."""
    capacity = snapshot["capacity"]
    name = snapshot.get("workspaceName") or snapshot["workspaceId"]
    name_id, value_id, tip_id = (f"{kind}-{index}" for kind in ("name", "value", "tip"))
    pct = capacity["bookedPct"]
    if pct is None:
        reason = capacity.get("bookedPctNullReason")
        value = f'<p class="value na" id="{value_id}">n/a</p>'
        sub = f'<p class="sub reason">{_e(_null_reason(reason))}</p>'
    else:
        value = f'<p class="value" id="{value_id}">{_e(_pct(pct))}</p>'
        sub = (
            f'<p class="sub">{_e(capacity["bookedSlots"])} of {_e(capacity["totalSlots"])} '
            "slots booked</p>"
        )
    return (
        f'<section class="card" tabindex="0" data-workspace-id="{_e(snapshot["workspaceId"])}" '
        f'aria-labelledby="{name_id} {value_id}" aria-describedby="{tip_id}">'
        f'<h2 class="name" id="{name_id}">{_e(name)}</h2>'
        f'<p class="label">{_e(_title_days(snapshot))} booked</p>'
        f"{value}{sub}{_warnings(capacity)}{_tooltip(capacity, tip_id)}"
        "</section>"
    )


def render_page(snapshots: Sequence[Mapping[str, Any]]) -> str:
    """The whole page for workspace-scoped snapshots (one card each, in the given order)."""
    title = _title_days(snapshots[0]) if snapshots else "Capacity"
    if snapshots:
        first = snapshots[0]["capacity"]
        meta = (
            f"Window {_when(first['windowStartIso'])} to {_when(first['windowEndIso'])} "
            "(end excluded), from the workspace_capacity_30d mart. Hover or focus a card "
            "for its breakdown; Escape hides it."
        )
        body = "".join(render_card(snapshot, i) for i, snapshot in enumerate(snapshots, 1))
    else:
        meta = "The workspace_capacity_30d mart has no workspaces."
        body = '<p class="empty">No workspaces.</p>'
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CONTENT_SECURITY_POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>"
        f'<body><header><h1>{_e(title)}</h1><p class="meta">{_e(meta)}</p></header>'
        f'<main class="cards">{body}</main><script>{SCRIPT}</script></body></html>\n'
    )


def write_page(snapshots: Sequence[Mapping[str, Any]], output: Path) -> Path:
    """Write the page for these snapshots to ``output`` (parents created); return the path."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_page(snapshots), encoding="utf-8")
    return output


def write_kpi_page(warehouse: Warehouse, output: Path, workspace_id: str | None = None) -> Path:
    """Render the page from the built mart: every workspace, or only ``workspace_id``."""
    snapshots = (
        [read_snapshot(warehouse, workspace_id)]
        if workspace_id is not None
        else read_all_snapshots(warehouse)
    )
    return write_page(snapshots, output)
