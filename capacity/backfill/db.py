"""The thin database layer: one code path for PostgreSQL (the app) and DuckDB (the demo).

Everything the backfill sends goes through :class:`Database`, so that

- SQL is written once, with ``?`` placeholders, and translated to the driver's
  paramstyle here (psycopg wants ``%s``; DuckDB takes ``?``);
- table names are always schema-qualified and quoted (``"public"."Appointment"``),
  which is what Prisma's CamelCase names need;
- transactions are explicit (the connection itself is in autocommit mode, so reads
  between batches hold no transaction and no locks open while HTTP calls run);
- every statement, ``BEGIN`` and ``COMMIT`` is counted as one round trip, which is
  what the benchmark reports per batch.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from capacity.backfill.validation import WHITESPACE
from capacity.sql import quote_ident
from capacity.warehouse import Warehouse, open_connection

Dialect = Literal["postgres", "duckdb"]


class DatabaseConfigError(ValueError):
    """The database or schema name cannot be used (a usage error, exit code 2)."""


def check_identifier(name: str) -> str:
    """The name, quoted; a name no identifier can hold is a configuration error."""
    try:
        return quote_ident(name)
    except ValueError as exc:
        raise DatabaseConfigError(str(exc)) from None


_PLACEHOLDER = re.compile(r"\?")


@dataclass
class Database:
    """A connection plus its dialect, the app schema and a round-trip counter."""

    conn: Any
    dialect: Dialect
    app_schema: str
    round_trips: int = 0
    _in_transaction: bool = False

    def is_blank(self, expr: str) -> str:
        """SQL that is true when ``expr`` is NULL, empty or only whitespace (SPEC §5)."""
        trim = "btrim" if self.dialect == "postgres" else "trim"
        return f"{trim}(coalesce({expr}, ''), '{WHITESPACE}') = ''"

    @staticmethod
    def rows_of(columns: Sequence[str]) -> str:
        """A derived table of text columns from one array parameter each, zipped.

        ``(select unnest(?::text[]) as "a", unnest(?::text[]) as "b")``: a batch goes to
        the server as a few arrays, not thousands of parameters (psycopg parses every
        placeholder of a statement in Python: docs/decisions.md, "Arrays, not VALUES
        lists").
        """
        unnests = ", ".join(f"unnest(?::text[]) as {quote_ident(c)}" for c in columns)
        return f"(select {unnests})"

    def table(self, name: str, schema: str | None = None) -> str:
        """``"schema"."Name"``; the schema defaults to the app schema."""
        return f"{quote_ident(schema or self.app_schema)}.{quote_ident(name)}"

    def _sql(self, sql: str) -> str:
        if self.dialect == "postgres":
            # psycopg uses %s and treats a literal % as a format character.
            return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))
        return sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement that returns nothing the caller needs."""
        self.round_trips += 1
        if self.dialect == "postgres":
            with self.conn.cursor() as cur:
                cur.execute(self._sql(sql), tuple(params))
        else:
            self.conn.execute(sql, list(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query (or a DML ``RETURNING``) and return all rows as tuples."""
        self.round_trips += 1
        if self.dialect == "postgres":
            with self.conn.cursor() as cur:
                cur.execute(self._sql(sql), tuple(params))
                return list(cur.fetchall()) if cur.description is not None else []
        return [tuple(row) for row in self.conn.execute(sql, list(params)).fetchall()]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One explicit transaction: commit when the block succeeds, roll back otherwise."""
        if self._in_transaction:
            raise RuntimeError("nested transactions are not used by the backfill")
        self._begin()
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            self._rollback()
            raise
        self._in_transaction = False
        self._commit()

    def _begin(self) -> None:
        self.round_trips += 1
        if self.dialect == "postgres":
            self.conn.execute("BEGIN")
        else:
            self.conn.begin()

    def _commit(self) -> None:
        self.round_trips += 1
        if self.dialect == "postgres":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def _rollback(self) -> None:
        # Best effort: a broken connection cannot roll back, and the server discards
        # the transaction anyway when the connection goes.
        with contextlib.suppress(Exception):
            self.round_trips += 1
            if self.dialect == "postgres":
                self.conn.execute("ROLLBACK")
            else:
                self.conn.rollback()

    def table_exists(self, schema: str, name: str) -> bool:
        """Whether ``schema.name`` exists (information_schema works on both dialects)."""
        rows = self.fetchall(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            (schema, name),
        )
        return bool(rows and rows[0][0])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def open_database(warehouse: Warehouse, app_schema: str) -> Database:
    """Open a dbt target's database for the backfill (psycopg 3 or DuckDB, read-write).

    The PostgreSQL connection runs in autocommit mode with explicit transactions for
    writes. The DuckDB file must exist (the backfill never creates an empty database).
    """
    check_identifier(app_schema)
    if warehouse.engine == "postgres":
        import psycopg

        try:
            conn = open_connection(warehouse, autocommit=True)
        except psycopg.Error as exc:
            # psycopg's message names host and port, never the password.
            raise ConnectionError(
                f"cannot connect to PostgreSQL at {warehouse.address}: {exc}".strip()
            ) from None
        return Database(conn=conn, dialect="postgres", app_schema=app_schema)
    import duckdb

    if not os.path.exists(warehouse.dsn):
        raise DatabaseConfigError(f"DuckDB file not found: {warehouse.dsn}")
    try:
        conn = open_connection(warehouse, read_only=False)
    except duckdb.Error as exc:
        raise ConnectionError(f"cannot open DuckDB file {warehouse.dsn}: {exc}") from None
    return Database(conn=conn, dialect="duckdb", app_schema=app_schema)
