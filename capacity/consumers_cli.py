"""``capacity snapshot`` and ``capacity kpi-card``: the mart's consumers on the command line.

Both read the built mart of a dbt target (DuckDB ``dev`` or ``postgres``) and
nothing else. Exit codes: 0 done, 1 the output cannot be produced (unknown
workspace, mart not built, database error; the reason goes to stderr, stdout
stays empty), 2 bad usage (argparse).

:func:`write_demo_outputs` is what ``capacity demo`` calls to leave the
snapshot of every demo workspace and the KPI page on disk.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Callable
from pathlib import Path

from capacity import kpi_card, snapshot
from capacity.warehouse import TARGET_ENGINES, Warehouse, warehouse_for

EXIT_OK = 0
EXIT_FAILED = 1

SNAPSHOTS_DIR = "snapshots"
KPI_PAGE = "kpi_card.html"

_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def snapshot_file_stem(workspace_id: str) -> str:
    """A file name for a workspace id: the id itself when harmless, else a slug plus a hash.

    Workspace ids come from the app's database; one holding ``/`` or ``..``
    must not write outside the output folder, and two ids must not collide.
    """
    if _SAFE_STEM.fullmatch(workspace_id):
        return workspace_id
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", workspace_id).strip("_")[:40] or "workspace"
    return f"{slug}-{hashlib.sha256(workspace_id.encode('utf-8')).hexdigest()[:10]}"


def write_demo_outputs(warehouse: Warehouse, out_dir: Path) -> list[Path]:
    """Write every workspace's snapshot and the KPI page under ``out_dir``; return the paths.

    Layout: ``out_dir/snapshots/<workspace id>.json`` (one per workspace, in
    workspace order) then ``out_dir/kpi_card.html`` (last in the list). One
    read of the mart serves both, so the files agree with each other.
    """
    snapshots = snapshot.read_all_snapshots(warehouse)
    snapshot_dir = out_dir / SNAPSHOTS_DIR
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in snapshots:
        path = snapshot_dir / f"{snapshot_file_stem(item['workspaceId'])}.json"
        path.write_text(snapshot.to_json(item), encoding="utf-8")
        paths.append(path)
    paths.append(kpi_card.write_page(snapshots, out_dir / KPI_PAGE))
    return paths


def _fail(command: str, message: str) -> int:
    sys.stderr.write(f"capacity {command}: {message}\n")
    return EXIT_FAILED


def _guarded(command: str, action: Callable[[], str]) -> int:
    """Run ``action``; print its text on success, or the reason on stderr and exit 1."""
    import duckdb
    import psycopg

    try:
        text = action()
    except snapshot.SnapshotError as error:
        return _fail(command, str(error))
    except (duckdb.Error, psycopg.Error) as error:
        return _fail(command, "database error: " + " ".join(str(error).split()))
    sys.stdout.write(text)
    return EXIT_OK


def _snapshot(args: argparse.Namespace) -> int:
    def action() -> str:
        if args.campaign is not None and not args.campaign.strip():
            raise snapshot.SnapshotError("--campaign must not be empty")
        warehouse = warehouse_for(args.target)
        return snapshot.to_json(
            snapshot.read_snapshot(warehouse, args.workspace, campaign_id=args.campaign)
        )

    return _guarded("snapshot", action)


def _kpi_card(args: argparse.Namespace) -> int:
    def action() -> str:
        warehouse = warehouse_for(args.target)
        path = kpi_card.write_kpi_page(warehouse, Path(args.output), args.workspace)
        return f"{path}\n"

    return _guarded("kpi-card", action)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=sorted(TARGET_ENGINES),
        default=None,
        help="dbt target to read: dev (DuckDB) or postgres (default: $CAPACITY_TARGET or dev)",
    )


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
    _add_target(snap)
    snap.set_defaults(handler=_snapshot)

    card = subparsers.add_parser(
        "kpi-card",
        help="write the 'Capacity (30d)' KPI card page (static HTML) from the built mart",
    )
    card.add_argument("--workspace", default=None, help="only this workspace (default: all)")
    card.add_argument("--output", required=True, help="path of the HTML file to write")
    _add_target(card)
    card.set_defaults(handler=_kpi_card)
