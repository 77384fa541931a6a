"""The app's source tables (SPEC §2) as DDL, for tests and tools that need a scratch copy.

The real tables are created by the app's Prisma migrations; this is the contract's
copy of them, kept word for word (quoted CamelCase identifiers, ``jsonb``,
``timestamp(3)``, the constraints and the index) so that anything tested against a
scratch schema sees the same types and constraints as production.
"""

from __future__ import annotations

from typing import Any

from capacity.sql import quote_ident

# SPEC §2, verbatim apart from the comments. Statements are created in this order
# because of the foreign keys.
APP_TABLES_DDL: tuple[str, ...] = (
    """create table "Client" (
  "id" text primary key,
  "name" text not null,
  "createdAt" timestamp(3) not null
)""",
    """create table "WorkspaceSettings" (
  "id" text primary key,
  "clientId" text not null unique references "Client"("id"),
  "meetingBookingProvider" text,
  "ghlDefaultCalendarId" text,
  "ghlDirectBookCalendarId" text,
  "calendlyEventTypeUri" text,
  "calendlyDirectBookEventTypeUri" text,
  "ghlPrivateIntegrationToken" text,
  "calendlyAccessToken" text
)""",
    """create table "Lead" (
  "id" text primary key,
  "clientId" text not null references "Client"("id"),
  "createdAt" timestamp(3) not null
)""",
    """create table "Appointment" (
  "id" text primary key,
  "leadId" text not null references "Lead"("id"),
  "provider" text not null,
  "status" text not null,
  "startAt" timestamp(3),
  "endAt" timestamp(3),
  "ghlAppointmentId" text,
  "calendlyScheduledEventUri" text,
  "ghlCalendarId" text,
  "calendlyEventTypeUri" text,
  "createdAt" timestamp(3) not null,
  "updatedAt" timestamp(3) not null
)""",
    """create index on "Appointment" ("leadId", "status", "startAt")""",
    """create table "WorkspaceAvailabilityCache" (
  "id" text primary key,
  "clientId" text not null references "Client"("id"),
  "availabilitySource" text not null,
  "slotsUtc" jsonb not null,
  "fetchedAt" timestamp(3),
  "rangeStart" timestamp(3),
  "rangeEnd" timestamp(3),
  "lastError" text,
  "updatedAt" timestamp(3) not null,
  unique ("clientId", "availabilitySource")
)""",
)

APP_TABLE_NAMES: tuple[str, ...] = (
    "Client",
    "WorkspaceSettings",
    "Lead",
    "Appointment",
    "WorkspaceAvailabilityCache",
)


def create_app_tables(conn: Any, schema: str) -> None:
    """Create the SPEC §2 tables in ``schema`` (created if missing) on PostgreSQL.

    ``conn`` is a psycopg 3 connection. The DDL uses unqualified names, so it runs
    with ``search_path`` set to the schema inside one transaction (``SET LOCAL``),
    which leaves the connection's own search path as it was. Commits on success
    when the connection is not in autocommit mode (the transaction block does it).
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(f"create schema if not exists {quote_ident(schema)}")
        cur.execute(f"set local search_path to {quote_ident(schema)}")
        for statement in APP_TABLES_DDL:
            cur.execute(statement)


def duckdb_app_tables_ddl() -> list[str]:
    """The SPEC §2 DDL as DuckDB takes it: ``json`` for ``jsonb``, the index named."""
    return [
        statement.replace("jsonb", "json").replace(
            'create index on "Appointment"',
            'create index "appointment_lead_status_start" on "Appointment"',
        )
        for statement in APP_TABLES_DDL
    ]


def create_app_tables_duckdb(conn: Any, schema: str) -> None:
    """Create the SPEC §2 tables in ``schema`` (created if missing) of a DuckDB connection.

    The DDL uses unqualified names, so it runs with the connection's default schema
    set to ``schema``, restored afterwards.
    """
    (previous,) = conn.execute("select current_schema()").fetchone()
    conn.execute(f"create schema if not exists {quote_ident(schema)}")
    conn.execute(f"use {quote_ident(schema)}")
    try:
        for statement in duckdb_app_tables_ddl():
            conn.execute(statement)
    finally:
        conn.execute(f"use {quote_ident(previous)}")
