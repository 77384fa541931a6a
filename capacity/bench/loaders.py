"""Write generated batches into the app tables on DuckDB (a file) and PostgreSQL.

Both engines get the same rows through the same CSV framing (``\\N`` is NULL), in
bulk: PostgreSQL through ``COPY ... FROM STDIN`` into the SPEC DDL
(:func:`capacity.app_tables.create_app_tables`), DuckDB through ``COPY ... FROM``
a per-batch file, since row-by-row inserts would take longer than the benchmark.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Protocol

from capacity.app_tables import APP_TABLES_DDL, create_app_tables
from capacity.bench.generator import COLUMNS, TABLE_ORDER, Batch, Row
from capacity.bench.log import say
from capacity.sql import quote_ident
from capacity.warehouse import Warehouse, open_connection

NULL_MARKER = r"\N"


def batch_csv(rows: list[Row]) -> str:
    """Rows as CSV text: minimal quoting, NULL as an unquoted ``\\N``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(
        tuple(NULL_MARKER if value is None else value for value in row) for row in rows
    )
    return buffer.getvalue()


def _column_list(table: str) -> str:
    return ", ".join(quote_ident(column) for column in COLUMNS[table])


class AppTableWriter(Protocol):
    """Creates the app tables, takes batches, and leaves the tables ready to query."""

    engine: str

    def create(self) -> None: ...
    def write(self, batch: Batch) -> None: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


def duckdb_table_ddl() -> list[str]:
    """The SPEC DDL for DuckDB: JSON for jsonb, TIMESTAMP for timestamp(3), no FKs or index.

    Foreign keys would be checked row by row on load and DuckDB has no use for the
    B-tree index; the primary and unique keys stay, so the generator's ids are
    checked as the app's are.
    """
    statements = []
    for statement in APP_TABLES_DDL:
        if statement.startswith("create index"):
            continue
        statement = statement.replace("jsonb", "json").replace("timestamp(3)", "timestamp")
        statements.append(re.sub(r'\s+references "\w+"\("\w+"\)', "", statement))
    return statements


class DuckDBWriter:
    """App tables in ``schema`` of a DuckDB file, loaded with COPY from a scratch CSV."""

    engine = "duckdb"

    def __init__(self, warehouse: Warehouse, schema: str, scratch_dir: Path) -> None:
        Path(warehouse.dsn).parent.mkdir(parents=True, exist_ok=True)
        scratch_dir.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.scratch = scratch_dir / "batch.csv"
        self.connection = open_connection(warehouse, read_only=False)

    def create(self) -> None:
        self.connection.execute(f"drop schema if exists {quote_ident(self.schema)} cascade")
        self.connection.execute(f"create schema {quote_ident(self.schema)}")
        self.connection.execute(f"set schema = '{self.schema}'")
        for statement in duckdb_table_ddl():
            self.connection.execute(statement)
        self.connection.execute("set schema = 'main'")

    def write(self, batch: Batch) -> None:
        for table in TABLE_ORDER:
            rows = batch.rows[table]
            if not rows:
                continue
            self.scratch.write_text(batch_csv(rows))
            self.connection.execute(
                f"copy {quote_ident(self.schema)}.{quote_ident(table)} ({_column_list(table)}) "
                f"from '{self.scratch}' (format csv, header false, nullstr '{NULL_MARKER}', "
                "quote '\"', escape '\"', auto_detect false)"
            )

    def finish(self) -> None:
        self.scratch.unlink(missing_ok=True)
        self.connection.execute("checkpoint")

    def close(self) -> None:
        self.connection.close()


class PostgresWriter:
    """App tables (the SPEC DDL) in ``schema``, one transaction of COPYs per batch."""

    engine = "postgres"

    def __init__(self, warehouse: Warehouse, schema: str) -> None:
        self.schema = schema
        self.connection: Any = open_connection(warehouse)

    def create(self) -> None:
        with self.connection.transaction():
            self.connection.execute(f"drop schema if exists {quote_ident(self.schema)} cascade")
        create_app_tables(self.connection, self.schema)

    def write(self, batch: Batch) -> None:
        with self.connection.transaction(), self.connection.cursor() as cursor:
            for table in TABLE_ORDER:
                rows = batch.rows[table]
                if not rows:
                    continue
                sql = (
                    f"copy {quote_ident(self.schema)}.{quote_ident(table)} "
                    f"({_column_list(table)}) from stdin with (format csv, null '{NULL_MARKER}')"
                )
                with cursor.copy(sql) as copy:
                    copy.write(batch_csv(rows))

    def finish(self) -> None:
        # VACUUM sets the hint bits and visibility map a bulk load leaves unset, so the
        # first timed query does not pay for writing them; ANALYZE gives the planner stats.
        self.connection.autocommit = True
        for table in TABLE_ORDER:
            self.connection.execute(
                f"vacuum (analyze) {quote_ident(self.schema)}.{quote_ident(table)}"
            )
        # The load's dirty buffers are written now, not by the checkpointer in the
        # background while the next engine's runs are timed. CHECKPOINT needs a
        # superuser or pg_checkpoint: without either the bench goes on, with a warning.
        from psycopg.errors import InsufficientPrivilege

        try:
            self.connection.execute("checkpoint")
        except InsufficientPrivilege:
            say(
                "generate: no privilege to CHECKPOINT; PostgreSQL may still be writing "
                "the load while the next runs are timed"
            )

    def close(self) -> None:
        self.connection.close()
