"""`capacity demo`: the README's main job, on top of the mart and its consumers.

Seeds, the earlier weekly runs (so the planning model has a trend), the main
build, then the mart printed and the Insights snapshots and KPI card written.
"""

from __future__ import annotations

import argparse
import sys

from capacity import settings
from capacity.cli import EXIT_OK, add_json_option, fail, print_json

OUTPUT_DIR_NAME = "output"


def build_demo() -> None:
    """The demo on the DuckDB dev target: seeds, the earlier weekly runs, then the main build.

    Also what the KPI card's browser tests and its screenshot script build, so
    the pictures in docs/ show what `make run` shows (the trend included).
    """
    from capacity.mart import dbt_runner, publish

    # One publication: readers see the previous demo until all of it is built.
    with publish.publishing("dev"):
        dbt_runner.run_dbt(["seed", "--full-refresh"], target="dev")
        for as_of in settings.DEMO_HISTORY_AS_OF:
            dbt_runner.run_dbt(
                ["run", "--select", "+workspace_capacity_history"],
                target="dev",
                dbt_vars={"capacity_as_of": as_of},
            )
        dbt_runner.build(target="dev", dbt_vars={"capacity_as_of": settings.DEMO_AS_OF})


def _demo(args: argparse.Namespace) -> int:
    from capacity.consumers.outputs import write_outputs
    from capacity.mart import dbt_runner
    from capacity.mart.cli import show
    from capacity.warehouse import warehouse_for

    try:
        build_demo()
    except dbt_runner.DbtCommandError as error:
        return fail("demo", str(error))
    if not args.json and show("dev") != EXIT_OK:
        return fail("demo", "the mart was built but cannot be read")
    out_dir = settings.work_dir() / OUTPUT_DIR_NAME
    outputs = write_outputs(warehouse_for("dev"), out_dir)
    if args.json:
        print_json(
            {
                "database": str(settings.duckdb_path()),
                "snapshots": [str(path) for path in outputs.snapshots],
                "kpiCard": str(outputs.kpi_card),
            }
        )
    else:
        sys.stdout.write(
            f"\nInsights Chat snapshots: {out_dir / 'snapshots'}/ "
            f"({len(outputs.snapshots)} workspaces)\nKPI card: {outputs.kpi_card}\n"
        )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo", help="build everything on the embedded DuckDB from the demo seeds and show the mart"
    )
    add_json_option(demo, "where the outputs were written (instead of the tables)")
    demo.set_defaults(handler=_demo)
