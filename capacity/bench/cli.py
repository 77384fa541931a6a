"""``capacity generate`` and ``capacity bench``: performance at scale.

``generate`` writes seeded SPEC §2 data for N workspaces to DuckDB and/or PostgreSQL;
``bench`` generates each scale in turn and times, on each engine, the capacity models
(dbt run; dbt build; dbt build as scheduled, without the unit tests), a hand-written
query and the app's old Python loop, checks that all give the same figures, and prints
(and optionally writes) the tables.
The behaviour is documented in :mod:`capacity.bench`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from capacity.bench.figures import FiguresDiffer
from capacity.bench.log import say
from capacity.bench.measure import CommandFailed
from capacity.bench.scenario import (
    ALL_ENGINES,
    APP_SCHEMA,
    DEFAULT_DATA_DIR,
    DEFAULT_SEED,
    ENGINES,
    PG_MODELS_SCHEMA,
    SCALES,
    BenchSettings,
)
from capacity.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_json_option,
    bounded_int,
    fail,
    positive_int_list,
    print_json,
)
from capacity.settings import duckdb_memory_limit


def _engines(text: str) -> list[str]:
    values = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = sorted(set(values) - set(ALL_ENGINES))
    if not values or unknown:
        raise argparse.ArgumentTypeError(f"engines are {', '.join(ALL_ENGINES)}; got {text!r}")
    return list(dict.fromkeys(values))


def _block(text: str) -> str:
    from capacity.bench.markdown import markers

    try:
        markers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engines",
        type=_engines,
        default=list(ENGINES),
        help="comma-separated: duckdb, postgres, spark (local mode; needs the spark extra "
        "and Java 17) (default: duckdb,postgres)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="RNG seed (default: %(default)s)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="the DuckDB file, dbt's target/ and logs/, scratch files (default: output/bench)",
    )
    parser.add_argument(
        "--app-schema",
        default=APP_SCHEMA,
        help="schema of the generated app tables (default: %(default)s)",
    )
    parser.add_argument(
        "--pg-models-schema",
        default=PG_MODELS_SCHEMA,
        help="PostgreSQL schema the models are built in (default: %(default)s)",
    )


def _settings(args: argparse.Namespace) -> BenchSettings:
    return BenchSettings(
        data_dir=args.data_dir.resolve(),
        seed=args.seed,
        app_schema=args.app_schema,
        pg_models_schema=args.pg_models_schema,
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``generate`` and ``bench`` sub-commands to the ``capacity`` CLI."""
    gen = subparsers.add_parser(
        "generate",
        help="write seeded app data for N workspaces to DuckDB and/or PostgreSQL",
        description="Generate SPEC §2 app tables (streamed, one batch of workspaces at a "
        "time) into a DuckDB file and/or a PostgreSQL schema (SPEC DDL, COPY).",
    )
    gen.add_argument("--workspaces", type=bounded_int(1), required=True, help="how many workspaces")
    _add_common(gen)
    gen.set_defaults(handler=handle_generate)

    bench = subparsers.add_parser(
        "bench",
        help="time the capacity models against a hand-written query and the naive loop",
        description="For each scale: generate the data, then on each engine time dbt run and "
        "dbt build (with, then without the unit tests) of the capacity models, the "
        "hand-written query and the naive Python loop, "
        "and check that all give the same figures. The generated data is removed at the end.",
    )
    bench.add_argument(
        "--scales",
        type=positive_int_list,
        default=list(SCALES),
        help="comma-separated workspace counts (default: 100,1000,10000)",
    )
    _add_common(bench)
    bench.add_argument(
        "--write-markdown",
        type=Path,
        metavar="PATH",
        help="replace the generated block of this Markdown file (e.g. BENCHMARKS.md)",
    )
    bench.add_argument(
        "--markdown-block",
        type=_block,
        metavar="NAME",
        help="with --write-markdown: the block marked `capacity bench NAME` instead of the "
        "unnamed one (a page can hold one block per command)",
    )
    bench.add_argument(
        "--no-build",
        action="store_true",
        help="skip both dbt builds of the capacity models (with tests; --whole-project "
        "still builds the whole project)",
    )
    bench.add_argument(
        "--no-naive",
        action="store_true",
        help="skip the naive Python loop (minutes at 100,000 workspaces; dbt and the "
        "hand-written query are still compared)",
    )
    bench.add_argument(
        "--whole-project",
        action="store_true",
        help="also time one dbt build of the whole project as the schedule runs it (the "
        "slot facts, the planning marts and every data test; no target)",
    )
    bench.add_argument(
        "--repeat",
        type=bounded_int(1),
        default=1,
        metavar="N",
        help="run dbt run, both dbt builds and the hand-written query N times each, "
        "alternately, keep the best (default: %(default)s)",
    )
    bench.add_argument(
        "--keep-data", action="store_true", help="keep the last scale's generated data"
    )
    add_json_option(bench, "the results (instead of the tables)")
    bench.set_defaults(handler=handle_bench)


def handle_generate(args: argparse.Namespace) -> int:
    from capacity.bench.generate import generate

    data = generate(args.workspaces, args.engines, _settings(args))
    summary = {
        "workspaces": data.workspaces,
        "slot_entries": data.slot_entries,
        "rows": data.rows,
        "seconds": round(data.seconds, 1),
        "engines": args.engines,
        "app_schema": args.app_schema,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return EXIT_OK


def _command_line(args: argparse.Namespace) -> str:
    """The canonical command that reproduces this run (what BENCHMARKS.md shows)."""
    parts = [
        "capacity bench",
        f"--scales {','.join(str(scale) for scale in args.scales)}",
        f"--engines {','.join(args.engines)}",
    ]
    if args.seed != DEFAULT_SEED:
        parts.append(f"--seed {args.seed}")
    if args.repeat != 1:
        parts.append(f"--repeat {args.repeat}")
    if args.no_build:
        parts.append("--no-build")
    if args.no_naive:
        parts.append("--no-naive")
    if args.whole_project:
        parts.append("--whole-project")
    if args.write_markdown:
        parts.append(f"--write-markdown {args.write_markdown}")
    if args.markdown_block:
        parts.append(f"--markdown-block {shlex.quote(args.markdown_block)}")
    return " ".join(parts)


def handle_bench(args: argparse.Namespace) -> int:
    from capacity.bench.markdown import (
        growth_table,
        peak_memory_lines,
        ratios_table,
        startup_table,
        steps_table,
    )
    from capacity.bench.markdown import write_markdown as write_report
    from capacity.bench.runner import run_bench

    settings = _settings(args)
    try:
        memory_limit = duckdb_memory_limit()  # every child reads it: a bad one fails now
    except ValueError as exc:
        return fail("bench", str(exc), EXIT_USAGE)
    if args.markdown_block and not args.write_markdown:
        return fail("bench", "--markdown-block needs --write-markdown", EXIT_USAGE)
    say(f"DuckDB memory limit {memory_limit} for every DuckDB of the run")
    try:
        result = run_bench(
            args.scales,
            args.engines,
            settings,
            command=_command_line(args),
            with_build=not args.no_build,
            with_naive=not args.no_naive,
            with_whole_project=args.whole_project,
            keep_data=args.keep_data,
            repeat=args.repeat,
        )
    except FiguresDiffer as exc:
        sys.stderr.write(f"capacity bench: the approaches disagree, no time reported:\n{exc}\n")
        return EXIT_FAILED
    except CommandFailed as exc:
        sys.stderr.write(f"capacity bench: a measured step failed:\n{exc}\n")
        return EXIT_FAILED
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "results.json").write_text(json.dumps(result.as_dict(), indent=2))
    if args.json:
        print_json(result.as_dict())
    else:
        tables = [
            *peak_memory_lines(result),
            "",
            *steps_table(result.results),
            "",
            *ratios_table(result.results),
            "",
            *growth_table(result.results),
            "",
        ]
        sys.stdout.write("\n".join([*tables, *startup_table(result)]) + "\n")
    if args.write_markdown:
        write_report(args.write_markdown, result, args.markdown_block)
        sys.stderr.write(f"wrote {args.write_markdown}\n")
    return EXIT_OK
