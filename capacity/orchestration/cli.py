"""``capacity orchestrate``: the Dagster UI (``dagster dev``) on 127.0.0.1.

Imports no Dagster at start-up (the `orchestration` extra may not be installed,
and `capacity --help` must stay fast): the handler checks for it, optionally
materialises the demo through Dagster, then replaces this process with
``python -m dagster dev`` on the code location.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import sys
from pathlib import Path

from capacity import settings
from capacity.cli import EXIT_FAILED, EXIT_USAGE, add_target_option, bounded_int, fail

# Loopback only: `dagster dev` has no login, and its UI can launch runs that write.
HOST = "127.0.0.1"
DEFAULT_PORT = 3000
CODE_LOCATION_MODULE = "capacity.orchestration.definitions"
DAGSTER_YAML = Path(__file__).resolve().parent / "deploy" / "dagster.yaml"
REQUIRED = ("dagster", "dagster_dbt", "dagster_webserver")


def dagster_home() -> Path:
    """DAGSTER_HOME when set, else ``.dagster`` under the work directory (runs, logs, schedules)."""
    home = os.environ.get("DAGSTER_HOME", "")
    return Path(home).resolve() if home.strip() else settings.work_dir() / ".dagster"


def prepare_dagster_home(home: Path) -> Path:
    """Create ``home`` with the project's dagster.yaml unless it has one already."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return home


def dev_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        CODE_LOCATION_MODULE,
        "--host",
        HOST,
        "--port",
        str(port),
    ]


def _materialize_demo() -> int:
    from dagster import DagsterInstance

    from capacity.orchestration.demo import materialize_demo
    from capacity.orchestration.location import build_definitions

    runs = materialize_demo(build_definitions("dev"), DagsterInstance.get())
    if runs.failed:
        return fail("orchestrate", f"the demo's runs failed: {', '.join(runs.failed)}")
    sys.stderr.write(
        f"demo materialised through Dagster: run {runs.main.run_id} built every asset at "
        f"{settings.DEMO_AS_OF}; the cache freshness check fails, as it should on the demo "
        "(its caches were fetched in March 2026)\n"
    )
    return 0


def _orchestrate(args: argparse.Namespace) -> int:
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        return fail(
            "orchestrate",
            f"{', '.join(missing)} not installed: pip install -e '.[orchestration]' "
            "(make install and make test do)",
            EXIT_USAGE,
        )
    target = args.target or settings.default_target()
    if args.demo and target != "dev":
        return fail("orchestrate", "--demo builds the embedded DuckDB demo: use --target dev")
    home = prepare_dagster_home(dagster_home())
    # What the code location, its runs and dbt read: this process's settings, resolved.
    os.environ.update({**settings.profile_env(), "CAPACITY_TARGET": target})
    os.environ["DAGSTER_HOME"] = str(home)
    if args.demo and _materialize_demo() != 0:
        return EXIT_FAILED
    sys.stderr.write(
        f"Dagster UI on http://{HOST}:{args.port} ({target} target, DAGSTER_HOME={home}); "
        "Ctrl-C stops it\n"
    )
    sys.stderr.flush()
    # A shell starts background jobs with SIGINT ignored, and dagster dev stops on
    # SIGINT (SIGTERM too, which it maps to SIGINT's handler): give it the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    command = dev_command(args.port)
    os.execv(command[0], command)
    return EXIT_FAILED  # not reached: execv replaces this process


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "orchestrate",
        help="start the Dagster UI on 127.0.0.1: the pipeline as assets, checks and schedules",
        description="Start the Dagster UI (dagster dev: webserver and daemon) on "
        f"{HOST} for the code location {CODE_LOCATION_MODULE}: every dbt model an asset, "
        "every dbt test an asset check, the snapshots, KPI card and constrained list "
        "downstream, the schedules and the backfill job (docs/orchestration.md). Needs the "
        "`orchestration` extra. Runs and schedules live in DAGSTER_HOME (default: .dagster "
        "under CAPACITY_HOME).",
    )
    parser.add_argument(
        "--port",
        type=bounded_int(1, 65535),
        default=DEFAULT_PORT,
        help="port of the UI (default: %(default)s)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="first run the demo through Dagster (seeds, the earlier history runs, every "
        "asset at the demo's as_of), so the UI opens on its materialisations",
    )
    add_target_option(parser, "to orchestrate")
    parser.set_defaults(handler=_orchestrate)
