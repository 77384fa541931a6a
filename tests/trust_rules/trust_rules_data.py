"""Adversarial app data, one workspace per SPEC §5 rule or state, with the mart worked by hand.

as_of = 2026-03-02 09:00 UTC, window [03-02 09:00, 04-01 09:00), caches fetched before
08:00 are stale. Every cache below is fetched at 08:30 over [08:30, 04-16 08:30) (fresh,
covering the window) unless its row says otherwise. Bookings are CONFIRMED in the window.

Each expected row names the figures that carry the rule: the combined counts, %, reason,
staleness and coverage, and per source the free slots and the NULL reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

AS_OF = "2026-03-02T09:00:00Z"
FETCHED = "2026-03-02 08:30:00.000"
RANGE_END = "2026-04-16 08:30:00.000"
OLD_FETCH = "2026-02-27 08:30:00.000"

GHL, CALENDLY = "GHL", "CALENDLY"
CAL_URI = "https://api.calendly.com/event_types/"


@dataclass(frozen=True)
class Cache:
    source: str
    slots: str  # slotsUtc as stored: JSON text (or, where the engine allows, text that is not JSON)
    fetched: str = FETCHED


@dataclass(frozen=True)
class Workspace:
    workspace_id: str
    settings: dict[str, str] | None  # WorkspaceSettings columns; None: no settings row
    caches: tuple[Cache, ...] = ()
    # (provider, attribution identifier) of each confirmed booking in the window
    bookings: tuple[tuple[str, str | None], ...] = ()
    expected: dict[str, Any] = field(default_factory=dict)
    # text that is not JSON cannot be stored in PostgreSQL's jsonb
    needs_text_slots: bool = False


def _slots(*starts: str) -> str:
    return "[" + ", ".join(f'"2026-03-{start}:00.000Z"' for start in starts) + "]"


def _expect(
    booked: int | None,
    available: int | None,
    pct: float | None,
    reason: str | None,
    *,
    stale: bool,
    covers: bool,
    default: tuple[int | None, str | None],
    direct_book: tuple[int | None, str | None],
    unattributed: int = 0,
    invalid: int = 0,
) -> dict[str, Any]:
    """The mart's columns under test; default/direct_book: (available_slots, NULL reason)."""
    return {
        "booked_slots": booked,
        "available_slots": available,
        "total_slots": None if booked is None or available is None else booked + available,
        "booked_pct": pct,
        "booked_pct_null_reason": reason,
        "cache_is_stale": stale,
        "cache_covers_window": covers,
        "default_available_slots": default[0],
        "default_booked_pct_null_reason": default[1],
        "direct_book_available_slots": direct_book[0],
        "direct_book_booked_pct_null_reason": direct_book[1],
        "unattributed_booked_slots": unattributed,
        "invalid_slot_entries": invalid,
    }


WORKSPACES: tuple[Workspace, ...] = (
    # 100 % booked on its one configured calendar; a stale cache nobody configured holds 9
    # free slots: under §1 it diluted the figure to 10 %. It neither enters, nor makes the
    # workspace stale, nor dates it.
    Workspace(
        "t_orphan_cache",
        {"ghlDefaultCalendarId": "cal_o"},
        (
            Cache("DEFAULT", "[]"),
            Cache(
                "DIRECT_BOOK",
                _slots(*(f"0{day}T10:00" for day in range(3, 10)), "10T10:00", "11T10:00"),
                OLD_FETCH,
            ),
        ),
        ((GHL, "cal_o"),),
        _expect(
            1,
            0,
            100.0,
            None,
            stale=False,
            covers=True,
            default=(0, None),
            direct_book=(9, "not_configured"),
        )
        # dated by the configured cache alone
        | {"cache_fetched_at": datetime(2026, 3, 2, 8, 30)},
    ),
    # Unreadable caches of each kind (§5): unknown free slots, no figure, stale, quarantined.
    *(
        Workspace(
            f"t_unreadable_{kind}",
            {"ghlDefaultCalendarId": f"cal_{kind}"},
            (Cache("DEFAULT", value),),
            ((GHL, f"cal_{kind}"),),
            _expect(
                None,
                None,
                None,
                "cache_unreadable",
                stale=True,
                covers=False,
                default=(None, "cache_unreadable"),
                direct_book=(None, "no_cache_row"),
                invalid=1,
            ),
            needs_text_slots=kind == "not_json",
        )
        for kind, value in (
            ("json_null", "null"),
            ("object", '{"slots": ["2026-03-03T10:00:00.000Z"]}'),
            ("string", '"2026-03-03T10:00:00.000Z"'),
            ("number", "42"),
            ("boolean", "true"),
            ("not_json", "[2026-03-03T10:00:00Z"),
        )
    ),
    # Neither source configured (blank ids are missing): cached slots and bookings exist,
    # but no figure; the bookings are unattributed.
    Workspace(
        "t_both_unconfigured",
        {"ghlDefaultCalendarId": "   ", "calendlyDirectBookEventTypeUri": ""},
        (
            Cache("DEFAULT", _slots("03T10:00", "03T11:00")),
            Cache("DIRECT_BOOK", _slots("04T10:00")),
        ),
        ((GHL, "cal_x"), (CALENDLY, CAL_URI + "X")),
        _expect(
            None,
            None,
            None,
            "no_configured_calendar",
            stale=True,
            covers=False,
            default=(2, "not_configured"),
            direct_book=(1, "not_configured"),
            unattributed=2,
        ),
    ),
    # No settings row and no cache at all.
    Workspace(
        "t_no_settings",
        None,
        bookings=((GHL, "cal_y"),),
        expected=_expect(
            None,
            None,
            None,
            "no_configured_calendar",
            stale=True,
            covers=False,
            default=(None, "no_cache_row"),
            direct_book=(None, "no_cache_row"),
            unattributed=1,
        ),
    ),
    # One calendar behind both sources, both caches readable: counted once, through DEFAULT.
    Workspace(
        "t_shared_with_default_cache",
        {"ghlDefaultCalendarId": "cal_s", "ghlDirectBookCalendarId": "cal_s"},
        (
            Cache("DEFAULT", _slots("03T10:00", "03T11:00")),
            Cache("DIRECT_BOOK", _slots("03T10:00")),
        ),
        ((GHL, "cal_s"), (GHL, "cal_s")),
        _expect(
            2,
            2,
            50.0,
            None,
            stale=False,
            covers=True,
            default=(2, None),
            direct_book=(1, "shares_default_calendar"),
        ),
    ),
    # ... without DEFAULT's cache: DIRECT_BOOK's cache stands in, DEFAULT's bookings count
    # with it; DEFAULT is configured without a cache, so the workspace is stale.
    Workspace(
        "t_shared_without_default_cache",
        {"ghlDefaultCalendarId": "cal_s", "ghlDirectBookCalendarId": " cal_s "},
        (Cache("DIRECT_BOOK", _slots("03T10:00", "03T11:00", "03T12:00")),),
        ((GHL, "cal_s"),),
        _expect(
            1,
            3,
            25.0,
            None,
            stale=True,
            covers=True,
            default=(None, "no_cache_row"),
            direct_book=(3, "shares_default_calendar"),
        ),
    ),
    # ... with DEFAULT's cache unreadable: the same, and DEFAULT's value is quarantined.
    Workspace(
        "t_shared_default_unreadable",
        {"calendlyEventTypeUri": CAL_URI + "S", "calendlyDirectBookEventTypeUri": CAL_URI + "S/"},
        (Cache("DEFAULT", "null"), Cache("DIRECT_BOOK", _slots("05T10:00"))),
        ((CALENDLY, "HTTPS://API.CALENDLY.COM/event_types/S"),),
        _expect(
            1,
            1,
            50.0,
            None,
            stale=True,
            covers=True,
            default=(None, "cache_unreadable"),
            direct_book=(1, "shares_default_calendar"),
            invalid=1,
        ),
    ),
    # Both configured, neither enters: a missing row is named before an unreadable one.
    Workspace(
        "t_missing_and_unreadable",
        {"ghlDefaultCalendarId": "cal_m", "calendlyDirectBookEventTypeUri": CAL_URI + "M"},
        (Cache("DIRECT_BOOK", "{}"),),
        ((GHL, "cal_m"),),
        _expect(
            None,
            None,
            None,
            "no_cache_row",
            stale=True,
            covers=False,
            default=(None, "no_cache_row"),
            direct_book=(None, "cache_unreadable"),
            invalid=1,
        ),
    ),
    # One readable, one unreadable configured source: the figure is the readable one's,
    # and the workspace is stale; the unreadable source's bookings stay out of it.
    Workspace(
        "t_one_unreadable",
        {"ghlDefaultCalendarId": "cal_d", "ghlDirectBookCalendarId": "cal_e"},
        (Cache("DEFAULT", _slots("03T10:00", "03T11:00")), Cache("DIRECT_BOOK", '"oops"')),
        ((GHL, "cal_d"), (GHL, "cal_e"), (GHL, "cal_e")),
        _expect(
            1,
            2,
            100 / 3,
            None,
            stale=True,
            covers=True,
            default=(2, None),
            direct_book=(None, "cache_unreadable"),
            invalid=1,
        ),
    ),
    # [] is readable: a configured calendar with nothing free and nothing booked.
    Workspace(
        "t_empty_array",
        {"ghlDefaultCalendarId": "cal_z"},
        (Cache("DEFAULT", "[]"),),
        expected=_expect(
            0,
            0,
            None,
            "no_slots_in_window",
            stale=False,
            covers=True,
            default=(0, "no_slots_in_window"),
            direct_book=(None, "no_cache_row"),
        ),
    ),
)


def app_rows(workspaces: tuple[Workspace, ...]) -> dict[str, list[dict[str, Any]]]:
    """The app tables' rows (SPEC §2 column names) for these workspaces."""
    created = "2026-01-01 00:00:00.000"
    tables: dict[str, list[dict[str, Any]]] = {
        "Client": [],
        "WorkspaceSettings": [],
        "Lead": [],
        "Appointment": [],
        "WorkspaceAvailabilityCache": [],
    }
    for workspace in workspaces:
        wid = workspace.workspace_id
        tables["Client"].append({"id": wid, "name": wid, "createdAt": created})
        if workspace.settings is not None:
            tables["WorkspaceSettings"].append(
                {"id": f"set_{wid}", "clientId": wid, **workspace.settings}
            )
        tables["Lead"].append({"id": f"lead_{wid}", "clientId": wid, "createdAt": created})
        for number, (provider, identifier) in enumerate(workspace.bookings):
            column = "ghlCalendarId" if provider == GHL else "calendlyEventTypeUri"
            tables["Appointment"].append(
                {
                    "id": f"appt_{wid}_{number}",
                    "leadId": f"lead_{wid}",
                    "provider": provider,
                    "status": "CONFIRMED",
                    "startAt": f"2026-03-{20 + number} 15:00:00.000",
                    column: identifier,
                    "createdAt": created,
                    "updatedAt": created,
                }
            )
        for cache in workspace.caches:
            tables["WorkspaceAvailabilityCache"].append(
                {
                    "id": f"cache_{wid}_{cache.source.lower()}",
                    "clientId": wid,
                    "availabilitySource": cache.source,
                    "slotsUtc": cache.slots,
                    "fetchedAt": cache.fetched,
                    "rangeStart": cache.fetched,
                    "rangeEnd": RANGE_END,
                    "updatedAt": cache.fetched,
                }
            )
    return tables
