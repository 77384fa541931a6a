"""The `capacity` command line: one entry point, one sub-command per job.

Each job's ``cli`` module adds its sub-commands and imports nothing heavy at
start-up (dbt, database drivers, HTTP clients load inside the handlers), so
``capacity --help`` and every ``<command> --help`` answer at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from capacity.backfill import cli as backfill_cli
from capacity.bench import cli as bench_cli
from capacity.consumers import cli as consumers_cli
from capacity.demo import cli as demo_cli
from capacity.mart import cli as mart_cli
from capacity.orchestration import cli as orchestration_cli

JOB_CLIS = (demo_cli, mart_cli, consumers_cli, backfill_cli, bench_cli, orchestration_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="capacity", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for job_cli in JOB_CLIS:
        job_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # dbt installs a root handler on import; ours must win
    )
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
