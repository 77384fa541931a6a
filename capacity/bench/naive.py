"""Baseline (3): the app's old way, a Python loop over workspaces counting in memory.

Each workspace's caches are loaded, their slotsUtc JSON decoded and every entry parsed
in Python; its confirmed appointments in the window are attributed in Python. The rows
come from server-side cursors read with ``fetchmany`` and merged by workspace id (every
query is ordered by it), so memory holds one workspace at a time, never all the slots.
The parsing and normalisation rules are the models' (see :mod:`capacity.bench.floor`),
and so are the figures: SPEC §5, where a source enters the combined figure only when
it is configured and its cache readable (:class:`Source`, :func:`combined_figures`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from capacity.bench.figures import FigureRow, Figures
from capacity.bench.log import Progress
from capacity.bench.scenario import WINDOW_END, WINDOW_START

FETCH_ROWS = 2_000
SOURCES = ("DEFAULT", "DIRECT_BOOK")

_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)"
)
_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]*")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_TOO_EARLY = datetime.min  # an instant the window can never contain


def parse_slot(text: object) -> datetime | None:
    """An ISO-8601 timestamp with an offset as naive UTC; None unless valid (macro rules).

    Offsets are found where the SQL macro finds them: ``+HH:MM``, ``+HHMM`` or ``+HH``
    at the end; sub-second digits are dropped.
    """
    if not isinstance(text, str) or _SHAPE.fullmatch(text) is None:
        return None
    n = len(text)
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hour, minute = int(text[11:13]), int(text[14:16])
    second = int(text[17:19]) if text[16] == ":" else 0
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = 29 if month == 2 and leap else _DAYS[month - 1] if 1 <= month <= 12 else 0
    if year < 1 or not 1 <= day <= days or hour > 23 or minute > 59 or second > 59:
        return None
    offset = 0
    if text[-1] not in "Zz":
        if text[n - 3] == ":":
            sign_at = n - 6
        elif text[n - 5] in "+-":
            sign_at = n - 5
        else:
            sign_at = n - 3
        offset_hours = int(text[sign_at + 1 : sign_at + 3])
        offset_minutes = 0 if sign_at == n - 3 else int(text[n - 2 :])
        if offset_minutes > 59 or (offset_hours, offset_minutes) > (14, 0):
            return None
        offset = (-1 if text[sign_at] == "-" else 1) * (offset_hours * 60 + offset_minutes)
    try:
        return datetime(year, month, day, hour, minute, second) - timedelta(minutes=offset)
    except OverflowError:
        return _TOO_EARLY  # valid, but before year 1 in UTC: never in the window


def normalize_id(value: str | None) -> str | None:
    """SQL ``nullif(trim(x), '')`` (trim removes spaces only)."""
    if value is None:
        return None
    return value.strip(" ") or None


def normalize_uri(value: str | None) -> str | None:
    """Calendly URI: trimmed, no trailing slash, lower-case scheme and host."""
    trimmed = normalize_id(value)
    if trimmed is None:
        return None
    trimmed = trimmed.rstrip("/")
    match = _AUTHORITY.match(trimmed)
    if match:
        trimmed = match.group(0).lower() + trimmed[match.end() :]
    return trimmed or None


def count_cache(slots_json: str | None) -> tuple[int | None, int]:
    """One cache's distinct valid instants inside the window (None when the cache is
    unreadable, SPEC §5: its free slots are unknown), and its quarantined entries
    (every element that is not a valid timestamp; a whole slotsUtc that is not an
    array, a SQL NULL or text that is not JSON is one)."""
    try:
        entries = None if slots_json is None else json.loads(slots_json)
    except json.JSONDecodeError:
        entries = None
    if not isinstance(entries, list):
        return None, 1
    instants = set()
    invalid = 0
    for entry in entries:
        instant = parse_slot(entry)
        if instant is None:
            invalid += 1
        elif WINDOW_START <= instant < WINDOW_END:
            instants.add(instant)
    return len(instants), invalid


def attribute(
    provider: str | None,
    ghl_calendar_id: str | None,
    calendly_uri: str | None,
    settings: Sequence[str | None] | None,
) -> str | None:
    """DEFAULT, DIRECT_BOOK or None (unattributed) for one confirmed appointment."""
    provider = (provider or "").strip(" ").upper()
    if provider == "GHL":
        identifier = normalize_id(ghl_calendar_id)
        configured = (settings[0], settings[1]) if settings else (None, None)
    elif provider == "CALENDLY":
        identifier = normalize_uri(calendly_uri)
        configured = (settings[2], settings[3]) if settings else (None, None)
    else:
        return None
    if identifier is None:
        return None
    if identifier == configured[0]:
        return "DEFAULT"
    if identifier == configured[1]:
        return "DIRECT_BOOK"
    return None


# A workspace's normalised calendar identifiers: GHL default, GHL direct, Calendly
# default, Calendly direct (None for each without a settings row).
Settings = tuple[str | None, str | None, str | None, str | None]
SourceFigureRow = tuple[int, int | None, int | None, float | None]
CombinedFigureRow = tuple[int | None, int | None, int | None, float | None]


def normalized_settings(row: Sequence[str | None]) -> Settings:
    """The four configured identifiers of a WorkspaceSettings row, normalised."""
    ghl_default, ghl_direct, calendly_default, calendly_direct = row
    return (
        normalize_id(ghl_default),
        normalize_id(ghl_direct),
        normalize_uri(calendly_default),
        normalize_uri(calendly_direct),
    )


@dataclass(frozen=True)
class Source:
    """One availability source of one workspace, as int_workspace_sources sees it."""

    configured: bool  # an identifier for it, of either provider
    has_cache: bool
    available: int | None  # the cache's in-window free slots; None unless it is readable
    invalid: int  # quarantined entries of its cache
    booked: int  # confirmed appointments attributed to it
    shares: bool = False  # a DIRECT_BOOK that is DEFAULT's calendar again

    @property
    def readable(self) -> bool:
        return self.available is not None

    @property
    def usable(self) -> bool:
        """Configured with a readable cache: what a source needs to be in a combined
        figure (SPEC §5)."""
        return self.configured and self.readable

    @property
    def null_reason(self) -> str | None:
        """Why it has no % of its own whatever its counts (the models' order)."""
        if not self.has_cache:
            return "no_cache_row"
        if not self.readable:
            return "cache_unreadable"
        if not self.configured:
            return "not_configured"
        if self.shares:
            return "shares_default_calendar"
        return None

    def figures(self) -> SourceFigureRow:
        total = None if self.available is None else self.booked + self.available
        pct = 100 * self.booked / total if total and self.null_reason is None else None
        return self.booked, self.available, total, pct


def sources_of(
    settings: Settings | None,
    caches: Mapping[str, str | None],
    booked: Mapping[str | None, int],
) -> tuple[Source, Source]:
    """DEFAULT and DIRECT_BOOK of one workspace from its normalised settings, its caches
    (source -> slotsUtc JSON) and its bookings per source."""
    ghl_default, ghl_direct, calendly_default, calendly_direct = settings or (None,) * 4
    shares = (ghl_direct is not None and ghl_direct == ghl_default) or (
        calendly_direct is not None and calendly_direct == calendly_default
    )

    def source(name: str, identifiers: tuple[str | None, str | None], shares: bool) -> Source:
        has_cache = name in caches
        available, invalid = count_cache(caches[name]) if has_cache else (None, 0)
        configured = any(identifier is not None for identifier in identifiers)
        return Source(configured, has_cache, available, invalid, booked.get(name, 0), shares)

    return (
        source("DEFAULT", (ghl_default, calendly_default), False),
        source("DIRECT_BOOK", (ghl_direct, calendly_direct), shares),
    )


def direct_book_enters(default: Source, direct: Source) -> bool:
    """DIRECT_BOOK's free slots enter the combined figure: usable, and not DEFAULT's
    calendar again when DEFAULT's own cache already gives them (counted once)."""
    return direct.usable and not (direct.shares and default.usable)


def combined_figures(default: Source, direct: Source) -> CombinedFigureRow:
    """The workspace's combined booked, available, total and % (SPEC §5)."""
    direct_enters = direct_book_enters(default, direct)
    if not (default.usable or direct_enters):
        return None, None, None, None
    # A shared calendar's bookings are DEFAULT's; they enter with its free slots, from
    # DEFAULT's cache or, when that one cannot be read, from DIRECT_BOOK's.
    default_bookings_enter = default.usable or (direct.shares and direct.usable)
    direct_bookings_enter = direct.usable and not direct.shares
    booked = (default.booked if default_bookings_enter else 0) + (
        direct.booked if direct_bookings_enter else 0
    )
    available = ((default.available or 0) if default.usable else 0) + (
        (direct.available or 0) if direct_enters else 0
    )
    total = booked + available
    return booked, available, total, 100 * booked / total if total else None


def combined_null_reason(default: Source, direct: Source) -> str | None:
    """Why the workspace has no combined %, as the mart says it."""
    if default.usable or direct_book_enters(default, direct):
        total = combined_figures(default, direct)[2]
        return "no_slots_in_window" if total == 0 else None
    if not (default.configured or direct.configured):
        return "no_configured_calendar"
    if any(source.configured and not source.has_cache for source in (default, direct)):
        return "no_cache_row"
    return "cache_unreadable"


def figures_for(
    settings: Settings | None,
    caches: Mapping[str, str | None],
    booked: Mapping[str | None, int],
) -> FigureRow:
    """One workspace's figures (FIGURE_COLUMNS) from its normalised settings, its caches
    (source -> slotsUtc JSON) and its bookings per source (None: unattributed)."""
    default, direct = sources_of(settings, caches, booked)
    return (
        *combined_figures(default, direct),
        *default.figures(),
        *direct.figures(),
        booked.get(None, 0),
        default.invalid,
        direct.invalid,
    )


class _Stream:
    """Rows of an ordered query, grouped by their first column on demand."""

    def __init__(self, rows: Iterator[Sequence[Any]]) -> None:
        self.rows = rows
        self.head: Sequence[Any] | None = next(rows, None)

    def take(self, key: str) -> list[Sequence[Any]]:
        taken = []
        while self.head is not None and self.head[0] <= key:
            if self.head[0] == key:
                taken.append(self.head)
            self.head = next(self.rows, None)
        return taken


def _fetch(connection: Any, engine: str, name: str, sql: str) -> Iterator[Sequence[Any]]:
    """Stream a query: a server-side cursor on PostgreSQL, fetchmany chunks on DuckDB."""
    if engine == "postgres":
        cursor = connection.cursor(name=name)
        cursor.itersize = FETCH_ROWS
        cursor.execute(sql)
    else:
        cursor = connection.cursor()
        cursor.execute(sql)
    try:
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield from rows
    finally:
        cursor.close()


def naive_figures(connection: Any, engine: str, app_schema: str, workspaces: int) -> Figures:
    """Loop over the workspaces as the app did, reading each one's rows from the streams."""
    app = f'"{app_schema}"'
    order = ' collate "C"' if engine == "postgres" else ""
    json_text = "::text" if engine == "postgres" else ""
    window = f"timestamp '{WINDOW_START}' and \"startAt\" < timestamp '{WINDOW_END}'"
    queries = {
        "clients": f'select id from {app}."Client" order by id{order}',
        "settings": f"""select "clientId", "ghlDefaultCalendarId", "ghlDirectBookCalendarId",
            "calendlyEventTypeUri", "calendlyDirectBookEventTypeUri"
            from {app}."WorkspaceSettings" order by "clientId"{order}""",
        "caches": f"""select "clientId", "availabilitySource", "slotsUtc"{json_text}
            from {app}."WorkspaceAvailabilityCache" order by "clientId"{order}""",
        "appointments": f"""select leads."clientId", a."provider", a."status",
            a."ghlCalendarId", a."calendlyEventTypeUri"
            from {app}."Appointment" as a inner join {app}."Lead" as leads on leads.id = a."leadId"
            where a."startAt" >= {window}
            order by leads."clientId"{order}""",
    }
    streams = {
        name: _Stream(_fetch(connection, engine, f"naive_{name}", sql))
        for name, sql in queries.items()
        if name != "clients"
    }
    figures: Figures = {}
    progress = Progress(f"naive {engine}", workspaces, "workspaces", interval=10.0)
    for (workspace_id,) in _fetch(connection, engine, "naive_clients", queries["clients"]):
        settings_rows = streams["settings"].take(workspace_id)
        settings = normalized_settings(settings_rows[0][1:]) if settings_rows else None
        caches: dict[str, str | None] = {}
        for _, source, slots in streams["caches"].take(workspace_id):
            source = source.strip(" ").upper()
            if source in caches:
                # the models fail a data test on it; a loop must not keep either one
                raise ValueError(f"{workspace_id}: two caches for the source {source}")
            if source in SOURCES:
                caches[source] = slots
        booked: dict[str | None, int] = {}
        for _, provider, status, ghl_id, calendly_uri in streams["appointments"].take(workspace_id):
            if status.strip(" ").upper() != "CONFIRMED":
                continue
            source_of = attribute(provider, ghl_id, calendly_uri, settings)
            booked[source_of] = booked.get(source_of, 0) + 1
        figures[workspace_id] = figures_for(settings, caches, booked)
        progress.advance(1)
    return figures
