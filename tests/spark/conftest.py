"""The demo built on Apache Spark through dbt-spark's `session` method (a local[*] Spark).

These tests carry the `spark` marker and are deselected unless the marker
expression asks for them: a JVM, Spark and a Hive metastore take minutes to
start and build, so they run as `make test-spark` (`pytest -m spark tests/spark`),
which .ci/run also runs, rather than in `make test`. Without pyspark (the
`spark` extra) or Java they skip with the reason, except under CI=true, where
that is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from collections.abc import Iterator

import pytest
from spark_support import SPARK_SCHEMA, SparkDemo, spark_dbt_env

from capacity.mart import dbt_runner
from capacity.settings import DEMO_AS_OF

BUILD_SECONDS: list[float] = []  # for the summary line


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "spark" in (config.option.markexpr or ""):
        return  # -m spark (or an expression naming it) decides
    deselected = [item for item in items if item.get_closest_marker("spark")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("spark")]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if BUILD_SECONDS:
        terminalreporter.write_line(
            f"Spark demo: dbt seed + build took {BUILD_SECONDS[0]:.0f} s "
            "(JVM and metastore start-up included)"
        )


def spark_unavailable(reason: str) -> None:
    """Skip, or under CI=true fail, because the Spark run cannot start."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the Spark tests must run, not skip)", pytrace=False)
    pytest.skip(f"{reason} (`make test-spark` installs the spark extra)")


@pytest.fixture(scope="session")
def spark_runtime() -> None:
    """dbt-spark, pyspark and a Java runtime are there (else skip, or fail under CI=true)."""
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        spark_unavailable("dbt-spark[session] and pyspark are not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        spark_unavailable("no Java runtime for Spark (java not on PATH, JAVA_HOME unset)")


@pytest.fixture(scope="session")
def spark_demo(
    spark_runtime: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkDemo]:
    """The demo seeds loaded, then built (models, unit and data tests) on Spark at its as_of."""
    tmp = tmp_path_factory.mktemp("spark_demo")
    spark_dir = tmp / "spark"
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in spark_dbt_env(tmp, spark_dir, SPARK_SCHEMA).items():
            monkeypatch.setenv(name, value)
        started = time.monotonic()
        dbt_runner.build(
            target="spark", dbt_vars={"capacity_as_of": DEMO_AS_OF}, load_demo_seeds=True
        )
        build_seconds = time.monotonic() - started
    BUILD_SECONDS.append(build_seconds)

    from pyspark.sql import SparkSession

    # dbt-spark's session method keeps its SparkSession in this process.
    session = SparkSession.builder.getOrCreate()
    try:
        yield SparkDemo(session, SPARK_SCHEMA, spark_dir, tmp, build_seconds)
    finally:
        session.stop()
