"""The `capacity` command line: one entry point, one sub-command per job."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

# Each job module exposes `register(subparsers)`, which adds its sub-command and
# sets `handler` (a callable taking the parsed args and returning an exit code).
Registrar = Callable[[argparse._SubParsersAction], None]


def _registrars(command: str | None = None) -> list[Registrar]:
    from capacity import backfill_cli

    if command == "backfill":
        # The other commands import dbt (6-7 s); the backfill, its --help included, needs none.
        return [backfill_cli.register]
    from capacity import bench_cli, commands, consumers_cli

    return [commands.register, backfill_cli.register, consumers_cli.register, bench_cli.register]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that sub-command's (others are not imported)."""
    parser = argparse.ArgumentParser(prog="capacity", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for register in _registrars(command):
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # dbt installs a root handler on import; ours must win
    )
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
