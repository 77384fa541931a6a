"""The mart's sub-commands: `build` (dbt build on a target) and `show` (print it).

dbt is imported by the `build` handler only: `show` and every `--help` start without it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from capacity.cli import EXIT_OK, add_json_option, add_target_option, fail, print_json
from capacity.warehouse import connect, database_errors, warehouse_for


def window_vars(as_of: str | None, app_schema: str | None = None) -> dict[str, Any]:
    """dbt vars for a window start and an app schema, each only when given."""
    dbt_vars: dict[str, Any] = {}
    if as_of:
        dbt_vars["capacity_as_of"] = as_of
    if app_schema:
        dbt_vars["app_schema"] = app_schema
    return dbt_vars


def show(target: str | None, *, as_json: bool = False) -> int:
    """Print the built mart and the constrained list of a target."""
    from capacity.mart import show as tables

    warehouse = warehouse_for(target)
    try:
        with connect(warehouse) as connection:
            rows = tables.load_mart(connection, warehouse)
            constrained = tables.load_constrained(connection, warehouse)
    except database_errors() as error:
        return fail("show", f"cannot read the mart at {warehouse.address}: {error}")
    if as_json:
        print_json({"workspaces": rows, "constrained": constrained})
    else:
        sys.stdout.write(tables.format_capacity_table(rows) + "\n\n")
        sys.stdout.write(tables.format_constrained_table(constrained) + "\n")
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    from capacity.mart import dbt_runner

    try:
        dbt_runner.build(
            target=args.target,
            dbt_vars=window_vars(args.as_of, args.app_schema),
            load_demo_seeds=args.demo_seeds,
            scheduled=args.scheduled,
        )
    except dbt_runner.DbtCommandError as error:
        return fail("build", str(error))
    return show(args.target, as_json=args.json)


def _show(args: argparse.Namespace) -> int:
    return show(args.target, as_json=args.json)


def register(subparsers: argparse._SubParsersAction) -> None:
    build = subparsers.add_parser(
        "build", help="dbt build the project on a target, then show the mart"
    )
    add_target_option(build, "to build")
    build.add_argument("--as-of", default=None, help="window start, ISO-8601 (default: now)")
    build.add_argument(
        "--app-schema",
        default=None,
        help="schema of the app's tables (default: $CAPACITY_APP_SCHEMA, else public on "
        "postgres, main_app on dev)",
    )
    build.add_argument(
        "--demo-seeds", action="store_true", help="load the demo seeds first (DuckDB)"
    )
    build.add_argument(
        "--scheduled",
        action="store_true",
        help="as a scheduled build: the models and their data tests, not the unit tests "
        "(those check the SQL on fixed inputs; make test runs them)",
    )
    add_json_option(build, "the mart")
    build.set_defaults(handler=_build)

    show_parser = subparsers.add_parser("show", help="print the built mart as a table")
    add_target_option(show_parser)
    add_json_option(show_parser, "the mart")
    show_parser.set_defaults(handler=_show)
