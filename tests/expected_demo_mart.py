"""workspace_capacity_30d for the demo seeds, worked out by hand from seeds/app.

as_of = 2026-03-02 09:00 UTC, window [2026-03-02 09:00, 2026-04-01 09:00),
caches are stale when fetched before 2026-03-02 08:00 (60 minutes).
Timestamps are aware UTC datetimes: the mart's are timestamps with time zone
(capacity.warehouse.fetch_dicts reads them back in UTC).
The comments say which seed rows make each figure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

WINDOW_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW_END = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def _source(
    prefix: str,
    *,
    booked: int,
    available: int | None,
    configured: bool,
    unreadable: bool = False,
    fetched: datetime | None = None,
    stale: bool = False,
    error: str | None = None,
    covers: bool = False,
    invalid: int = 0,
    shares_default_calendar: bool = False,
) -> dict[str, Any]:
    """One source's columns. available None: no cache row, or (unreadable) a cache that
    cannot be read. The NULL reason is the first that applies (SPEC §1, §5)."""
    readable = available is not None
    has_cache = readable or unreadable
    total = booked + available if readable else None
    if not has_cache:
        reason = "no_cache_row"
    elif unreadable:
        reason = "cache_unreadable"
    elif not configured:
        reason = "not_configured"
    elif shares_default_calendar:
        reason = "shares_default_calendar"
    elif total == 0:
        reason = "no_slots_in_window"
    else:
        reason = None
    pct = 100 * booked / total if reason is None and total else None
    return {
        f"{prefix}booked_slots": booked,
        f"{prefix}available_slots": available,
        f"{prefix}total_slots": total,
        f"{prefix}booked_pct": pct,
        f"{prefix}booked_pct_null_reason": reason,
        f"{prefix}is_configured": configured,
        f"{prefix}has_cache": has_cache,
        f"{prefix}cache_is_readable": readable,
        f"{prefix}cache_fetched_at": fetched,
        f"{prefix}cache_is_stale": stale,
        f"{prefix}cache_last_error": error,
        f"{prefix}cache_covers_window": covers,
        f"{prefix}invalid_slot_entries": invalid,
        # the demo's one shared calendar has a readable DEFAULT cache, so it enters as DEFAULT
        f"{prefix}enters_combined_figure": configured and readable and not shares_default_calendar,
        **(
            {"direct_book_shares_default_calendar": shares_default_calendar}
            if prefix == "direct_book_"
            else {}
        ),
    }


def _workspace(
    workspace_id: str,
    name: str,
    *,
    booked: int | None,
    available: int | None,
    unattributed: int,
    fetched: datetime | None,
    stale: bool,
    error: str | None = None,
    covers: bool,
    invalid: int = 0,
    null_reason: str | None = None,
    default: dict[str, Any],
    direct_book: dict[str, Any],
) -> dict[str, Any]:
    total = booked + available if booked is not None and available is not None else None
    pct = 100 * booked / total if booked is not None and total else None
    # without a combined figure the reason is the workspace's (SPEC §5), given by the caller
    reason = None if pct is not None else null_reason if total is None else "no_slots_in_window"
    combined = {
        "booked_slots": booked,
        "available_slots": available,
        "total_slots": total,
        "booked_pct": pct,
    }
    freshness = {
        "cache_fetched_at": fetched,
        "cache_is_stale": stale,
        "cache_last_error": error,
        "cache_covers_window": covers,
    }
    return {
        "workspace_id": workspace_id,
        "workspace_name": name,
        "as_of_at": WINDOW_START,
        "window_start_at": WINDOW_START,
        "window_end_at": WINDOW_END,
        **combined,
        **_figures(default, "default_"),
        **_figures(direct_book, "direct_book_"),
        "unattributed_booked_slots": unattributed,
        "booked_pct_null_reason": reason,
        "default_booked_pct_null_reason": default["default_booked_pct_null_reason"],
        "direct_book_booked_pct_null_reason": direct_book["direct_book_booked_pct_null_reason"],
        **freshness,
        **_freshness(default, "default_"),
        **_freshness(direct_book, "direct_book_"),
        "invalid_slot_entries": invalid,
    }


FIGURES = ("booked_slots", "available_slots", "total_slots", "booked_pct")
NOT_FRESHNESS = (*FIGURES, "booked_pct_null_reason")


def _figures(source: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}{name}": source[f"{prefix}{name}"] for name in FIGURES}


def _freshness(source: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        key: value for key, value in source.items() if key.removeprefix(prefix) not in NOT_FRESHNESS
    }


def _at(hour: int, minute: int = 0, second: int = 0, micro: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, micro, tzinfo=UTC)


EXPECTED_MART: dict[str, dict[str, Any]] = {
    # DEFAULT: 11 entries, one repeat (10:00-05:00 = 15:00Z), 08:30 before and 04-01 09:00 /
    # 04-10 after the window -> 7 free; booked appt 01, 02 (' confirmed', padded id), 06
    # (after a RESCHEDULED), 12 (at window start), 13 (same time as 01) -> 5. Not counted:
    # 04 CANCELED, 05 RESCHEDULED, 09 1 ms early, 10 at window end, 11 no start, 14/15 statuses.
    # DIRECT_BOOK: 3 free, appt 03 booked; fetched exactly 60 min before as_of: fresh.
    # Unattributed: 07 (no calendar id), 08 (deleted calendar). The ROUND_ROBIN cache is ignored.
    "ws_acme": _workspace(
        "ws_acme",
        "Acme Dental",
        booked=6,
        available=10,
        unattributed=2,
        fetched=_at(8),
        stale=False,
        covers=True,
        default=_source(
            "default_", booked=5, available=7, configured=True, fetched=_at(8, 30), covers=True
        ),
        direct_book=_source(
            "direct_book_", booked=1, available=3, configured=True, fetched=_at(8), covers=True
        ),
    ),
    # DEFAULT: 4 distinct of 5 good entries, 5 invalid (null, number, garbage, Feb 30, 25:00);
    # booked 01 and 02 (upper-case host, trailing slash). DIRECT_BOOK (' direct_book' in the
    # seed): 3 free, 03 booked against a configured URI with a trailing slash.
    # Unattributed: 04 (path case differs), 05 (no URI), 07 (a GHL calendar of another workspace).
    "ws_bloom": _workspace(
        "ws_bloom",
        "Bloom Coaching",
        booked=3,
        available=7,
        unattributed=3,
        fetched=_at(8, 50),
        stale=False,
        covers=True,
        invalid=5,
        default=_source(
            "default_",
            booked=2,
            available=4,
            configured=True,
            fetched=_at(8, 50),
            covers=True,
            invalid=5,
        ),
        direct_book=_source(
            "direct_book_", booked=1, available=3, configured=True, fetched=_at(8, 55), covers=True
        ),
    ),
    # Only DEFAULT configured (DIRECT_BOOK id is blanks). The unconfigured DIRECT_BOOK has a
    # cache of [] (no calendar stands behind it: a NULL %, adds nothing) and does not make the
    # workspace stale.
    # 03 uses Acme's calendar: unattributed here.
    "ws_cedar": _workspace(
        "ws_cedar",
        "Cedar Physio",
        booked=1,
        available=4,
        unattributed=1,
        fetched=_at(8, 40),
        stale=False,
        covers=True,
        default=_source(
            "default_", booked=1, available=4, configured=True, fetched=_at(8, 40), covers=True
        ),
        direct_book=_source(
            "direct_book_", booked=0, available=0, configured=False, fetched=_at(8, 40), covers=True
        ),
    ),
    # No cache at all: no combined figure (its configured DEFAULT has no cache row), stale;
    # DEFAULT still reports its booking.
    "ws_delta": _workspace(
        "ws_delta",
        "Delta Law",
        booked=None,
        available=None,
        unattributed=1,
        fetched=None,
        stale=True,
        covers=False,
        null_reason="no_cache_row",
        default=_source("default_", booked=1, available=None, configured=True, stale=True),
        direct_book=_source("direct_book_", booked=0, available=None, configured=False),
    ),
    # DEFAULT: lastError and 2 days old; DIRECT_BOOK: fetched 1 ms more than 60 min ago.
    "ws_elm": _workspace(
        "ws_elm",
        "Elm Salon",
        booked=3,
        available=5,
        unattributed=0,
        fetched=datetime(2026, 2, 27, 14, 0, tzinfo=UTC),
        stale=True,
        error="GHL 401: token expired",
        covers=True,
        default=_source(
            "default_",
            booked=2,
            available=3,
            configured=True,
            fetched=datetime(2026, 2, 27, 14, 0, tzinfo=UTC),
            stale=True,
            error="GHL 401: token expired",
            covers=True,
        ),
        direct_book=_source(
            "direct_book_",
            booked=1,
            available=2,
            configured=True,
            fetched=_at(7, 59, 59, 999000),
            stale=True,
            covers=True,
        ),
    ),
    # DEFAULT cache covers 10 days only; 02 is booked after it (still in the window).
    # DIRECT_BOOK slotsUtc is JSON null: unreadable (free slots unknown, not 0), quarantined,
    # stale; the combined figure is DEFAULT's alone and the workspace is stale.
    "ws_fern": _workspace(
        "ws_fern",
        "Fern Studio",
        booked=2,
        available=3,
        unattributed=0,
        fetched=_at(8, 30),
        stale=True,
        covers=False,
        invalid=1,
        default=_source("default_", booked=2, available=3, configured=True, fetched=_at(8, 30)),
        direct_book=_source(
            "direct_book_",
            booked=0,
            available=None,
            unreadable=True,
            configured=True,
            fetched=_at(8, 30),
            stale=True,
            covers=True,
            invalid=1,
        ),
    ),
    # One calendar configured for both sources, its one free slot (03-06 12:00) in both caches:
    # the 4 bookings are DEFAULT's, and the slot counts once -> 4 of 5, 80% (not 4 of 6).
    # DIRECT_BOOK keeps its counts but has no % of its own (shares_default_calendar).
    "ws_grove": _workspace(
        "ws_grove",
        "Grove Clinic",
        booked=4,
        available=1,
        unattributed=0,
        fetched=_at(8, 45),
        stale=False,
        covers=True,
        default=_source(
            "default_", booked=4, available=1, configured=True, fetched=_at(8, 45), covers=True
        ),
        direct_book=_source(
            "direct_book_",
            booked=0,
            available=1,
            configured=True,
            fetched=_at(8, 45),
            covers=True,
            shares_default_calendar=True,
        ),
    ),
    # No settings: everything unattributed, no combined figure (no configured calendar), so
    # stale, and no configured cache to date it. Its one (unconfigured) DEFAULT cache holds
    # an object, not an array: unreadable (free slots unknown), quarantined, stale.
    "ws_harbor": _workspace(
        "ws_harbor",
        "Harbor Vets",
        booked=None,
        available=None,
        unattributed=1,
        fetched=None,
        stale=True,
        covers=False,
        invalid=1,
        null_reason="no_configured_calendar",
        default=_source(
            "default_",
            booked=0,
            available=None,
            unreadable=True,
            configured=False,
            fetched=_at(8, 45),
            stale=True,
            covers=True,
            invalid=1,
        ),
        direct_book=_source("direct_book_", booked=0, available=None, configured=False),
    ),
}
