"""dbt as the benchmark runs it: a child process per command, pointed at generated data.

Every command gets the same vars (as_of, app_schema), the same profile connection
(DuckDB file, PostgreSQL models schema) and its engine's own target/ directory, so
that dbt's partial parsing is valid from one command to the next; the file log is
read back (JSON, at the project's info level) to show whether a command re-parsed the
project (dbt logs every refusal to parse partially at that level), and
run_results.json to split a command's wall time into dbt's own start-up and the
time its nodes ran.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from capacity.bench.measure import Measured, run_measured
from capacity.bench.scenario import AS_OF_ISO, MART, MART_BY_SOURCE, WINDOW_DAYS, BenchSettings
from capacity.settings import PROJECT_DIR, SCHEDULED_DBT_BUILD, profile_env

TARGETS = {"duckdb": "dev", "postgres": "postgres", "spark": "spark"}
# The capacity models and everything upstream of them; the demo seeds are not data here.
# Cautious: a test runs only when all the models it reads are selected (a test that also
# reads a model outside the selection would fail on a relation that was never built).
SELECTION = (
    "--select",
    f"+{MART}",
    f"+{MART_BY_SOURCE}",
    "--exclude",
    "resource_type:seed",
    "--indirect-selection",
    "cautious",
)

# The whole project, as the scheduled job builds it (the slot facts, the planning marts
# and every data test): everything but the seeds, the demo's stand-ins for the app tables
# the bench generates.
WHOLE_PROJECT = ("--exclude", "resource_type:seed")

# PartialParsingEnabled: "n files deleted, added, changed" (debug level: in the file log
# only when dbt runs with --log-level-file debug)
PARTIAL_PARSE_USED = "I040"
# UnableToPartialParse, with the reason (info level): a full parse with partial parsing
# on, as the bench runs dbt, logs it
PARTIAL_PARSE_REFUSED = "I024"
# FoundStats, "Found n models, ..." (info level): dbt got past parsing
PARSED = "W006"
PARSE_EVENTS = (PARTIAL_PARSE_USED, PARTIAL_PARSE_REFUSED, PARSED)


@dataclass(frozen=True)
class DbtTiming:
    """One dbt command: the process, how it parsed, and when its nodes ran."""

    command: str
    process: Measured
    parse: str  # "partial", "partial (0 files changed)", "full: <reason>", "unknown (...)"
    nodes_seconds: float  # first node start to last node end (0 for parse)
    model_count: int
    test_count: int

    @property
    def startup_seconds(self) -> float:
        """Everything that is not the nodes running: start-up, parse, connections."""
        return self.process.seconds - self.nodes_seconds


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


class DbtBench:
    """Runs dbt commands on one engine against the generated app tables."""

    def __init__(self, engine: str, settings: BenchSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.target_dir = settings.dbt_target_dir(engine)
        self.log_dir = settings.dbt_log_dir(engine)

    def env(self) -> dict[str, str]:
        # profiles.yml reads the settings' resolved values; the bench's own file and schema.
        env = {**os.environ, **profile_env()}
        env.update(
            DBT_TARGET_PATH=str(self.target_dir),
            DBT_LOG_PATH=str(self.log_dir),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            CAPACITY_DUCKDB_PATH=str(self.settings.duckdb_file.resolve()),
            CAPACITY_PG_SCHEMA=self.settings.pg_models_schema,
            CAPACITY_DUCKDB_TEMP_DIR=str(self.settings.duckdb_temp_dir),
            CAPACITY_SPARK_DIR=str(self.settings.spark_dir.resolve()),
            CAPACITY_SPARK_SCHEMA=self.settings.pg_models_schema,
        )
        return env

    def argv(self, command: str, *extra: str) -> list[str]:
        dbt_vars = {
            "capacity_as_of": AS_OF_ISO,
            "capacity_window_days": WINDOW_DAYS,
            "app_schema": self.settings.app_schema,
        }
        return [
            dbt_executable(),
            # The project's file log level, as every build runs, and partial parsing on,
            # whatever the environment says (DBT_LOG_LEVEL_FILE, DBT_PARTIAL_PARSE):
            # parse_mode reads the events logged at that level. JSON to read them.
            "--log-format-file",
            "json",
            "--log-level-file",
            "info",
            "--partial-parse",
            command,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target",
            TARGETS[self.engine],
            "--vars",
            json.dumps(dbt_vars, sort_keys=True),
            *extra,
        ]

    def forget_parse_state(self) -> None:
        """Remove the saved manifest, so the next command parses from scratch."""
        (self.target_dir / "partial_parse.msgpack").unlink(missing_ok=True)

    def _invoke(self, command: str, *extra: str, label: str = "") -> DbtTiming:
        log_file = self.log_dir / "dbt.log"
        log_file.unlink(missing_ok=True)
        (self.target_dir / "run_results.json").unlink(missing_ok=True)
        process = run_measured(
            self.argv(command, *extra),
            env=self.env(),
            cwd=PROJECT_DIR,
            output_path=self.settings.work_dir / f"dbt-{self.engine}-{label or command}.out",
            # dbt-spark's session runs in a JVM that pyspark starts as a child process
            include_descendants=self.engine == "spark",
        )
        nodes_seconds, models, tests = self._node_window()
        return DbtTiming(command, process, parse_mode(log_file), nodes_seconds, models, tests)

    def parse(self) -> DbtTiming:
        return self._invoke("parse")

    def run(self) -> DbtTiming:
        """The capacity models, no tests."""
        return self._invoke("run", *SELECTION)

    def build(self) -> DbtTiming:
        """The capacity models with their data tests and unit tests."""
        return self._invoke("build", *SELECTION)

    def scheduled_build(self) -> DbtTiming:
        """The capacity models with their data tests, as a scheduled build runs them."""
        command, *flags = SCHEDULED_DBT_BUILD
        return self._invoke(command, *SELECTION, *flags, label="build-scheduled")

    def whole_project_build(self) -> DbtTiming:
        """Every model with its data tests, as the scheduled job builds the project."""
        command, *flags = SCHEDULED_DBT_BUILD
        return self._invoke(command, *WHOLE_PROJECT, *flags, label="build-whole-project")

    def _node_window(self) -> tuple[float, int, int]:
        path = self.target_dir / "run_results.json"
        if not path.exists():
            return 0.0, 0, 0
        results = json.loads(path.read_text())["results"]
        starts, ends = [], []
        for result in results:
            for step in result.get("timing", []):
                if step.get("started_at") and step.get("completed_at"):
                    starts.append(_timestamp(step["started_at"]))
                    ends.append(_timestamp(step["completed_at"]))
        models = sum(1 for r in results if r["unique_id"].startswith("model."))
        tests = sum(1 for r in results if r["unique_id"].startswith(("test.", "unit_test.")))
        failed = [r["unique_id"] for r in results if not _succeeded(r)]
        if failed:
            raise RuntimeError(f"dbt nodes did not succeed: {failed}")
        window = (max(ends) - min(starts)).total_seconds() if starts else 0.0
        return window, models, tests


def _succeeded(result: dict[str, Any]) -> bool:
    # an exposure (in a build of the whole project) runs nothing: dbt reports it no-op
    if result["unique_id"].startswith("exposure."):
        return result["status"] == "no-op"
    return result["status"] in ("success", "pass", "warn")


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_mode(log_file: Path) -> str:
    """How the command parsed the project, from dbt's JSON file log."""
    if not log_file.exists():
        return "unknown (no log)"
    detail, parsed = None, False
    with log_file.open() as lines:
        for line in lines:
            if not any(code in line for code in PARSE_EVENTS):
                continue
            try:
                info: dict[str, Any] = json.loads(line)["info"]
            except (ValueError, KeyError):
                continue
            code, message = info.get("code"), info.get("msg", "")
            if code == PARTIAL_PARSE_REFUSED:
                return "full: " + message.removeprefix("Unable to do partial parsing ")
            if code == PARTIAL_PARSE_USED:
                detail = message.removeprefix("Partial parsing enabled: ").rstrip(".")
            parsed = parsed or code == PARSED
    if detail is not None:
        return f"partial ({detail})"
    # past parsing with no refusal: partial (its detail is logged at debug level only)
    return "partial" if parsed else "unknown (dbt did not get past parsing)"
