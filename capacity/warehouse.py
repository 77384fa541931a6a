"""Read the built marts from the warehouse a dbt target points at."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from capacity.app_schema import quote_ident
from capacity.settings import duckdb_path, postgres_conninfo

Engine = Literal["duckdb", "postgres"]
TARGET_ENGINES: dict[str, Engine] = {"dev": "duckdb", "postgres": "postgres"}

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

    def relation(self, model: str) -> str:
        return f"{quote_ident(model_schema(self.schema, model))}.{quote_ident(model)}"

    @property
    def placeholder(self) -> str:
        """The DB-API parameter marker of this engine's driver."""
        return "?" if self.engine == "duckdb" else "%s"


def default_target() -> str:
    return os.environ.get("CAPACITY_TARGET", "dev")


def warehouse_for(target: str | None = None) -> Warehouse:
    """The warehouse of a dbt target, from the environment profiles.yml reads."""
    target = target or default_target()
    if target not in TARGET_ENGINES:
        raise ValueError(f"unknown target {target!r}; expected one of {sorted(TARGET_ENGINES)}")
    if TARGET_ENGINES[target] == "duckdb":
        return Warehouse("duckdb", str(duckdb_path()), "main")
    return Warehouse(
        "postgres", postgres_conninfo(), os.environ.get("CAPACITY_PG_SCHEMA", "analytics")
    )


@contextmanager
def connect(warehouse: Warehouse) -> Iterator[Any]:
    """A DB-API connection to the warehouse."""
    if warehouse.engine == "duckdb":
        import duckdb

        connection = duckdb.connect(warehouse.dsn, read_only=True)
    else:
        import psycopg

        connection = psycopg.connect(warehouse.dsn)
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
