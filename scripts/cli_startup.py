"""CLI start-up figures: how long `capacity` takes to answer, against Python itself.

Runs each command several times in fresh processes and prints the median wall
time, with its ratio to a bare `python -c pass` and to importing dbt, measured in
the same run. The figures go to docs and reviews; no test times anything.

    .venv/bin/python scripts/cli_startup.py [--runs 7] [--json]

`capacity snapshot` reads the demo's mart: run `make run` first for a figure of a
real read (without a mart it measures start-up plus the error path).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CAPACITY = str(BIN / "capacity") if (BIN / "capacity").exists() else shutil.which("capacity")

COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "python -c 'import dbt.cli.main'": [sys.executable, "-c", "import dbt.cli.main"],
    "capacity --help": [str(CAPACITY), "--help"],
    "capacity snapshot --help": [str(CAPACITY), "snapshot", "--help"],
    "capacity backfill --help": [str(CAPACITY), "backfill", "--help"],
    "capacity build --help": [str(CAPACITY), "build", "--help"],
    "capacity snapshot --workspace ws_acme": [str(CAPACITY), "snapshot", "--workspace", "ws_acme"],
}


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default: 7)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if CAPACITY is None:
        sys.exit("cli_startup: no `capacity` command; run `make run` (it installs it) first")
    figures = {name: median_seconds(argv, args.runs) for name, argv in COMMANDS.items()}
    baseline = figures["python -c pass (baseline)"]
    dbt_import = figures["python -c 'import dbt.cli.main'"]
    if args.json:
        print(json.dumps({"runs": args.runs, "median_seconds": figures}, indent=2))
        return 0
    print(f"median wall time of {args.runs} runs each")
    print(f"{'command':<42} {'seconds':>8} {'x python':>9} {'x dbt import':>13}")
    for name, seconds in figures.items():
        print(
            f"{name:<42} {seconds:>8.3f} {seconds / baseline:>9.1f} {seconds / dbt_import:>13.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
