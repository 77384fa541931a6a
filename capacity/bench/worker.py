"""One measured approach in a process of its own: ``python -m capacity.bench.worker``.

The runner starts this for the hand-written query, the naive loop and the read-back
of the dbt mart, so that each gets its own peak RSS (``wait4``) and none inherits the
memory of another. It writes the figures and the time of the work itself (without
the interpreter's start-up) to a JSON file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from capacity.bench.figures import Figures, figures_from_rows, write_figures
from capacity.bench.floor import FIGURE_COLUMNS, floor_sql
from capacity.bench.naive import naive_figures
from capacity.bench.scenario import MART, BenchSettings
from capacity.sql import qualified
from capacity.warehouse import connect

TASKS = ("floor", "naive", "mart")


def mart_figures(connection: Any, schema: str) -> Figures:
    columns = ", ".join(("workspace_id", *FIGURE_COLUMNS))
    cursor = connection.cursor()
    cursor.execute(f"select {columns} from {qualified(schema, MART)} order by workspace_id")
    return figures_from_rows(cursor.fetchall())


def run_task(
    task: str, engine: str, settings: BenchSettings, workspaces: int
) -> tuple[Figures, float]:
    """The figures of one approach and the seconds its work took."""
    with connect(settings.warehouse(engine)) as connection:
        started = time.perf_counter()
        if task == "floor":
            cursor = connection.cursor()
            cursor.execute(floor_sql(engine, settings.app_schema))
            figures = figures_from_rows(cursor.fetchall())
        elif task == "naive":
            figures = naive_figures(connection, engine, settings.app_schema, workspaces)
        else:
            figures = mart_figures(connection, settings.models_schema(engine))
        return figures, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m capacity.bench.worker")
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--engine", required=True, choices=("duckdb", "postgres"))
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--app-schema", required=True)
    parser.add_argument("--models-schema", required=True, help="PostgreSQL models schema")
    parser.add_argument("--workspaces", required=True, type=int)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    settings = BenchSettings(
        data_dir=args.data_dir, app_schema=args.app_schema, pg_models_schema=args.models_schema
    )
    figures, seconds = run_task(args.task, args.engine, settings, args.workspaces)
    write_figures(args.out, figures, seconds=seconds, task=args.task, engine=args.engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
