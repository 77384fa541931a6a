"""Baseline (3): the app's old way, a Python loop over workspaces counting in memory.

Each workspace's caches are loaded, their slotsUtc JSON decoded and every entry parsed
in Python; its confirmed appointments in the window are attributed in Python. The rows
come from server-side cursors read with ``fetchmany`` and merged by workspace id (every
query is ordered by it), so memory holds one workspace at a time, never all the slots.
The parsing and normalisation rules are the models' (see :mod:`capacity.bench.floor`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from capacity.bench.figures import FigureRow, Figures
from capacity.bench.progress import Progress
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


def count_cache(slots_json: str | None) -> tuple[int, int]:
    """One cache's distinct valid instants inside the window, and its quarantined
    entries (every element that is not a valid timestamp; a slotsUtc that is not an
    array is one)."""
    if slots_json is None:
        return 0, 0
    entries = json.loads(slots_json)
    if not isinstance(entries, list):
        return 0, 1
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


def figures_for(
    caches: dict[str, str | None], booked: dict[str | None, int], shares: bool
) -> FigureRow:
    """One workspace's figures from its caches (source -> JSON), its bookings per source,
    and whether DIRECT_BOOK is DEFAULT's calendar again (then it has no % of its own,
    and counts in the combined figure only where DEFAULT cannot)."""
    has_default, has_direct = "DEFAULT" in caches, "DIRECT_BOOK" in caches
    default_booked, direct_booked = booked.get("DEFAULT", 0), booked.get("DIRECT_BOOK", 0)
    default_available, default_invalid = (
        count_cache(caches["DEFAULT"]) if has_default else (None, 0)
    )
    direct_available, direct_invalid = (
        count_cache(caches["DIRECT_BOOK"]) if has_direct else (None, 0)
    )

    def figures(
        source_booked: int, available: int | None, own_pct: bool = True
    ) -> tuple[int, int | None, int | None, float | None]:
        total = None if available is None else source_booked + available
        pct = 100 * source_booked / total if total and own_pct else None
        return source_booked, available, total, pct

    if has_default or has_direct:
        in_booked = (default_booked if has_default or (has_direct and shares) else 0) + (
            direct_booked if has_direct and not shares else 0
        )
        in_available = (default_available or 0) + (
            direct_available or 0 if has_direct and not (shares and has_default) else 0
        )
        combined = figures(in_booked, in_available)
    else:
        combined = (None, None, None, None)
    return (
        *combined,
        *figures(default_booked, default_available),
        *figures(direct_booked, direct_available, own_pct=not shares),
        booked.get(None, 0),
        default_invalid,
        direct_invalid,
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
        settings = (
            (
                normalize_id(settings_rows[0][1]),
                normalize_id(settings_rows[0][2]),
                normalize_uri(settings_rows[0][3]),
                normalize_uri(settings_rows[0][4]),
            )
            if settings_rows
            else None
        )
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
        shares = settings is not None and (
            (settings[1] is not None and settings[1] == settings[0])
            or (settings[3] is not None and settings[3] == settings[2])
        )
        figures[workspace_id] = figures_for(caches, booked, shares)
        progress.advance(1)
    return figures
