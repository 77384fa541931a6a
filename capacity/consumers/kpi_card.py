"""The "Capacity (30d)" KPI card: a static, offline HTML page, one card per workspace.

The card is rendered from the workspace snapshots (:mod:`capacity.consumers.snapshot`),
not from the mart directly, so the card and the Insights Chat can never show
different numbers: same rounding, same NULL handling, same freshness flags.

What a card shows, and why (SPEC §5: every consumer shows the same figure
and the same doubt):

- the label "Capacity (30d)" and the % booked, large; a NULL % is "n/a" with
  its reason, never 0% (a workspace without a usable cache is unknown, not
  empty);
- on the card's face, one warning per trust signal of the snapshot's
  ``dataQuality.reasons`` (each element carries ``data-signal``): stale
  cache, cache short of the window (the % reads high), unreadable cache,
  unattributed share above the planning threshold, invalid slot entries. The
  card renders the snapshot's list, so it cannot show less doubt than the chat;
- the planning verdict from ``capacityTrend``: constrained (with its rank to
  call), not constrained, or not ranked and why, with the trend (rising /
  falling / flat and the change in points over the recorded runs);
- a tooltip with the full breakdown (booked / available / total; DEFAULT vs
  DIRECT_BOOK, whether each is in the combined figure; the unattributed
  bookings, which may be historical or from unconfigured calendars). It
  opens on hover and on keyboard focus (the card has tabindex=0 and points at
  it with aria-describedby), and Escape hides it (WCAG 1.4.13: content on
  hover or focus must be dismissible). It opens in the flow of its own card,
  which grows to hold it: it pushes the cards below down instead of covering
  their figures.

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
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from pathlib import Path
from typing import Any

from capacity.consumers.snapshot import SOURCES, read_all_snapshots, read_snapshot
from capacity.warehouse import Warehouse

UNATTRIBUTED_EXPLANATION = (
    "They are not in the % above: they may be historical (pending backfill) "
    "or from unconfigured calendars."
)
NULL_REASONS = {
    # the combined figure's
    "no_configured_calendar": "no calendar configured, so there is nothing to measure",
    "no_cache_row": "no availability cache, so the free slots are unknown",
    "cache_unreadable": "the availability cache cannot be read, so the free slots are unknown",
    "no_slots_in_window": "no slots in the window: nothing booked and nothing free",
    # a source's only
    "not_configured": "no calendar configured for it: its cached slots are not counted",
    "shares_default_calendar": "same calendar as DEFAULT: its bookings and free slots count there",
}
# capacityTrend.exclusionReason in words
EXCLUSIONS = {
    "no_figure": "no figure",
    "stale_cache": "stale cache",
    "cache_short_of_window": "cache short of the window",
    "many_unattributed_bookings": "many unattributed bookings",
}
TREND_ARROWS = {"rising": "\u2191", "falling": "\u2193", "flat": "\u2192"}

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
/* no text-transform: the label reads exactly "Capacity (30d)" */
.label { margin: 2px 0 6px; color: var(--muted); font-size: 13px; font-weight: 600; }
.value { margin: 0; font-size: 44px; font-weight: 700; line-height: 1.1;
  font-variant-numeric: tabular-nums; }
.value.na { color: var(--muted); }
.sub { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
.warnings { margin: 10px 0 0; padding: 0; list-style: none; }
.warning { margin: 6px 0 0; padding: 6px 8px; border: 1px solid var(--warn-line);
  border-radius: 6px; background: var(--warn-bg); color: var(--warn-ink); font-size: 13px; }
.planning { margin: 8px 0 0; font-size: 13px; color: var(--muted); }
.status { display: inline-block; margin-right: 6px; padding: 1px 8px; border-radius: 999px;
  font-weight: 600; font-size: 12px; border: 1px solid var(--line); color: var(--ink); }
.status-constrained { background: #fde8e8; border-color: #e12d39; color: #8a041a; }
.status-excluded { background: #f0f4f8; border-style: dashed; }
.trend { display: block; margin-top: 2px; }
/* In the card's own flow: the card grows, the cards below move down, nothing is covered. */
.tooltip { display: none; margin: 12px -6px -6px; padding: 10px; border-radius: 8px;
  background: var(--tip); color: var(--tip-ink); font-size: 12px; overflow-x: auto; }
.card:hover .tooltip, .card:focus .tooltip { display: block; }
.card.dismissed .tooltip { display: none; }
.tooltip table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.tooltip caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
.tooltip th, .tooltip td { padding: 3px 3px; text-align: right; white-space: nowrap;
  border-bottom: 1px solid rgba(240, 244, 248, 0.18); }
.tooltip table { overflow-wrap: normal; }
.tooltip tbody th, .tooltip thead th { white-space: normal; }
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


def _source_list(keys: Sequence[str]) -> str:
    return ", ".join(keys)


def stale_reasons(capacity: Mapping[str, Any]) -> list[str]:
    """Why the workspace's cache is stale, per configured source, in words (empty when fresh).

    SPEC §5: only a configured source's cache (missing, unreadable or stale) makes
    the workspace stale, and so does having no source in the combined figure.
    """
    if not capacity["cacheMeta"]["isStale"]:
        return []
    sources = capacity["breakdown"]
    reasons = []
    for key, _ in SOURCES:
        source = sources[key]
        meta = source["cacheMeta"]
        if not source["isConfigured"]:
            continue
        if not source["hasCache"]:
            reasons.append(f"{key}: configured but not cached")
        elif not source["cacheIsReadable"]:
            reasons.append(f"{key}: cache unreadable")
        elif meta["isStale"]:
            if meta["lastError"]:
                reasons.append(f"{key}: last fetch failed ({meta['lastError']})")
            elif meta["fetchedAtIso"]:
                reasons.append(f"{key}: fetched {_when(meta['fetchedAtIso'])}, too long ago")
            else:
                reasons.append(f"{key}: never fetched")
    if not reasons and not any(source["isConfigured"] for source in sources.values()):
        reasons.append("no calendar configured")
    return reasons or ["the cache is stale"]


def short_coverage(capacity: Mapping[str, Any]) -> list[str]:
    """The sources in the combined figure whose fetch covered less than the window."""
    if capacity["cacheMeta"]["coversWindow"]:
        return []
    sources = capacity["breakdown"]
    return [
        key
        for key, _ in SOURCES
        if sources[key]["entersCombinedFigure"] and not sources[key]["cacheMeta"]["coversWindow"]
    ]


def unreadable_caches(capacity: Mapping[str, Any]) -> list[str]:
    """The sources whose cache row cannot be read, unconfigured ones marked so."""
    return [
        key if source["isConfigured"] else f"{key}, not configured"
        for key, _ in SOURCES
        for source in [capacity["breakdown"][key]]
        if source["hasCache"] and not source["cacheIsReadable"]
    ]


def _share(value: float) -> str:
    return f"{Decimal(repr(100 * value)).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"


def _unattributed_text(capacity: Mapping[str, Any]) -> str:
    quality = capacity["dataQuality"]
    unattributed = capacity["unattributedBookedSlots"]
    of_all = (capacity["bookedSlots"] or 0) + unattributed
    return (
        f"{_share(quality['unattributedShare'])} of bookings unattributed ({unattributed} of "
        f"{of_all}), above the {_share(quality['maxUnattributedShare'])} planning threshold: "
        "they are not in the %; run the backfill"
    )


def _invalid_text(capacity: Mapping[str, Any]) -> str:
    count = capacity["dataQuality"]["invalidSlotEntries"]
    per_source = [
        f"{key}: {capacity['breakdown'][key]['invalidSlotEntries']}"
        for key, _ in SOURCES
        if capacity["breakdown"][key]["invalidSlotEntries"]
    ]
    noun = "entry" if count == 1 else "entries"
    where = f" ({', '.join(per_source)})" if per_source else ""
    return f"{count} invalid slot {noun} quarantined{where}: not counted as free slots"


def signal_texts(capacity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(signal, words) for each trust signal of dataQuality.reasons shown as a warning.

    The NULL reasons (no_configured_calendar, no_cache_row, no_slots_in_window) are
    the n/a line under the figure, not a warning; every other signal is one.
    """
    words: dict[str, Any] = {
        "cache_unreadable": lambda: (
            f"Unreadable availability cache ({_source_list(unreadable_caches(capacity))}): "
            "its slotsUtc is not a list of slots, so its free slots are unknown and left out"
        ),
        "cache_stale": lambda: f"Stale availability: {'; '.join(stale_reasons(capacity))}",
        "cache_short_of_window": lambda: (
            f"Cache covers less than the {capacity['windowDays']}-day window "
            f"({_source_list(short_coverage(capacity))}): free slots after the fetch are "
            "missing, so the % may read high"
        ),
        "many_unattributed_bookings": lambda: _unattributed_text(capacity),
        "invalid_slot_entries": lambda: _invalid_text(capacity),
    }
    return [
        (reason, words[reason]())
        for reason in capacity["dataQuality"]["reasons"]
        if reason in words
    ]


# The old class names of the two first warnings, kept for the page's readers and tests.
_WARNING_CLASSES = {"cache_stale": "warning-stale", "cache_short_of_window": "warning-coverage"}


def _warnings(capacity: Mapping[str, Any]) -> str:
    items = "".join(
        f'<li class="warning {_WARNING_CLASSES.get(signal, "warning-" + signal)}" '
        f'data-signal="{_e(signal)}">&#9888; {_e(text)}</li>'
        for signal, text in signal_texts(capacity)
    )
    return f'<ul class="warnings">{items}</ul>' if items else ""


def trend_text(trend: Mapping[str, Any]) -> str:
    """The trend in words: direction, change in points, over how many runs since when."""
    runs = trend["trendRunCount"]
    if trend["trendDirection"] is None:
        if runs >= 2:  # runs recorded, but without a % to compare
            return f"no trend: the runs compared lack a % booked ({runs} runs)"
        return f"no trend yet ({runs} run{'' if runs == 1 else 's'})"
    change = trend["bookedPctChange"]
    text = (
        f"{TREND_ARROWS[trend['trendDirection']]} {trend['trendDirection']} "
        f"{'0.0' if change == 0 else f'{change:+.1f}'} pts over {runs} runs "
        f"since {trend['trendFromDate']}"
    )
    days = trend["projectedDaysUntilFullyBooked"]
    if days == 0:
        text += "; full now"
    elif days is not None:
        text += f"; projected full in {days} days"
    return text


def _planning(snapshot: Mapping[str, Any]) -> str:
    """The planning model's verdict and trend (capacityTrend), when it is built."""
    trend = snapshot.get("capacityTrend")
    if trend is None:
        return ""
    status = trend["constraintStatus"]
    if status == "constrained":
        label = f"Constrained: #{trend['constrainedRank']} to call"
    elif status == "not_constrained":
        label = "Not constrained"
    else:
        reason = trend["exclusionReason"]
        label = f"Not ranked: {EXCLUSIONS.get(reason, reason)}"
    return (
        f'<p class="planning" data-status="{_e(status)}">'
        f'<span class="status status-{_e(status)}">{_e(label)}</span>'
        f'<span class="trend" data-direction="{_e(trend["trendDirection"] or "none")}">'
        f"{_e(trend_text(trend))}</span></p>"
    )


# (row label, snapshot key, data-figure attribute) of the breakdown table's rows.
_TABLE_ROWS = (
    ("Booked", "bookedSlots", "booked"),
    ("Available", "availableSlots", "available"),
    ("Total", "totalSlots", "total"),
    ("% booked", "bookedPct", "pct"),
    ("In combined", "entersCombinedFigure", "enters"),
    ("Invalid entries", "invalidSlotEntries", "invalid"),
)


def _cell(figures: Mapping[str, Any], key: str, figure: str) -> str:
    if key not in figures:  # the combined column is not "in combined" itself
        return "\u2014"
    value = figures[key]
    if figure == "pct":
        return _pct(value)
    if figure == "enters":
        return "yes" if value else "no"
    return _slots(value)


def _breakdown_table(capacity: Mapping[str, Any]) -> str:
    """Figures as rows and Combined / DEFAULT / DIRECT_BOOK as columns (fits a narrow card)."""
    combined = {**capacity, "invalidSlotEntries": capacity["dataQuality"]["invalidSlotEntries"]}
    columns = [("Combined", "combined", combined)] + [
        (key, key, capacity["breakdown"][key]) for key, _ in SOURCES
    ]
    # DIRECT_BOOK may break after its underscore: the table fits a narrow card
    head = "".join(
        f'<th scope="col">{_e(label).replace("_", "_<wbr>")}</th>' for label, _, _ in columns
    )
    body = "".join(
        f'<tr><th scope="row">{_e(row_label)}</th>'
        + "".join(
            f'<td data-source="{_e(source)}" data-figure="{figure}">'
            f"{_e(_cell(figures, key, figure))}</td>"
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
        configured = figures.get("isConfigured", True)
        parts = [] if configured else ["not configured"]
        reason = figures.get("bookedPctNullReason")
        if figures["bookedPct"] is None and not (reason == "not_configured" and not configured):
            parts.append(f"% n/a, {_null_reason(reason)}")
        if parts:
            notes.append(f"{label}: {'; '.join(parts)}.")
    return notes


def _tooltip(capacity: Mapping[str, Any], tip_id: str) -> str:
    notes_html = "".join(f'<p class="na-notes">{_e(note)}</p>' for note in _figure_notes(capacity))
    meta = capacity["cacheMeta"]
    cache_line = f"Cache fetched {_when(meta['fetchedAtIso'])}"
    if meta["lastError"]:
        cache_line += f"; last error: {meta['lastError']}"
    share = capacity["dataQuality"]["unattributedShare"]
    share_text = "" if share is None else f" ({_share(share)} of all bookings in the window)"
    return (
        f'<div class="tooltip" role="tooltip" id="{_e(tip_id)}">'
        f"{_breakdown_table(capacity)}"
        f"{notes_html}"
        f'<p class="unattributed">Unattributed bookings: '
        f'<strong class="unattributed-count">{_e(capacity["unattributedBookedSlots"])}</strong>'
        f"{_e(share_text)}. {_e(UNATTRIBUTED_EXPLANATION)}</p>"
        f'<p class="cache-line">{_e(cache_line)}</p>'
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
        reason = capacity["bookedPctNullReason"]
        value = f'<p class="value na" id="{value_id}">n/a</p>'
        sub = f'<p class="sub reason" data-signal="{_e(reason)}">{_e(_null_reason(reason))}</p>'
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
        f'<p class="label">{_e(_title_days(snapshot))}</p>'
        f"{value}{sub}{_planning(snapshot)}{_warnings(capacity)}{_tooltip(capacity, tip_id)}"
        "</section>"
    )


def render_page(snapshots: Sequence[Mapping[str, Any]]) -> str:
    """The whole page for workspace-scoped snapshots (one card each, in the given order)."""
    title = _title_days(snapshots[0]) if snapshots else "Capacity"
    if snapshots:
        first = snapshots[0]["capacity"]
        meta = (
            f"Window {_when(first['windowStartIso'])} to {_when(first['windowEndIso'])} "
            "(end excluded), from the workspace_capacity_30d mart and the planning model. "
            "Hover or focus a card for its breakdown; Escape hides it."
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
