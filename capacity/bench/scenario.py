"""The fixed scenario every benchmark run shares: as_of, the window, names and paths.

as_of is fixed (not "now") so the generated data, the dbt run and both baselines
agree on the window whatever the date, and a rerun measures the same work.
Names are fixed too: dbt's partial parsing is invalidated by a change of the vars or
of the profile's connection (DuckDB path, PostgreSQL schema), so every scale reuses
the same ones and only the data behind them changes.
"""

from __future__ import annotations

import os
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
# The default engines of `capacity bench`; Spark (local mode: the spark extra, Java 17,
# minutes of JVM start-up) runs only when asked for.
ENGINES = ("duckdb", "postgres")
ALL_ENGINES = ("duckdb", "postgres", "spark")
# Every process of the benchmark must peak below this (issue 16: the machine has 23 GiB,
# shared with PostgreSQL, readers and other builds).
MAX_PEAK_RSS_BYTES = 8 * 2**30

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

    @property
    def duckdb_temp_dir(self) -> Path:
        """Where the bench's DuckDB processes spill: in the data directory, on the disk
        whose free space the bench watches (capacity.bench.measure)."""
        return self.data_dir / "duckdb_tmp"

    def child_env(self) -> dict[str, str]:
        """The environment of the bench's child processes: the DuckDB memory limit of
        the settings (CAPACITY_DUCKDB_MEMORY_LIMIT), the bench's spill directory."""
        return {**os.environ, "CAPACITY_DUCKDB_TEMP_DIR": str(self.duckdb_temp_dir)}

    def models_schema(self, engine: str) -> str:
        """The marts' schema: PostgreSQL's and Spark's are the bench's own."""
        return DUCKDB_MODELS_SCHEMA if engine == "duckdb" else self.pg_models_schema

    @property
    def spark_dir(self) -> Path:
        """Spark's warehouse and metastore (CAPACITY_SPARK_DIR for dbt)."""
        return self.data_dir / "spark"

    @property
    def spark_stage_file(self) -> Path:
        """The DuckDB file the generated rows go through on their way to Spark."""
        return self.data_dir / "spark_stage.duckdb"

    @property
    def spark_parquet_dir(self) -> Path:
        return self.data_dir / "spark_parquet"

    def dbt_target_dir(self, engine: str) -> Path:
        # One per engine: partial-parse state is per target.
        return self.data_dir / f"dbt-target-{engine}"

    def dbt_log_dir(self, engine: str) -> Path:
        return self.data_dir / f"dbt-logs-{engine}"

    def warehouse(self, engine: str) -> Warehouse:
        """Where the bench's data and models are: its DuckDB file, or the postgres target."""
        if engine in ("duckdb", "spark"):  # Spark's rows are staged in a DuckDB file
            path = str(self.duckdb_file if engine == "duckdb" else self.spark_stage_file)
            return Warehouse("duckdb", path, DUCKDB_MODELS_SCHEMA, path)
        return warehouse_for("postgres")

    @property
    def work_dir(self) -> Path:
        """Scratch files: load batches, the measured processes' output and figures."""
        return self.data_dir / "work"
