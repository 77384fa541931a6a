"""``capacity generate``: write a scale's data to the chosen engines in one pass.

The batches are generated once and handed to every writer, so DuckDB and PostgreSQL
hold exactly the same rows and the (Python-bound) generation is paid once. Only one
batch of workspaces is in memory at a time. The benchmark runs it as a child process
of its own (``python -m capacity.bench.generate``), so that its peak memory is
measured like every other step's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from capacity.bench.generator import TABLE_ORDER, generate_batches
from capacity.bench.loaders import AppTableWriter, DuckDBWriter, PostgresWriter
from capacity.bench.log import Progress, say
from capacity.bench.scenario import BenchSettings


@dataclass(frozen=True)
class GeneratedData:
    """What one generation wrote: the counts the benchmark's rates are based on."""

    workspaces: int
    slot_entries: int
    rows: dict[str, int]
    seconds: float
    peak_rss_bytes: int = 0  # of the generating process, when it ran as a child


def make_writer(engine: str, settings: BenchSettings) -> AppTableWriter:
    if engine == "duckdb":
        remove_duckdb_file(settings)
        return DuckDBWriter(settings.warehouse(engine), settings.app_schema, settings.work_dir)
    if engine == "postgres":
        return PostgresWriter(settings.warehouse(engine), settings.app_schema)
    if engine == "spark":
        from capacity.bench.spark import SparkWriter

        return SparkWriter(settings)
    raise ValueError(f"unknown engine {engine!r}")


def remove_duckdb_file(settings: BenchSettings) -> None:
    settings.duckdb_file.unlink(missing_ok=True)
    settings.duckdb_file.with_name(settings.duckdb_file.name + ".wal").unlink(missing_ok=True)


def generate(workspaces: int, engines: Sequence[str], settings: BenchSettings) -> GeneratedData:
    """Generate ``workspaces`` workspaces into the app tables of every engine given."""
    started = time.perf_counter()
    writers = [make_writer(engine, settings) for engine in engines]
    rows = dict.fromkeys(TABLE_ORDER, 0)
    slot_entries = 0
    try:
        for writer in writers:
            writer.create()
        progress = Progress(f"generate {'+'.join(engines)}", workspaces, "workspaces")
        for batch in generate_batches(
            workspaces, seed=settings.seed, batch_size=settings.batch_size
        ):
            for writer in writers:
                writer.write(batch)
            slot_entries += batch.slot_entries
            for table in TABLE_ORDER:
                rows[table] += len(batch.rows[table])
            progress.advance(batch.workspaces, f"{slot_entries:,} slot entries")
        for writer in writers:
            say(f"generate: finishing {writer.engine} (checkpoint / vacuum analyze)")
            writer.finish()
    finally:
        for writer in writers:
            writer.close()
    # A precaution: gigabytes were just written, and the first timed runs should not
    # share the disk with their flush (docs/decisions.md, "Flush and checkpoint the
    # generated data before timing").
    say("generate: flushing written data to disk")
    os.sync()
    return GeneratedData(workspaces, slot_entries, rows, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    """Generate into the engines given and write what was written as JSON to --out."""
    parser = argparse.ArgumentParser(prog="python -m capacity.bench.generate")
    parser.add_argument("--workspaces", required=True, type=int)
    parser.add_argument("--engines", required=True, help="comma-separated")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--app-schema", required=True)
    parser.add_argument("--batch-size", required=True, type=int)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    settings = BenchSettings(
        data_dir=args.data_dir,
        seed=args.seed,
        app_schema=args.app_schema,
        batch_size=args.batch_size,
    )
    data = generate(args.workspaces, args.engines.split(","), settings)
    args.out.write_text(json.dumps(asdict(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
