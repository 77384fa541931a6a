"""SQL text helpers shared by every job."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote one SQL identifier (PostgreSQL and DuckDB: double quotes, inner ones doubled).

    An empty name or one holding NUL cannot name anything: ValueError.
    """
    if not name or "\x00" in name:
        raise ValueError(f"invalid SQL identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """``"schema"."name"``."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"
