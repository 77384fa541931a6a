"""The benchmark: per scale, generate; per engine, time dbt, the floor and the naive loop.

Every timed step is a child process (dbt, or :mod:`capacity.bench.worker`), measured
by :func:`capacity.bench.measure.run_measured`. The three approaches' figures are
compared before anything is reported: a disagreement stops the benchmark.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from capacity.bench.dbt_bench import DbtBench, DbtTiming
from capacity.bench.figures import Figures, check_agree, read_figures
from capacity.bench.generate import GeneratedData, remove_duckdb_file
from capacity.bench.log import say
from capacity.bench.measure import Measured, run_measured
from capacity.bench.scenario import BenchSettings
from capacity.settings import PROJECT_DIR, duckdb_memory_limit
from capacity.sql import quote_ident
from capacity.warehouse import connect, model_schemas, warehouse_for

# dbt run ÷ the hand-written query, work time (issue 16: 1.5 on both engines).
TARGET_RATIO = {"duckdb": 1.5, "postgres": 1.5}
# The app's old loop read the app's database; on Spark there is no such app to compare.
NAIVE_ENGINES = ("duckdb", "postgres")
# dbt build (models and tests) ÷ the hand-written query, work time; for both builds.
TARGET_BUILD_RATIO = 2.5
# The build as the orchestrator schedules it: models and data tests, no unit tests.
SCHEDULED_BUILD_STEP = "dbt build, scheduled"
# The whole project as the orchestrator schedules it (no target: a figure).
WHOLE_PROJECT_STEP = "dbt build, whole project, scheduled"


@dataclass(frozen=True)
class Step:
    """One measured approach: the process's wall time and peak RSS, and the time of the
    work itself (dbt's nodes, the query, the loop), which the rates and ratios use."""

    name: str
    wall_seconds: float
    work_seconds: float
    peak_rss_bytes: int
    note: str = ""
    samples: tuple[float, ...] = ()  # work seconds of every repetition (the best is kept)

    @classmethod
    def from_dbt(cls, name: str, timing: DbtTiming) -> Step:
        return cls(
            name,
            timing.process.seconds,
            timing.nodes_seconds,
            timing.process.peak_rss_bytes,
            f"{timing.model_count} models, {timing.test_count} tests; parse: {timing.parse}",
        )

    @classmethod
    def from_worker(cls, name: str, process: Measured, seconds: float) -> Step:
        return cls(name, process.seconds, seconds, process.peak_rss_bytes)


@dataclass
class EngineResult:
    """One engine at one scale."""

    workspaces: int
    engine: str
    slot_entries: int
    appointments: int
    steps: dict[str, Step] = field(default_factory=dict)

    def ratio(self, numerator: str, denominator: str, *, wall: bool = False) -> float:
        top, bottom = self.steps[numerator], self.steps[denominator]
        if wall:
            return top.wall_seconds / bottom.wall_seconds
        return top.work_seconds / bottom.work_seconds


@dataclass
class StartupResult:
    """dbt's own cost on one engine: a parse from scratch, and a partial (no-op) one."""

    engine: str
    full_parse: Step
    partial_parse: Step


@dataclass
class BenchResult:
    command: str
    settings: dict[str, Any]
    generation: list[dict[str, Any]] = field(default_factory=list)
    startup: list[StartupResult] = field(default_factory=list)
    results: list[EngineResult] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    started_at: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _worker(
    task: str, engine: str, settings: BenchSettings, workspaces: int
) -> tuple[Measured, Path]:
    out = settings.work_dir / f"{engine}-{task}.json"
    argv = [
        sys.executable,
        "-m",
        "capacity.bench.worker",
        task,
        "--engine",
        engine,
        "--data-dir",
        str(settings.data_dir),
        "--app-schema",
        settings.app_schema,
        "--models-schema",
        settings.pg_models_schema,
        "--workspaces",
        str(workspaces),
        "--out",
        str(out),
    ]
    process = run_measured(
        argv,
        env=settings.child_env(),
        cwd=PROJECT_DIR,
        output_path=settings.work_dir / f"{engine}-{task}.out",
        include_descendants=engine == "spark",  # pyspark's JVM
    )
    return process, out


def generate_measured(
    workspaces: int, engines: Sequence[str], settings: BenchSettings
) -> GeneratedData:
    """:func:`capacity.bench.generate.generate` in a child process, its peak RSS measured."""
    out = settings.work_dir / "generate.json"
    argv = [
        sys.executable,
        "-m",
        "capacity.bench.generate",
        "--workspaces",
        str(workspaces),
        "--engines",
        ",".join(engines),
        "--data-dir",
        str(settings.data_dir),
        "--seed",
        str(settings.seed),
        "--app-schema",
        settings.app_schema,
        "--batch-size",
        str(settings.batch_size),
        "--out",
        str(out),
    ]
    # its progress lines go to the terminal, like the rest of the bench's
    process = run_measured(
        argv,
        env=settings.child_env(),
        cwd=PROJECT_DIR,
        output_path=settings.work_dir / "generate.out",
        show_stderr=True,
        include_descendants=True,  # the JVM that loads Spark's tables, if any
    )
    data = GeneratedData(**json.loads(out.read_text()))
    return replace(data, peak_rss_bytes=process.peak_rss_bytes)


def measure_startup(engine: str, settings: BenchSettings) -> StartupResult:
    """dbt parse from scratch, then again (partial parsing: the start-up every command pays)."""
    dbt = DbtBench(engine, settings)
    dbt.forget_parse_state()
    say(f"{engine}: dbt parse from scratch")
    full = dbt.parse()
    say(f"{engine}: dbt parse again (partial parsing)")
    partial = dbt.parse()
    return StartupResult(
        engine,
        Step(
            "dbt parse (full)", full.process.seconds, 0.0, full.process.peak_rss_bytes, full.parse
        ),
        Step(
            "dbt parse (partial)",
            partial.process.seconds,
            0.0,
            partial.process.peak_rss_bytes,
            partial.parse,
        ),
    )


def best_of(steps: Sequence[Step]) -> Step:
    """The fastest repetition, carrying every repetition's time: on a shared machine the
    minimum is the best estimate of what the work itself costs."""
    best = min(steps, key=lambda step: step.work_seconds)
    return replace(best, samples=tuple(step.work_seconds for step in steps))


def bench_engine(
    engine: str,
    data: GeneratedData,
    settings: BenchSettings,
    *,
    with_build: bool = True,
    with_naive: bool = True,
    with_whole_project: bool = False,
    repeat: int = 1,
) -> EngineResult:
    """Time dbt run (and build), the floor and (unless left out) the naive loop; check
    that they all agree.

    dbt run, both dbt builds and the hand-written query, the ones the target ratios
    compare, run ``repeat`` times, alternately, and the best of each is kept; the
    naive loop, the longest, runs once, and so does the whole project's build.
    """
    result = EngineResult(
        data.workspaces, engine, data.slot_entries, data.rows.get("Appointment", 0)
    )
    dbt = DbtBench(engine, settings)
    where = f"{engine} @ {data.workspaces:,}"
    figures = {}

    def mart_figures() -> Figures:
        """The mart dbt just built, read back by a worker of its own."""
        _, mart_out = _worker("mart", engine, settings, data.workspaces)
        return read_figures(mart_out)[0]

    runs: list[Step] = []
    floors: list[Step] = []
    builds: list[Step] = []
    scheduled_builds: list[Step] = []
    for attempt in range(1, repeat + 1):
        # every repetition's figures are checked, not only the last one's
        suffix = "" if attempt == 1 else f", run {attempt}"
        say(f"{where}: dbt run (the capacity models), {attempt}/{repeat}")
        runs.append(Step.from_dbt("dbt run", dbt.run()))
        figures[f"dbt run{suffix}"] = mart_figures()
        say(f"{where}: hand-written query, {attempt}/{repeat}")
        process, out = _worker("floor", engine, settings, data.workspaces)
        figures[f"hand-written SQL{suffix}"], meta = read_figures(out)
        floors.append(Step.from_worker("hand-written SQL", process, meta["seconds"]))
        if with_build:
            say(f"{where}: dbt build (models, unit tests and data tests), {attempt}/{repeat}")
            builds.append(Step.from_dbt("dbt build", dbt.build()))
            figures[f"dbt build{suffix}"] = mart_figures()
            say(f"{where}: dbt build as scheduled (models and data tests), {attempt}/{repeat}")
            scheduled_builds.append(Step.from_dbt(SCHEDULED_BUILD_STEP, dbt.scheduled_build()))
            figures[f"{SCHEDULED_BUILD_STEP}{suffix}"] = mart_figures()
    result.steps["dbt run"] = best_of(runs)
    result.steps["hand-written SQL"] = best_of(floors)
    if builds:
        result.steps["dbt build"] = best_of(builds)
        result.steps[SCHEDULED_BUILD_STEP] = best_of(scheduled_builds)
    if with_whole_project:
        say(f"{where}: dbt build of the whole project as scheduled (models and data tests)")
        result.steps[WHOLE_PROJECT_STEP] = Step.from_dbt(
            WHOLE_PROJECT_STEP, dbt.whole_project_build()
        )
        figures[WHOLE_PROJECT_STEP] = mart_figures()
    if with_naive and engine in NAIVE_ENGINES:
        say(f"{where}: naive Python loop")
        process, out = _worker("naive", engine, settings, data.workspaces)
        figures["naive Python"], meta = read_figures(out)
        result.steps["naive Python"] = Step.from_worker("naive Python", process, meta["seconds"])
    check_agree(figures)  # raises FiguresDiffer: no time is reported for wrong figures
    say(
        f"{where}: figures agree for all {len(figures['dbt run']):,} workspaces "
        f"({', '.join(figures)})"
    )
    return result


def drop_generated_data(engines: Sequence[str], settings: BenchSettings) -> None:
    """Remove what the benchmark created: the DuckDB file, the PostgreSQL schemas."""
    if "duckdb" in engines:
        remove_duckdb_file(settings)
        shutil.rmtree(settings.duckdb_temp_dir, ignore_errors=True)
    if "spark" in engines:
        for path in (settings.spark_dir, settings.spark_parquet_dir):
            shutil.rmtree(path, ignore_errors=True)
        settings.spark_stage_file.unlink(missing_ok=True)
    if "postgres" in engines:
        with connect(warehouse_for("postgres"), autocommit=True) as connection:
            for schema in (*model_schemas(settings.pg_models_schema), settings.app_schema):
                connection.execute(f"drop schema if exists {quote_ident(schema)} cascade")
    shutil.rmtree(settings.work_dir, ignore_errors=True)


def run_bench(
    scales: Sequence[int],
    engines: Sequence[str],
    settings: BenchSettings,
    *,
    command: str,
    with_build: bool = True,
    with_naive: bool = True,
    with_whole_project: bool = False,
    keep_data: bool = False,
    repeat: int = 1,
) -> BenchResult:
    """The whole benchmark; the generated data is removed at the end unless kept."""
    bench = BenchResult(
        command=command,
        settings={
            "seed": settings.seed,
            "data_dir": str(settings.data_dir),
            "app_schema": settings.app_schema,
            "pg_models_schema": settings.pg_models_schema,
            "repeat": repeat,
            "duckdb_memory_limit": duckdb_memory_limit(),
        },
        load_before=os.getloadavg(),
        started_at=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    )
    started = time.perf_counter()
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        for engine in engines:
            # Parse state does not depend on the data: measured once, before any data exists.
            bench.startup.append(measure_startup(engine, settings))
        for workspaces in scales:
            say(f"generating {workspaces:,} workspaces for {', '.join(engines)}")
            data = generate_measured(workspaces, engines, settings)
            bench.generation.append(
                {
                    "workspaces": workspaces,
                    "slot_entries": data.slot_entries,
                    "rows": data.rows,
                    "seconds": data.seconds,
                    "peak_rss_bytes": data.peak_rss_bytes,
                }
            )
            for engine in engines:
                bench.results.append(
                    bench_engine(
                        engine,
                        data,
                        settings,
                        with_build=with_build,
                        with_naive=with_naive,
                        with_whole_project=with_whole_project,
                        repeat=repeat,
                    )
                )
    finally:
        if not keep_data:
            say("removing the generated data")
            drop_generated_data(engines, settings)
    bench.load_after = os.getloadavg()
    bench.seconds = time.perf_counter() - started
    return bench
