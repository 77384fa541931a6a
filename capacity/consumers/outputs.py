"""Every workspace's Insights snapshot and the KPI page, written to files together."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capacity.consumers import kpi_card, snapshot
from capacity.warehouse import Warehouse

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


@dataclass(frozen=True)
class Outputs:
    snapshots: list[Path]  # one per workspace, in workspace order
    kpi_card: Path


def write_outputs(warehouse: Warehouse, out_dir: Path) -> Outputs:
    """Write every workspace's snapshot and the KPI page under ``out_dir``.

    Layout: ``out_dir/snapshots/<workspace id>.json`` and ``out_dir/kpi_card.html``.
    One read of the mart serves both, so the files agree with each other.
    """
    snapshots = snapshot.read_all_snapshots(warehouse)
    return Outputs(
        write_snapshots(snapshots, out_dir), kpi_card.write_page(snapshots, out_dir / KPI_PAGE)
    )


def write_snapshots(snapshots: Sequence[Mapping[str, Any]], out_dir: Path) -> list[Path]:
    """Write each snapshot to ``out_dir/snapshots/<workspace id>.json``; the paths, in order.

    Apart from :func:`write_outputs` for the Dagster asset that hands the same
    snapshots on to the KPI card's asset.
    """
    snapshot_dir = out_dir / SNAPSHOTS_DIR
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in snapshots:
        path = snapshot_dir / f"{snapshot_file_stem(item['workspaceId'])}.json"
        path.write_text(snapshot.to_json(item), encoding="utf-8")
        paths.append(path)
    return paths
