"""``capacity snapshot`` and ``capacity kpi-card``: the mart's consumers on the command line.

Both read the built mart of a dbt target and nothing else. Exit codes: 0 done, 1 the
output cannot be produced (unknown workspace, mart not built, database error; the
reason goes to stderr, stdout stays empty), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from capacity.cli import EXIT_OK, add_json_option, add_target_option, fail


def _guarded(command: str, action: Callable[[], str]) -> int:
    """Run ``action``; print its text on success, or the reason on stderr and exit 1."""
    from capacity.consumers.snapshot import SnapshotError
    from capacity.warehouse import database_errors

    try:
        text = action()
    except SnapshotError as error:
        return fail(command, str(error))
    except database_errors() as error:
        return fail(command, f"database error: {error}")
    sys.stdout.write(text)
    return EXIT_OK


def _snapshot(args: argparse.Namespace) -> int:
    from capacity.consumers import snapshot
    from capacity.warehouse import warehouse_for

    def action() -> str:
        if args.campaign is not None and not args.campaign.strip():
            raise snapshot.SnapshotError("--campaign must not be empty")
        item = snapshot.read_snapshot(
            warehouse_for(args.target), args.workspace, campaign_id=args.campaign
        )
        return snapshot.to_json(item)

    return _guarded("snapshot", action)


def _kpi_card(args: argparse.Namespace) -> int:
    import json

    from capacity.consumers import kpi_card
    from capacity.warehouse import warehouse_for

    def action() -> str:
        path = kpi_card.write_kpi_page(
            warehouse_for(args.target), Path(args.output), args.workspace
        )
        return json.dumps({"kpiCard": str(path)}) + "\n" if args.json else f"{path}\n"

    return _guarded("kpi-card", action)


def register(subparsers: argparse._SubParsersAction) -> None:
    snap = subparsers.add_parser(
        "snapshot",
        help="print a workspace's Insights Chat snapshot (JSON) from the built mart",
        description=(
            "Print the Insights Chat analytics snapshot of one workspace as JSON, read from "
            "the built workspace_capacity_30d mart. With --campaign the snapshot is "
            "campaign-scoped and carries no `capacity` key (there is no per-campaign capacity)."
        ),
    )
    snap.add_argument("--workspace", required=True, help="workspace id (Client.id)")
    snap.add_argument("--campaign", default=None, help="campaign id: campaign scope")
    add_target_option(snap)
    snap.set_defaults(handler=_snapshot)

    card = subparsers.add_parser(
        "kpi-card",
        help="write the 'Capacity (30d)' KPI card page (static HTML) from the built mart",
    )
    card.add_argument("--workspace", default=None, help="only this workspace (default: all)")
    card.add_argument("--output", required=True, help="path of the HTML file to write")
    add_target_option(card)
    add_json_option(card, "the written path")
    card.set_defaults(handler=_kpi_card)
