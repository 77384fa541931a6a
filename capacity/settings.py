"""Where the project lives and which database files it uses.

The environment variables are the ones profiles.yml reads, with the same
defaults, so the Python side and dbt always open the same database.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def duckdb_path() -> Path:
    """The embedded DuckDB file, absolute (profiles.yml would resolve it against the cwd)."""
    path = Path(os.environ.get("CAPACITY_DUCKDB_PATH", "capacity_demo.duckdb"))
    return path if path.is_absolute() else PROJECT_DIR / path


def postgres_conninfo() -> str:
    """libpq connection string of the `postgres` target."""
    env = os.environ.get
    conninfo = (
        f"host={env('CAPACITY_PG_HOST', '127.0.0.1')} port={env('CAPACITY_PG_PORT', '5432')} "
        f"user={env('CAPACITY_PG_USER', 'root')} dbname={env('CAPACITY_PG_DATABASE', 'test')}"
    )
    if env("CAPACITY_PG_PASSWORD"):
        conninfo += f" password={env('CAPACITY_PG_PASSWORD')}"
    return conninfo
