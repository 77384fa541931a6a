"""The fixed scenario every benchmark run shares: as_of, the window, names and paths.

as_of is fixed (not "now") so the generated data, the dbt run and both baselines
agree on the window whatever the date, and a rerun measures the same work.
Names are fixed too: dbt's partial parsing is invalidated by a change of the vars or
of the profile's connection (DuckDB path, PostgreSQL schema), so every scale reuses
the same ones and only the data behind them changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from capacity.settings import DEMO_AS_OF, work_dir
from capacity.warehouse import Warehouse, warehouse_for

# The demo's as_of.
AS_OF_ISO = DEMO_AS_OF
AS_OF = datetime.fromisoformat(DEMO_AS_OF).replace(tzinfo=None)  # naive UTC, like timestamp(3)
WINDOW_DAYS = 30
WINDOW_START = AS_OF
WINDOW_END = AS_OF + timedelta(days=WINDOW_DAYS)

# Schema of the generated app tables, on both engines (the dbt var app_schema).
APP_SCHEMA = "bench_app"
# Schema of the models built from them on PostgreSQL (CAPACITY_PG_SCHEMA).
PG_MODELS_SCHEMA = "bench_models"
# DuckDB builds the models in the profile's schema.
DUCKDB_MODELS_SCHEMA = "main"

DEFAULT_DATA_DIR = work_dir() / "output" / "bench"
DEFAULT_SEED = 20260302
SCALES = (100, 1_000, 10_000)
ENGINES = ("duckdb", "postgres")

MART = "workspace_capacity_30d"
MART_BY_SOURCE = "workspace_capacity_30d_by_source"


@dataclass(frozen=True)
class BenchSettings:
    """One benchmark's place and names: its data directory (the DuckDB file, dbt's
    target/ and logs/ per engine, the measured processes' output) and its PostgreSQL
    schemas. The defaults are the committed benchmark's; tests use their own."""

    data_dir: Path = DEFAULT_DATA_DIR
    seed: int = DEFAULT_SEED
    app_schema: str = APP_SCHEMA
    pg_models_schema: str = PG_MODELS_SCHEMA
    batch_size: int = 200

    @property
    def duckdb_file(self) -> Path:
        return self.data_dir / "bench.duckdb"

    def models_schema(self, engine: str) -> str:
        return self.pg_models_schema if engine == "postgres" else DUCKDB_MODELS_SCHEMA

    def dbt_target_dir(self, engine: str) -> Path:
        # One per engine: partial-parse state is per target.
        return self.data_dir / f"dbt-target-{engine}"

    def dbt_log_dir(self, engine: str) -> Path:
        return self.data_dir / f"dbt-logs-{engine}"

    def warehouse(self, engine: str) -> Warehouse:
        """Where the bench's data and models are: its DuckDB file, or the postgres target."""
        if engine == "duckdb":
            path = str(self.duckdb_file)
            return Warehouse("duckdb", path, DUCKDB_MODELS_SCHEMA, path)
        return warehouse_for("postgres")

    @property
    def work_dir(self) -> Path:
        """Scratch files: load batches, the measured processes' output and figures."""
        return self.data_dir / "work"
