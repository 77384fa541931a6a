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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from capacity.bench.figures import Figures, figures_from_rows, write_figures
from capacity.bench.floor import FIGURE_COLUMNS, floor_sql
from capacity.bench.naive import naive_figures
from capacity.bench.scenario import ALL_ENGINES, MART, BenchSettings
from capacity.sql import qualified
from capacity.warehouse import connect

TASKS = ("floor", "naive", "mart")


@contextmanager
def _connect(engine: str, settings: BenchSettings) -> Iterator[Any]:
    """A DB-API connection to the bench's warehouse; on Spark, a SparkSession."""
    if engine != "spark":
        with connect(settings.warehouse(engine)) as connection:
            yield connection
        return
    from capacity.bench.spark import open_session, spark_ident

    session = open_session(settings.spark_dir)
    # dbt opens its session, reads the metastore and lists the relations before its
    # first node starts (its work time leaves them out): the same here, before the
    # clock starts. A first Spark job pays some 30 s of class loading and metastore
    # start-up that neither approach's work should carry.
    app = spark_ident(settings.app_schema)
    session.sql(f"show tables in {app}").collect()
    session.sql(f"select count(*) from {app}.`Client`").collect()
    try:
        yield session
    finally:
        session.stop()


def _fetch_all(connection: Any, engine: str, sql: str) -> list[Any]:
    if engine == "spark":
        return connection.sql(sql).collect()  # a SparkSession
    cursor = connection.cursor()
    cursor.execute(sql)
    return cursor.fetchall()


def mart_figures(connection: Any, engine: str, schema: str) -> Figures:
    columns = ", ".join(("workspace_id", *FIGURE_COLUMNS))
    if engine == "spark":
        from capacity.bench.spark import spark_ident

        relation = f"{spark_ident(schema)}.{spark_ident(MART)}"
    else:
        relation = qualified(schema, MART)
    return figures_from_rows(
        _fetch_all(connection, engine, f"select {columns} from {relation} order by workspace_id")
    )


def _floor_sql(engine: str, app_schema: str) -> str:
    if engine == "spark":
        from capacity.bench.spark import spark_floor_sql

        return spark_floor_sql(app_schema)
    return floor_sql(engine, app_schema)


def run_task(
    task: str, engine: str, settings: BenchSettings, workspaces: int
) -> tuple[Figures, float]:
    """The figures of one approach and the seconds its work took."""
    with _connect(engine, settings) as connection:
        started = time.perf_counter()
        if task == "floor":
            figures = figures_from_rows(
                _fetch_all(connection, engine, _floor_sql(engine, settings.app_schema))
            )
        elif task == "naive":
            figures = naive_figures(connection, engine, settings.app_schema, workspaces)
        else:
            figures = mart_figures(connection, engine, settings.models_schema(engine))
        return figures, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m capacity.bench.worker")
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--engine", required=True, choices=ALL_ENGINES)
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
