"""The figures the three approaches must agree on, and the comparison that says if they do.

Per workspace: the combined and per-source booked / available / total / % and the
unattributed count (FIGURE_COLUMNS, in the mart's names). Percentages compare to
1e-9 (the engines divide in double precision, Python in its float); everything else,
NULL included, compares exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from capacity.bench.floor import FIGURE_COLUMNS

FigureRow = tuple[int | float | None, ...]
Figures = dict[str, FigureRow]

PCT_TOLERANCE = 1e-9


class FiguresDiffer(AssertionError):
    """Two approaches gave different figures: no time is worth printing."""


def normalise_row(values: Sequence[Any]) -> FigureRow:
    """Database values to plain ints / floats / None (Decimal percentages to float)."""
    row: list[int | float | None] = []
    for column, value in zip(FIGURE_COLUMNS, values, strict=True):
        if value is None:
            row.append(None)
        elif column.endswith("_pct"):
            row.append(float(value))
        else:
            row.append(int(value))
    return tuple(row)


def figures_from_rows(rows: Iterable[Sequence[Any]]) -> Figures:
    """Rows of (workspace_id, *FIGURE_COLUMNS) to Figures; a workspace twice is an
    error (a join that fanned out), not a row that silently replaces the other."""
    figures: Figures = {}
    for row in rows:
        workspace = str(row[0])
        if workspace in figures:
            raise FiguresDiffer(f"{workspace}: more than one row of figures")
        figures[workspace] = normalise_row(row[1:])
    return figures


def _same(column: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if column.endswith("_pct"):
        return math.isclose(left, right, rel_tol=0.0, abs_tol=PCT_TOLERANCE)
    return bool(left == right)


def differences(
    left: Mapping[str, FigureRow], right: Mapping[str, FigureRow], limit: int = 10
) -> list[str]:
    """Human-readable differences (at most ``limit``), empty when the figures agree."""
    problems: list[str] = []
    missing = sorted(set(left) ^ set(right))
    for workspace in missing[:limit]:
        side = "left" if workspace in left else "right"
        problems.append(f"{workspace}: only on the {side}")
    for workspace in sorted(set(left) & set(right)):
        if len(problems) >= limit:
            break
        for column, a, b in zip(FIGURE_COLUMNS, left[workspace], right[workspace], strict=True):
            if not _same(column, a, b):
                problems.append(f"{workspace}.{column}: {a!r} != {b!r}")
    return problems


def check_agree(named: Mapping[str, Mapping[str, FigureRow]]) -> None:
    """Raise FiguresDiffer unless every approach gave the same figures as the first."""
    items = list(named.items())
    reference_name, reference = items[0]
    for name, figures in items[1:]:
        problems = differences(reference, figures)
        if problems:
            raise FiguresDiffer(
                f"{reference_name} and {name} disagree ({len(reference)} vs {len(figures)} "
                "workspaces):\n  " + "\n  ".join(problems)
            )


def write_figures(path: Path, figures: Figures, **meta: Any) -> None:
    path.write_text(json.dumps({"meta": meta, "figures": figures}))


def read_figures(path: Path) -> tuple[Figures, dict[str, Any]]:
    data = json.loads(path.read_text())
    figures = {workspace: tuple(values) for workspace, values in data["figures"].items()}
    return figures, data["meta"]
