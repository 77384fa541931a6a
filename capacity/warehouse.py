"""Where a dbt target's models live, and the one way to connect to it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from capacity import settings
from capacity.settings import TARGET_ENGINES, Engine
from capacity.sql import qualified

# Where dbt builds each layer (dbt_project.yml's `+schema`, appended to the target's
# schema by dbt's generate_schema_name): the target schema, which BI tools browse,
# holds the marts only; staging and intermediate sit in schemas of their own beside it.
LAYER_SCHEMA_SUFFIXES: dict[str, str] = {"stg_": "_staging", "int_": "_intermediate"}


def model_schema(schema: str, model: str) -> str:
    """The schema a model is built in, given the target's schema (the marts' schema)."""
    for prefix, suffix in LAYER_SCHEMA_SUFFIXES.items():
        if model.startswith(prefix):
            return schema + suffix
    return schema


def model_schemas(schema: str) -> tuple[str, ...]:
    """Every schema the models of a target build into (to drop a scratch build whole)."""
    return (schema, *(schema + suffix for suffix in LAYER_SCHEMA_SUFFIXES.values()))


@dataclass(frozen=True)
class Warehouse:
    """Where a dbt target's models live: the engine, how to connect, the marts' schema."""

    engine: Engine
    dsn: str  # a DuckDB file path, or a libpq connection string
    schema: str  # the target's schema: the marts (staging and intermediate beside it)
    address: str = ""  # where it is, for messages (never a password)

    def relation(self, model: str) -> str:
        return qualified(model_schema(self.schema, model), model)

    @property
    def placeholder(self) -> str:
        """The DB-API parameter marker of this engine's driver."""
        return "?" if self.engine == "duckdb" else "%s"


def warehouse_for(target: str | None = None) -> Warehouse:
    """The warehouse of a dbt target (default: CAPACITY_TARGET, else dev)."""
    target = target or settings.default_target()
    if target not in TARGET_ENGINES:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGET_ENGINES)}")
    if TARGET_ENGINES[target] == "duckdb":
        path = str(settings.duckdb_path())
        return Warehouse("duckdb", path, settings.DUCKDB_SCHEMA, path)
    pg = settings.postgres()
    return Warehouse("postgres", pg.conninfo, pg.schema, pg.address)


def open_connection(
    warehouse: Warehouse, *, read_only: bool = True, autocommit: bool = False
) -> Any:
    """A DB-API connection to the warehouse, the caller's to close (DuckDB: read-only
    unless asked, with the memory limit and spill directory of the settings;
    PostgreSQL: autocommit when asked). The drivers load here, not at start-up."""
    if warehouse.engine == "duckdb":
        import duckdb

        connection = duckdb.connect(warehouse.dsn, read_only=read_only)
        # SET after connecting, not as connect-time configuration: a process that opens
        # one file twice (the tests, the demo) would otherwise meet it under two
        # configurations, which DuckDB refuses. Only what differs: DuckDB refuses to set
        # temp_directory again once something was spilled there.
        wanted = settings.duckdb_settings()
        for name, value in wanted.items():
            (current,) = connection.execute("select current_setting(?)", [name]).fetchone()
            if name == "temp_directory" and current == value:
                continue
            connection.execute(f"set {name} = '{value.replace(chr(39), chr(39) * 2)}'")
        return connection
    import psycopg

    return psycopg.connect(warehouse.dsn, autocommit=autocommit)


def database_errors() -> tuple[type[Exception], ...]:
    """The drivers' base errors, for an ``except`` that reports any database failure."""
    import duckdb
    import psycopg

    return (duckdb.Error, psycopg.Error)


@contextmanager
def connect(
    warehouse: Warehouse, *, read_only: bool = True, autocommit: bool = False
) -> Iterator[Any]:
    """:func:`open_connection`, closed when the block ends."""
    connection = open_connection(warehouse, read_only=read_only, autocommit=autocommit)
    try:
        yield connection
    finally:
        connection.close()


def as_utc(value: Any) -> Any:
    """An aware datetime in UTC; any other value (naive datetimes too) as it is.

    The marts' timestamps are time-zone-aware, and the drivers return them in the
    session's time zone (DuckDB's TimeZone setting, PostgreSQL's TimeZone). Python
    subtracts two datetimes of the same zone on their wall clocks, so a 30-day window
    read in America/New_York across a DST change would last 30 days and 1 hour: in
    UTC it is exact, and prints as the instant the mart holds.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def fetch_dicts(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a query as dicts keyed by column name, aware timestamps in UTC."""
    cursor = connection.cursor()
    cursor.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, map(as_utc, row), strict=True)) for row in cursor.fetchall()]
