"""Baseline (2): one hand-written query per engine computing the mart's figures directly.

It is the practical floor for the engine: no dbt, no intermediate relations, each
engine's fastest spelling, but the same rules as the models, so that it gives the
same figures (the runner checks it does):

- slots: every ``slotsUtc`` element; valid when it is an ISO-8601 timestamp with an
  offset (``YYYY-MM-DD[Tt ]HH:MM[:SS[.f]]`` then ``Z`` or ``±HH[[:]MM]``, a real date,
  hour ≤ 23, minute and second ≤ 59, an offset of at most ±14:00), converted
  to UTC with sub-second digits dropped; counted once per instant per cache (a cache
  is one workspace and source) when it falls in ``[as_of, as_of + 30 days)``;
- caches: source trimmed and upper-cased, DEFAULT and DIRECT_BOOK only; a cache is
  readable when its slotsUtc is a JSON array (``[]`` included), one type check per
  cache row; an unreadable one has no slots (but the cache row still exists);
- bookings: status trimmed/upper-cased = CONFIRMED, ``startAt`` in the window, the
  lead's workspace; the provider's identifier (GHL calendar id / Calendly event type
  URI, trimmed, blank = missing, Calendly without trailing ``/`` and with a lower-case
  scheme and host) against that provider's configured calendars, DEFAULT first;
  the rest are unattributed;
- figures: SPEC §5 (see :func:`_figures_sql`): a source's available/total are NULL
  unless its cache is readable, its % NULL unless it is also configured and not
  DEFAULT's calendar again; the combined figure sums only the configured sources with
  a readable cache, each calendar once, and is NULL when none does;
- quarantine: per source, the entries that are not valid timestamps (JSON null,
  non-strings, garbage), and one for a slotsUtc that is not an array, as the mart's
  ``*_invalid_slot_entries`` columns count them.

The trick that makes both this query and the models fast: slot strings repeat across
caches (the same quarter hours), so each distinct string is parsed once and the
entries are matched to the parsed ones by a hash join.
"""

from __future__ import annotations

from capacity.bench.scenario import WINDOW_END, WINDOW_START

ISO8601_SHAPE = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
    "([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$"
)
# Capture groups: year, month, day, hour, minute, [second], then Z or sign/hours/[minutes].
ISO8601_GROUPS = (
    "^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.][0-9]+)?)?"
    "(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2})?)$"
)
URI_AUTHORITY = "^([A-Za-z][A-Za-z0-9+.-]*://[^/]*)"
URI_PATH = "^[A-Za-z][A-Za-z0-9+.-]*://[^/]*(/.*)$"

FIGURE_COLUMNS = (
    "booked_slots",
    "available_slots",
    "total_slots",
    "booked_pct",
    "default_booked_slots",
    "default_available_slots",
    "default_total_slots",
    "default_booked_pct",
    "direct_book_booked_slots",
    "direct_book_available_slots",
    "direct_book_total_slots",
    "direct_book_booked_pct",
    "unattributed_booked_slots",
    "default_invalid_slot_entries",
    "direct_book_invalid_slot_entries",
)


def _literal(value: object) -> str:
    return f"timestamp '{value}'"


def _figures_sql() -> str:
    """The figures from per-workspace counts (engine-neutral SQL), SPEC §5.

    A source is *usable* when it is configured and its cache readable; only usable
    sources enter the combined figure. A DIRECT_BOOK that is DEFAULT's calendar again
    (``shares``) has no % of its own; its bookings are DEFAULT's, and its free slots
    count only when DEFAULT's own cache cannot give them, in which case DEFAULT's
    bookings enter with them: no calendar is counted twice, none half.
    """
    double = "cast(100 as double precision)"

    def source_figures(prefix: str, has_own_pct: str) -> str:
        booked, available = f"{prefix}_booked", f"{prefix}_available"
        return f"""
    {booked} as {prefix}_booked_slots,
    case when {prefix}_readable then {available} end as {prefix}_available_slots,
    case when {prefix}_readable then {booked} + {available} end as {prefix}_total_slots,
    case when {has_own_pct} and {booked} + {available} > 0
        then {double} * {booked} / ({booked} + {available}) end as {prefix}_booked_pct,"""

    return f"""
select
    workspace_id,
    case when has_figure then in_booked end as booked_slots,
    case when has_figure then in_available end as available_slots,
    case when has_figure then in_booked + in_available end as total_slots,
    case when has_figure and in_booked + in_available > 0
        then {double} * in_booked / (in_booked + in_available) end as booked_pct,
    {source_figures("default", "default_usable").strip()}
    {source_figures("direct_book", "direct_book_usable and not shares").strip()}
    unattributed as unattributed_booked_slots,
    default_invalid as default_invalid_slot_entries,
    direct_book_invalid as direct_book_invalid_slot_entries
from (
    select
        *,
        default_usable or direct_book_enters as has_figure,
        case when default_usable or (shares and direct_book_usable)
            then default_booked else 0 end
        + case when direct_book_usable and not shares then direct_book_booked else 0 end
            as in_booked,
        case when default_usable then default_available else 0 end
        + case when direct_book_enters then direct_book_available else 0 end as in_available
    from (
        select
            *,
            direct_book_usable and not (shares and default_usable) as direct_book_enters
        from per_workspace
    ) as entering
) as counted
order by workspace_id"""


def _per_workspace_sql(available_cte: str) -> str:
    """Counts and flags per workspace from ``caches``, ``{available_cte}`` and ``booked``.

    Never NULL: a workspace without settings or a cache row has its flags false and its
    counts 0, so that the figures above need no NULL logic of their own.
    """
    return f"""
per_workspace as (
    select
        clients.id as workspace_id,
        coalesce(default_cache.readable, false) as default_readable,
        coalesce(direct_cache.readable, false) as direct_book_readable,
        coalesce(default_cache.readable, false)
        and coalesce(settings.ghl_default, settings.calendly_default) is not null
            as default_usable,
        coalesce(direct_cache.readable, false)
        and coalesce(settings.ghl_direct, settings.calendly_direct) is not null
            as direct_book_usable,
        coalesce(default_cache.available, 0) as default_available,
        coalesce(direct_cache.available, 0) as direct_book_available,
        coalesce(booked_counts.default_booked, 0) as default_booked,
        coalesce(booked_counts.direct_book_booked, 0) as direct_book_booked,
        coalesce(booked_counts.unattributed, 0) as unattributed,
        coalesce(default_cache.invalid, 0) as default_invalid,
        coalesce(direct_cache.invalid, 0) as direct_book_invalid,
        coalesce(
            settings.ghl_direct = settings.ghl_default
            or settings.calendly_direct = settings.calendly_default,
            false
        ) as shares
    from clients
    left join settings on settings.workspace_id = clients.id
    left join (
        select workspace_id, readable, available, invalid from {available_cte}
        where source = 'DEFAULT'
    ) as default_cache on default_cache.workspace_id = clients.id
    left join (
        select workspace_id, readable, available, invalid from {available_cte}
        where source = 'DIRECT_BOOK'
    ) as direct_cache on direct_cache.workspace_id = clients.id
    left join (
        select
            workspace_id,
            count(case when source = 'DEFAULT' then 1 end) as default_booked,
            count(case when source = 'DIRECT_BOOK' then 1 end) as direct_book_booked,
            count(case when source is null then 1 end) as unattributed
        from booked
        group by workspace_id
    ) as booked_counts on booked_counts.workspace_id = clients.id
)"""


def _booked_sql(app: str, normalize_uri: str) -> str:
    """Confirmed appointments in the window, attributed (engine-neutral but for the URI)."""
    window = _in_window('"startAt"')
    return f"""
settings as (
    select
        "clientId" as workspace_id,
        nullif(trim("ghlDefaultCalendarId"), '') as ghl_default,
        nullif(trim("ghlDirectBookCalendarId"), '') as ghl_direct,
        {normalize_uri.format(value='"calendlyEventTypeUri"')} as calendly_default,
        {normalize_uri.format(value='"calendlyDirectBookEventTypeUri"')} as calendly_direct
    from {app}."WorkspaceSettings"
),
confirmed as (
    select
        "leadId" as lead_id,
        upper(trim("provider")) as provider,
        case upper(trim("provider"))
            when 'GHL' then nullif(trim("ghlCalendarId"), '')
            when 'CALENDLY' then {normalize_uri.format(value='"calendlyEventTypeUri"')}
        end as identifier
    from {app}."Appointment"
    where upper(trim("status")) = 'CONFIRMED' and {window}
),
booked as (
    select
        leads."clientId" as workspace_id,
        case
            when confirmed.identifier = case confirmed.provider
                when 'GHL' then settings.ghl_default
                when 'CALENDLY' then settings.calendly_default end then 'DEFAULT'
            when confirmed.identifier = case confirmed.provider
                when 'GHL' then settings.ghl_direct
                when 'CALENDLY' then settings.calendly_direct end then 'DIRECT_BOOK'
        end as source
    from confirmed
    inner join {app}."Lead" as leads on leads.id = confirmed.lead_id
    left join settings on settings.workspace_id = leads."clientId"
)"""


def _in_window(column: str) -> str:
    return f"{column} >= {_literal(WINDOW_START)} and {column} < {_literal(WINDOW_END)}"


def _iso8601_valid(field: str) -> str:
    """The validity condition over the integer fields y, mo, d, h, mi, s, oh, om.

    ``field`` formats how a field is read (``{name}``). Shared by both engines.
    """
    y, mo, d, h, mi, s, oh, om = (
        field.format(name=name) for name in ("y", "mo", "d", "h", "mi", "s", "oh", "om")
    )
    leap = f"({y} % 4 = 0 and ({y} % 100 != 0 or {y} % 400 = 0))"
    days = (
        f"case when {mo} = 2 and {leap} then 29 when {mo} = 2 then 28 "
        f"when {mo} in (4, 6, 9, 11) then 30 else 31 end"
    )
    valid = (
        f"{y} >= 1 and {mo} between 1 and 12 and {d} between 1 and {days} "
        f"and {h} <= 23 and {mi} <= 59 and {s} <= 59 and {om} <= 59 "
        f"and ({oh} < 14 or ({oh} = 14 and {om} = 0))"
    )
    return valid


def postgres_floor_sql(app: str) -> str:
    """The hand-written mart on PostgreSQL 15 (no pg_input_is_valid: regex, then arithmetic)."""
    normalize_uri = (
        "nullif(case when substring(rtrim(nullif(trim({value}), ''), '/') from "
        f"'{URI_AUTHORITY}') is null then rtrim(nullif(trim({{value}}), ''), '/') "
        "else lower(substring(rtrim(nullif(trim({value}), ''), '/') from "
        f"'{URI_AUTHORITY}')) || coalesce(substring(rtrim(nullif(trim({{value}}), ''), '/') "
        f"from '{URI_PATH}'), '') end, '')"
    )
    valid = _iso8601_valid("f.{name}")
    in_window = _in_window("valid_texts.slot_at")
    # Regular expressions with capture groups are very slow on PostgreSQL: the shape is
    # checked with one match, then every field is read at its position, as the macro does.
    fields = ",\n                ".join(
        f"case when shaped then {expression} end as {name}"
        for name, expression in (
            ("y", "substr(text, 1, 4)::int"),
            ("mo", "substr(text, 6, 2)::int"),
            ("d", "substr(text, 9, 2)::int"),
            ("h", "substr(text, 12, 2)::int"),
            ("mi", "substr(text, 15, 2)::int"),
            ("s", "case when substr(text, 17, 1) = ':' then substr(text, 18, 2)::int else 0 end"),
            ("oh", "case when utc then 0 else substr(text, sign_at + 1, 2)::int end"),
            ("om", "case when utc or sign_at = n - 2 then 0 else substr(text, n - 1, 2)::int end"),
            ("sign", "case when substr(text, sign_at, 1) = '-' then -1 else 1 end"),
        )
    )
    return f"""
with
clients as (select id from {app}."Client"),
caches as (
    select
        "clientId" as workspace_id,
        upper(trim("availabilitySource")) as source,
        -- unnested only when an array: jsonb_array_elements_text fails on anything else
        case when jsonb_typeof("slotsUtc") = 'array' then "slotsUtc" end as slots,
        coalesce(jsonb_typeof("slotsUtc") = 'array', false) as readable
    from {app}."WorkspaceAvailabilityCache"
    where upper(trim("availabilitySource")) in ('DEFAULT', 'DIRECT_BOOK')
),
slot_texts as materialized (
    select distinct element.text
    from caches
    cross join lateral jsonb_array_elements_text(caches.slots) as element (text)
),
valid_texts as materialized (
    select text, slot_at
    from (
        select
            text,
            case when f.y is not null and {valid} then
                make_timestamp(f.y, f.mo, f.d, f.h, f.mi, f.s)
                - make_interval(mins => f.sign * (f.oh * 60 + f.om))
            end as slot_at
        from (
            select
                text,
                {fields}
            from (
                select
                    text,
                    text ~ '{ISO8601_SHAPE}' as shaped,
                    length(text) as n,
                    case
                        when substr(text, length(text) - 2, 1) = ':' then length(text) - 5
                        when substr(text, length(text) - 4, 1) in ('+', '-') then length(text) - 4
                        else length(text) - 2
                    end as sign_at,
                    right(text, 1) in ('Z', 'z') as utc
                from slot_texts
                offset 0  -- evaluate the regex once per text, not once per use
            ) as shaped
            offset 0
        ) as f
    ) as parsed
    -- Every valid text (the bounds only exclude NULL), written as a range so that the
    -- planner expects few rows and hashes this side once for all caches, not each
    -- cache's elements once per cache (with a scan of every text each time).
    where slot_at between timestamp '-infinity' and timestamp 'infinity'
),
available as (
    -- An inner join to the valid texts; the invalid entries are the array's length
    -- minus its valid ones.
    select
        caches.workspace_id,
        caches.source,
        caches.readable,
        counts.available,
        coalesce(jsonb_array_length(caches.slots), 0) - counts.valid
        + case when caches.readable then 0 else 1 end as invalid
    from caches
    cross join lateral (
        select
            count(distinct valid_texts.slot_at) filter (where {in_window}) as available,
            count(*) as valid
        from jsonb_array_elements_text(caches.slots) as element (text)
        inner join valid_texts on valid_texts.text = element.text
    ) as counts
),
{_booked_sql(app, normalize_uri).strip()},
{_per_workspace_sql("available").strip()}
{_figures_sql()}
"""


def duckdb_floor_sql(app: str) -> str:
    """The hand-written mart on DuckDB (lists and a per-cache distinct count)."""
    normalize_uri = (
        "nullif(case when nullif(regexp_extract(rtrim(nullif(trim({value}), ''), '/'), "
        f"'{URI_AUTHORITY}', 1), '') is null then rtrim(nullif(trim({{value}}), ''), '/') "
        "else lower(regexp_extract(rtrim(nullif(trim({value}), ''), '/'), "
        f"'{URI_AUTHORITY}', 1)) || regexp_extract(rtrim(nullif(trim({{value}}), ''), '/'), "
        f"'{URI_PATH}', 1) end, '')"
    )
    valid = _iso8601_valid("{name}")
    in_window = _in_window("parsed_texts.slot_at")
    names = "['y', 'mo', 'd', 'h', 'mi', 's', 'z', 'sign', 'oh', 'om']"
    return f"""
with
clients as (select id from {app}."Client"),
caches as (
    select
        row_number() over () as cache_number,
        "clientId" as workspace_id,
        upper(trim("availabilitySource")) as source,
        -- no guard needed for the elements: '$[*]' of anything but an array is no element
        "slotsUtc" as slots,
        coalesce(json_type("slotsUtc") = 'ARRAY', false) as readable
    from {app}."WorkspaceAvailabilityCache"
    where upper(trim("availabilitySource")) in ('DEFAULT', 'DIRECT_BOOK')
),
entries as materialized (
    select cache_number, unnest(json_extract_string(slots, '$[*]')) as text from caches
),
parsed_texts as materialized (
    select text, slot_at
    from (
        select
            text,
            case when y is not null and {valid} then
                make_timestamp(y, mo, d, h, mi, s) - to_minutes(sign * (oh * 60 + om))
            end as slot_at
        from (
            select
                text,
                cast(nullif(m.y, '') as integer) as y, cast(nullif(m.mo, '') as integer) as mo,
                cast(nullif(m.d, '') as integer) as d, cast(nullif(m.h, '') as integer) as h,
                cast(nullif(m.mi, '') as integer) as mi,
                coalesce(cast(nullif(m.s, '') as integer), 0) as s,
                coalesce(cast(nullif(m.oh, '') as integer), 0) as oh,
                coalesce(cast(nullif(m.om, '') as integer), 0) as om,
                case when m.sign = '-' then -1 else 1 end as sign
            from (
                select text, regexp_extract(text, '{ISO8601_GROUPS}', {names}) as m
                from (select distinct text from entries where text is not null)
            )
        )
    )
),
cache_counts as (
    select
        entries.cache_number,
        list_unique(list(parsed_texts.slot_at) filter (where {in_window})) as available,
        count(*) filter (where parsed_texts.slot_at is null) as invalid
    from entries
    left join parsed_texts on parsed_texts.text = entries.text
    group by entries.cache_number
),
available as (
    select
        caches.workspace_id,
        caches.source,
        caches.readable,
        coalesce(cache_counts.available, 0) as available,
        coalesce(cache_counts.invalid, 0) + case when caches.readable then 0 else 1 end
            as invalid
    from caches
    left join cache_counts on cache_counts.cache_number = caches.cache_number
),
{_booked_sql(app, normalize_uri).strip()},
{_per_workspace_sql("available").strip()}
{_figures_sql()}
"""


def floor_sql(engine: str, app_schema: str) -> str:
    app = f'"{app_schema}"'
    if engine == "postgres":
        return postgres_floor_sql(app)
    if engine == "duckdb":
        return duckdb_floor_sql(app)
    # Spark's is capacity.bench.spark.spark_floor_sql (that module builds on this one).
    raise ValueError(f"unknown engine {engine!r}")
