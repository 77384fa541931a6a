"""The demo seeds (seeds/app/*.csv) as app tables on PostgreSQL.

On DuckDB dbt loads the seeds itself. On PostgreSQL the same rows go into
real app tables (SPEC §2 DDL: jsonb, timestamp(3)) so that the models are
tested against production types, loaded with COPY.
"""

from __future__ import annotations

import csv
from typing import Any

from capacity.app_tables import APP_TABLE_NAMES, create_app_tables
from capacity.settings import PROJECT_DIR
from capacity.sql import quote_ident

DEMO_SEEDS_DIR = PROJECT_DIR / "seeds" / "app"


def load_demo_seeds_into_postgres(conn: Any, schema: str) -> dict[str, int]:
    """Create the app tables in `schema` and COPY the demo seeds in; return rows per table."""
    create_app_tables(conn, schema)
    loaded: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cursor:
        for table in APP_TABLE_NAMES:
            path = DEMO_SEEDS_DIR / f"{table}.csv"
            with path.open(newline="") as seed_file:
                columns = next(csv.reader(seed_file))
                column_list = ", ".join(quote_ident(column) for column in columns)
                copy_sql = (
                    f"copy {quote_ident(schema)}.{quote_ident(table)} ({column_list}) "
                    "from stdin with (format csv)"
                )
                with cursor.copy(copy_sql) as copy:
                    copy.write(seed_file.read())
            loaded[table] = cursor.rowcount
    return loaded
