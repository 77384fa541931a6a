"""Seeded SPEC §2 data for N workspaces, generated one batch of workspaces at a time.

Each workspace draws from its own RNG, seeded by (seed, workspace index), so a
workspace's rows do not depend on the batch size or on the other workspaces, and
only one batch is ever in memory (10,000 workspaces are ~20 million slot entries).

The data is shaped like production, including what SPEC §3 says goes wrong:

- workspaces on GoHighLevel (most) or Calendly, settings with whitespace around ids,
  blank ids, Calendly URIs with a trailing slash or an upper-case host, one calendar
  configured for both sources, no settings at all;
- two caches (DEFAULT, DIRECT_BOOK) per workspace when configured, sometimes missing,
  stale, with lastError, short of the window, JSON null, an object, a scalar, an
  empty array, a source written in another case or an unknown source; sometimes a
  cache for a source no calendar is configured for;
- 8 to 40 slots a day over 45 days, mostly ``...T15:00:00.000Z`` but also without
  milliseconds or in a local offset (``-05:00``, ``+0530``, ``+01``), repeated
  (also across formats), out of order, and a small share of bad entries: JSON null,
  numbers, garbage strings, impossible dates, no offset, offsets beyond ±14:00;
- leads, and appointments with mixed statuses (and case/whitespace variants), some
  without startAt, attributed to the default or direct calendar, missing, blank,
  padded, another workspace's calendar, or the other provider's identifier.

The first workspaces of every run (EDGE_CASES) have their calendars and caches fixed
rather than drawn: each SPEC §5 state the models tell apart is met at any scale, so
that the 100-workspace equality run checks every rule (a share drawn at random may
miss a state at that scale). Everything else about them is drawn as usual.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from capacity.bench.scenario import AS_OF

CACHE_DAYS = 45
SHORT_CACHE_DAYS = 10
SLOTS_PER_DAY = (8, 40)
# Slots start on the quarter hour from 08:00 UTC: 40 candidates a day.
QUARTERS = tuple(range(40))
QUARTER_TEXT = tuple(f"{8 + q // 4:02d}:{(q % 4) * 15:02d}" for q in QUARTERS)
LEADS_PER_WORKSPACE = (50, 150)
APPOINTMENTS_PER_WORKSPACE = (100, 300)

# Local offsets a cache may be written in (minutes east of UTC, and how it is spelled).
OFFSET_STYLES: tuple[tuple[int, str], ...] = (
    (-300, "-05:00"),
    (-480, "-0800"),
    (330, "+05:30"),
    (60, "+01"),
    (0, "+00:00"),
)
BAD_ENTRIES: tuple[str, ...] = (
    "null",
    "1772470800",
    "12.5",
    "true",
    '"not-a-date"',
    '"TBD"',
    '"2026-02-30T10:00:00Z"',
    '"2026-13-01T10:00:00Z"',
    '"2026-03-10T24:00:00Z"',
    '"2026-03-10T10:60:00Z"',
    '"2026-03-10T10:00:00"',
    '"2026-03-10T10:00:00+15:00"',
    '"2026-3-10T10:00:00Z"',
    '""',
    '{"start": "2026-03-10T10:00:00Z"}',
    '["2026-03-10T10:00:00Z"]',
)
# A cache's slotsUtc by a uniform roll: below each bound, that JSON value (SPEC §5's
# unreadable kinds: JSON null, an object, scalars; then the readable empty array),
# else drawn slots.
DRAWN_SLOTS = "drawn"
SLOTS_BY_ROLL: tuple[tuple[float, str], ...] = (
    (0.01, "null"),
    (0.015, '{"error": "not an array"}'),
    (0.0175, "42"),
    (0.02, '"2026-03-02T10:00:00.000Z"'),
    (0.03, "[]"),
)
BLANK_IDENTIFIER = "   "  # counts as missing


# Which sources have a calendar configured: no settings row, a row without any
# identifier, DEFAULT only, DIRECT_BOOK only, one each, or one calendar for both.
Calendars = Literal["no_row", "blank", "default", "direct", "both", "shared"]


@dataclass(frozen=True)
class EdgeCase:
    """A workspace's SPEC §5 state, fixed: its calendars and each source's cache
    (a slotsUtc JSON value, DRAWN_SLOTS for drawn slots, None for no cache row)."""

    calendars: Calendars
    default_slots: str | None
    direct_slots: str | None

    def slots(self, source: str) -> str | None:
        """The source's slotsUtc; None (no cache row) for a source outside SPEC's two."""
        return {"DEFAULT": self.default_slots, "DIRECT_BOOK": self.direct_slots}.get(source)


# Workspace n (from 0) of every run is EDGE_CASES[n]; the §5 state each one is for.
EDGE_CASES: tuple[EdgeCase, ...] = (
    # a cache no calendar stands behind: not_configured, out of the combined figure
    EdgeCase("default", DRAWN_SLOTS, DRAWN_SLOTS),
    EdgeCase("direct", DRAWN_SLOTS, DRAWN_SLOTS),
    # no configured calendar: no combined figure (no_configured_calendar), caches or not
    EdgeCase("no_row", DRAWN_SLOTS, '{"error": "not an array"}'),
    EdgeCase("blank", "[]", None),
    EdgeCase("no_row", None, None),
    # unreadable caches of every kind, beside a readable one or not
    EdgeCase("both", "null", DRAWN_SLOTS),
    EdgeCase("both", DRAWN_SLOTS, '{"slots": ["2026-03-03T15:00:00.000Z"]}'),
    EdgeCase("both", "42", "true"),
    EdgeCase("default", '"2026-03-03T15:00:00.000Z"', None),
    EdgeCase("both", None, "null"),
    # configured without a cache row, the other source fine
    EdgeCase("both", DRAWN_SLOTS, None),
    # one calendar for both sources: counted once whichever cache gives its free slots
    EdgeCase("shared", DRAWN_SLOTS, DRAWN_SLOTS),
    EdgeCase("shared", "null", DRAWN_SLOTS),
    EdgeCase("shared", None, DRAWN_SLOTS),
    EdgeCase("shared", DRAWN_SLOTS, "[]"),
    EdgeCase("shared", "[]", '"not an array"'),
)

STATUSES: tuple[tuple[str, float], ...] = (
    ("CONFIRMED", 0.55),
    (" confirmed", 0.03),
    ("Confirmed ", 0.02),
    ("CANCELED", 0.14),
    ("RESCHEDULED", 0.10),
    ("NO_SHOW", 0.05),
    ("COMPLETED", 0.10),
    ("no_show", 0.005),
    ("PENDING", 0.005),
)
_STATUS_VALUES = tuple(status for status, _ in STATUSES)
_STATUS_WEIGHTS = tuple(weight for _, weight in STATUSES)

# Column order of each table, as in capacity.app_tables (COPY names them explicitly).
COLUMNS: dict[str, tuple[str, ...]] = {
    "Client": ("id", "name", "createdAt"),
    "WorkspaceSettings": (
        "id",
        "clientId",
        "meetingBookingProvider",
        "ghlDefaultCalendarId",
        "ghlDirectBookCalendarId",
        "calendlyEventTypeUri",
        "calendlyDirectBookEventTypeUri",
        "ghlPrivateIntegrationToken",
        "calendlyAccessToken",
    ),
    "Lead": ("id", "clientId", "createdAt"),
    "Appointment": (
        "id",
        "leadId",
        "provider",
        "status",
        "startAt",
        "endAt",
        "ghlAppointmentId",
        "calendlyScheduledEventUri",
        "ghlCalendarId",
        "calendlyEventTypeUri",
        "createdAt",
        "updatedAt",
    ),
    "WorkspaceAvailabilityCache": (
        "id",
        "clientId",
        "availabilitySource",
        "slotsUtc",
        "fetchedAt",
        "rangeStart",
        "rangeEnd",
        "lastError",
        "updatedAt",
    ),
}
# Foreign keys need this order within a batch.
TABLE_ORDER: tuple[str, ...] = (
    "Client",
    "WorkspaceSettings",
    "Lead",
    "Appointment",
    "WorkspaceAvailabilityCache",
)

Value = str | int | None
Row = tuple[Value, ...]


@dataclass
class Batch:
    """The rows of a run of consecutive workspaces, per table, in ``COLUMNS`` order.

    Timestamps are already text (``YYYY-MM-DD HH:MM:SS.fff``) and slotsUtc is JSON
    text: the loaders only have to frame them.
    """

    first_workspace: int
    workspaces: int
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})
    slot_entries: int = 0  # elements of the slotsUtc arrays, the benchmark's "rows"


def ts(value: datetime) -> str:
    """A naive UTC datetime as the app stores it: timestamp(3) text."""
    return value.isoformat(sep=" ", timespec="milliseconds")


def workspace_id(index: int) -> str:
    return f"ws_{index:06d}"


def _ghl_ids(index: int) -> tuple[str, str]:
    return f"cal_{index:06d}_main", f"cal_{index:06d}_direct"


def _calendly_uris(index: int) -> tuple[str, str]:
    base = "https://api.calendly.com/event_types/W"
    return f"{base}{index:06d}-INTRO", f"{base}{index:06d}-DIRECT"


def _spelled(rng: random.Random, identifier: str, calendly: bool) -> str:
    """An identifier as the app may have stored it: padded, or a URI re-cased/slashed."""
    roll = rng.random()
    if roll < 0.05:
        return f"  {identifier} "
    if calendly and roll < 0.12:
        return identifier + "/"
    if calendly and roll < 0.16:
        return identifier.replace("https://api.calendly.com", "HTTPS://API.Calendly.com")
    return identifier


@dataclass(frozen=True)
class _Workspace:
    index: int
    provider: str  # GHL or CALENDLY: the identifiers its appointments carry
    default_id: str | None  # the configured identifiers, canonical spelling
    direct_id: str | None


def _configured(rng: random.Random, calendars: Calendars | None) -> Calendars:
    """The calendars of a workspace: its edge case's, or drawn."""
    roll = rng.random()
    if calendars is not None:
        return calendars
    if roll < 0.02:
        return "no_row"
    if roll < 0.07:
        return "shared"
    return "both" if roll < 0.95 else "default"


def _settings(rng: random.Random, index: int, batch: Batch, edge: EdgeCase | None) -> _Workspace:
    wid = workspace_id(index)
    provider = "CALENDLY" if rng.random() < 0.3 else "GHL"
    calendly = provider == "CALENDLY"
    default_id, direct_id = _calendly_uris(index) if calendly else _ghl_ids(index)
    calendars = _configured(rng, edge.calendars if edge else None)
    if calendars == "no_row":
        return _Workspace(index, provider, None, None)
    configured_default = default_id if calendars in ("default", "both", "shared") else None
    # shared: one calendar for both sources, its bookings DEFAULT's
    configured_direct = {"direct": direct_id, "both": direct_id, "shared": default_id}.get(
        calendars
    )
    stored_default = (
        _spelled(rng, configured_default, calendly) if configured_default else BLANK_IDENTIFIER
    )
    stored_direct = _spelled(rng, configured_direct, calendly) if configured_direct else None
    if configured_direct is None and rng.random() < 0.2:
        stored_direct = BLANK_IDENTIFIER
    stored_provider = None if rng.random() < 0.05 else provider
    if calendly:
        ghl: tuple[Value, Value] = (None, None)
        cal: tuple[Value, Value] = (stored_default, stored_direct)
    else:
        ghl, cal = (stored_default, stored_direct), (None, None)
    batch.rows["WorkspaceSettings"].append(
        (f"set_{index:06d}", wid, stored_provider, *ghl, *cal, "bench-fake-token", None)
    )
    return _Workspace(index, provider, configured_default, configured_direct)


def _slot_tokens(rng: random.Random, first_day: date, days: int) -> list[str]:
    """The JSON tokens of one cache's slots: good ones in mixed spellings, repeats, bad ones."""
    offset_minutes, offset_suffix = rng.choice(OFFSET_STYLES)
    offset = timedelta(minutes=offset_minutes)
    local_share = rng.choice((0.0, 0.02, 0.1, 0.5))
    tokens: list[str] = []
    append = tokens.append
    randint, sample, rand = rng.randint, rng.sample, rng.random
    for day_number in range(days):
        day = first_day + timedelta(days=day_number)
        prefix = '"' + day.isoformat() + "T"
        for quarter in sorted(sample(QUARTERS, randint(*SLOTS_PER_DAY))):
            roll = rand()
            if roll >= local_share + 0.05:
                append(prefix + QUARTER_TEXT[quarter] + ':00.000Z"')
            elif roll >= local_share:
                append(prefix + QUARTER_TEXT[quarter] + ':00Z"')
            else:
                start = datetime(day.year, day.month, day.day, 8) + timedelta(minutes=15 * quarter)
                append('"' + (start + offset).strftime("%Y-%m-%dT%H:%M:%S") + offset_suffix + '"')
    if tokens and rng.random() < 0.15:  # the cache repeats some slots
        for _ in range(rng.randint(1, 20)):
            repeated = rng.choice(tokens)
            if rng.random() < 0.5 and repeated.endswith('.000Z"'):
                repeated = repeated[:-6] + 'Z"'  # the same instant, spelled differently
            tokens.insert(rng.randrange(len(tokens) + 1), repeated)
    if rng.random() < 0.2:  # bad entries
        for _ in range(rng.randint(1, 6)):
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(BAD_ENTRIES))
    if rng.random() < 0.1:
        rng.shuffle(tokens)
    return tokens


def _caches(rng: random.Random, ws: _Workspace, batch: Batch, edge: EdgeCase | None) -> None:
    wid = workspace_id(ws.index)
    rows = batch.rows["WorkspaceAvailabilityCache"]
    sources = [("DEFAULT", ws.default_id), ("DIRECT_BOOK", ws.direct_id)]
    if rng.random() < 0.01:
        sources.append(("ROUND_ROBIN", None))  # an unknown source: a warning, not a figure
    for source, configured in sources:
        present = rng.random() < (0.98 if configured else 0.15)
        if not (edge.slots(source) is not None if edge else present):
            continue
        label = source
        if rng.random() < 0.02:
            label = " " + source.lower()  # normalised by staging
        fetched: datetime | None = AS_OF - timedelta(minutes=rng.randint(1, 150))
        range_start = fetched if fetched else AS_OF - timedelta(hours=1)
        if rng.random() < 0.03:
            fetched = None
        days = SHORT_CACHE_DAYS if rng.random() < 0.05 else CACHE_DAYS
        range_end = range_start + timedelta(days=days)
        error = "429 Too Many Requests" if rng.random() < 0.03 else None
        kind = rng.random()
        slots = next((value for bound, value in SLOTS_BY_ROLL if kind < bound), DRAWN_SLOTS)
        slots = (edge.slots(source) if edge else None) or slots
        if slots == DRAWN_SLOTS:
            tokens = _slot_tokens(rng, range_start.date(), days)
            batch.slot_entries += len(tokens)
            slots = "[" + ", ".join(tokens) + "]"
        updated = fetched or range_start
        rows.append(
            (
                f"cache_{ws.index:06d}_{source.lower()}",
                wid,
                label,
                slots,
                ts(fetched) if fetched else None,
                ts(range_start),
                ts(range_end),
                error,
                ts(updated),
            )
        )


def _appointment_identifier(rng: random.Random, ws: _Workspace, provider: str) -> str | None:
    """The attribution identifier an appointment carries, in the app's many spellings."""
    calendly = provider == "CALENDLY"
    own_default, own_direct = _calendly_uris(ws.index) if calendly else _ghl_ids(ws.index)
    roll = rng.random()
    if roll < 0.08:
        return None  # never written: pending the backfill
    if roll < 0.10:
        return "  "
    if roll < 0.13:
        other = rng.randrange(1_000_000)
        return (_calendly_uris(other) if calendly else _ghl_ids(other))[0]
    identifier = own_direct if roll < 0.33 else own_default
    return _spelled(rng, identifier, calendly)


def _leads_and_appointments(rng: random.Random, ws: _Workspace, batch: Batch) -> None:
    wid = workspace_id(ws.index)
    lead_ids = [f"lead_{ws.index:06d}_{n:04d}" for n in range(rng.randint(*LEADS_PER_WORKSPACE))]
    created = ts(AS_OF - timedelta(days=60))
    batch.rows["Lead"].extend((lead_id, wid, created) for lead_id in lead_ids)
    appointments = batch.rows["Appointment"]
    count = rng.randint(*APPOINTMENTS_PER_WORKSPACE)
    statuses = rng.choices(_STATUS_VALUES, weights=_STATUS_WEIGHTS, k=count)
    for number, status in enumerate(statuses):
        provider = ws.provider
        if rng.random() < 0.02:
            provider = "GHL" if provider == "CALENDLY" else "CALENDLY"
        stored_provider = provider if rng.random() < 0.97 else " " + provider.lower()
        start: datetime | None = AS_OF + timedelta(minutes=15 * rng.randint(-1_440, 4_320))
        if rng.random() < 0.005:
            start = None
        identifier = _appointment_identifier(rng, ws, provider)
        is_calendly = provider == "CALENDLY"
        reference = f"{ws.index:06d}_{number:05d}"
        appointments.append(
            (
                f"appt_{reference}",
                rng.choice(lead_ids),
                stored_provider,
                status,
                ts(start) if start else None,
                ts(start + timedelta(minutes=30)) if start else None,
                None if is_calendly else f"ghl_evt_{reference}",
                f"https://api.calendly.com/scheduled_events/E{reference}" if is_calendly else None,
                None if is_calendly else identifier,
                identifier if is_calendly else None,
                created,
                created,
            )
        )


def generate_workspace(seed: int, index: int, batch: Batch) -> None:
    """Append one workspace's rows (all five tables) to the batch."""
    rng = random.Random(f"capacity-bench:{seed}:{index}")
    wid = workspace_id(index)
    created = AS_OF - timedelta(days=rng.randint(30, 900))
    batch.rows["Client"].append((wid, f"Workspace {index:06d}", ts(created)))
    edge = EDGE_CASES[index] if index < len(EDGE_CASES) else None
    ws = _settings(rng, index, batch, edge)
    _caches(rng, ws, batch, edge)
    _leads_and_appointments(rng, ws, batch)


def generate_batches(workspaces: int, *, seed: int, batch_size: int = 200) -> Iterator[Batch]:
    """Yield the data of ``workspaces`` workspaces, ``batch_size`` workspaces at a time."""
    for first in range(0, workspaces, batch_size):
        batch = Batch(first_workspace=first, workspaces=min(batch_size, workspaces - first))
        for index in range(first, first + batch.workspaces):
            generate_workspace(seed, index, batch)
        yield batch
