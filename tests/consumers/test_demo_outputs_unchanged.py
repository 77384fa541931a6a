"""The demo's marts, snapshots and KPI card are byte-for-byte what they were.

tests/golden/demo/ holds what `capacity demo` produced before the package was
reorganised by job (issue 15): a refactoring must not move a figure, a word of a
snapshot or a pixel of the card. A change that means to alter them regenerates
the files on purpose (`python tests/consumers/test_demo_outputs_unchanged.py DB`
writes marts.json from a demo database; the snapshots and card are `capacity
demo`'s output/ folder) and says why in its commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from capacity.consumers.outputs import write_outputs
from capacity.warehouse import Warehouse, connect, fetch_dicts

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo"
PUBLIC_MARTS = {
    "workspace_capacity_30d": "workspace_id",
    "workspace_capacity_30d_by_source": "workspace_id, availability_source",
    "capacity_constrained_workspaces": "workspace_id",
    "workspace_capacity_history": "workspace_id, as_of_date",
}
# When the run happened, not what it found: differs on every build.
RUN_TIME_COLUMNS = {"recorded_at"}


def dump_marts(warehouse: Warehouse) -> str:
    """The public marts' rows as canonical JSON (run-time columns left out)."""
    marts: dict[str, list[dict[str, Any]]] = {}
    with connect(warehouse) as connection:
        for mart, order in PUBLIC_MARTS.items():
            rows = fetch_dicts(
                connection, f"select * from {warehouse.relation(mart)} order by {order}"
            )
            marts[mart] = [
                {key: value for key, value in row.items() if key not in RUN_TIME_COLUMNS}
                for row in rows
            ]
    return json.dumps(marts, indent=1, sort_keys=True, default=str) + "\n"


def test_demo_marts_unchanged(demo_with_history: Warehouse) -> None:
    assert dump_marts(demo_with_history) == (GOLDEN / "marts.json").read_text("utf-8")


def test_demo_snapshots_and_card_unchanged(demo_with_history: Warehouse, tmp_path: Path) -> None:
    outputs = write_outputs(demo_with_history, tmp_path)
    golden_snapshots = sorted((GOLDEN / "snapshots").glob("*.json"))
    assert [path.name for path in outputs.snapshots] == [path.name for path in golden_snapshots]
    for produced, golden in zip(outputs.snapshots, golden_snapshots, strict=True):
        assert produced.read_bytes() == golden.read_bytes(), produced.name
    assert outputs.kpi_card.read_bytes() == (GOLDEN / "kpi_card.html").read_bytes()


if __name__ == "__main__":
    database = sys.argv[1]
    (GOLDEN / "marts.json").write_text(dump_marts(Warehouse("duckdb", database, "main")), "utf-8")
