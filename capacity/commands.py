"""The mart's own sub-commands: `build`, `show` and `demo` (the README's main job)."""

from __future__ import annotations

import argparse
import sys

from capacity import dbt_runner, report
from capacity.consumers_cli import write_demo_outputs
from capacity.settings import PROJECT_DIR
from capacity.warehouse import connect, warehouse_for

# The demo seeds describe early March 2026; fixing as_of there keeps the demo's
# figures meaningful whatever today's date is.
DEMO_AS_OF = "2026-03-02T09:00:00Z"
# Earlier weekly runs the demo records first, so the planning model has a trend to show.
DEMO_HISTORY_AS_OF = ("2026-02-09T09:00:00Z", "2026-02-16T09:00:00Z", "2026-02-23T09:00:00Z")


def _window_vars(args: argparse.Namespace) -> dict[str, object]:
    dbt_vars: dict[str, object] = {}
    if args.as_of:
        dbt_vars["capacity_as_of"] = args.as_of
    if args.app_schema:
        dbt_vars["app_schema"] = args.app_schema
    return dbt_vars


def show(target: str | None) -> int:
    warehouse = warehouse_for(target)
    with connect(warehouse) as connection:
        rows = report.load_mart(connection, warehouse)
        constrained = report.load_constrained(connection, warehouse)
    sys.stdout.write(report.format_capacity_table(rows) + "\n\n")
    sys.stdout.write(report.format_constrained_table(constrained) + "\n")
    return 0


def _build(args: argparse.Namespace) -> int:
    dbt_runner.build(
        target=args.target, dbt_vars=_window_vars(args), load_demo_seeds=args.demo_seeds
    )
    return show(args.target)


def _show(args: argparse.Namespace) -> int:
    return show(args.target)


def build_demo() -> None:
    """The demo on the DuckDB dev target: seeds, the earlier weekly runs, then the main build.

    Also what the KPI card's browser tests and its screenshot script build, so
    the pictures in docs/ show what `make run` shows (the trend included).
    """
    dbt_runner.run_dbt(["seed", "--full-refresh"], target="dev")
    for as_of in DEMO_HISTORY_AS_OF:
        dbt_runner.run_dbt(
            ["run", "--select", "+workspace_capacity_history"],
            target="dev",
            dbt_vars={"capacity_as_of": as_of},
        )
    dbt_runner.build(target="dev", dbt_vars={"capacity_as_of": DEMO_AS_OF})


def _demo(args: argparse.Namespace) -> int:
    build_demo()
    status = show("dev")
    paths = write_demo_outputs(warehouse_for("dev"), PROJECT_DIR / "output")
    sys.stdout.write(
        f"\nInsights Chat snapshots: {paths[0].parent}/ ({len(paths) - 1} workspaces)\n"
        f"KPI card: {paths[-1]}\n"
    )
    return status


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo", help="build everything on the embedded DuckDB from the demo seeds and show the mart"
    )
    demo.set_defaults(handler=_demo)

    build = subparsers.add_parser(
        "build", help="dbt build the project on a target, then show the mart"
    )
    build.add_argument(
        "--target", default=None, help="dbt target: dev (DuckDB, default) or postgres"
    )
    build.add_argument("--as-of", default=None, help="window start, ISO-8601 (default: now)")
    build.add_argument("--app-schema", default=None, help="schema of the app's tables")
    build.add_argument(
        "--demo-seeds", action="store_true", help="load the demo seeds first (DuckDB)"
    )
    build.set_defaults(handler=_build)

    show_parser = subparsers.add_parser("show", help="print the built mart as a table")
    show_parser.add_argument("--target", default=None, help="dbt target: dev (default) or postgres")
    show_parser.set_defaults(handler=_show)
