"""`capacity bench --engines spark` at a small scale: dbt on Spark and the hand-written
Spark SQL give the same figures (issue 16; BENCHMARKS.md's Spark rows are this run at
1,000 workspaces). Times are not checked; equality and the measured JVM are."""

from __future__ import annotations

from pathlib import Path

import pytest

from capacity.bench.runner import run_bench
from capacity.bench.scenario import BenchSettings

pytestmark = pytest.mark.spark

WORKSPACES = 30


def test_bench_agrees_on_spark(spark_runtime: None, tmp_path: Path) -> None:
    settings = BenchSettings(data_dir=tmp_path / "bench", app_schema="bench_test_app")

    # run_bench raises FiguresDiffer when dbt and the hand-written query disagree.
    result = run_bench([WORKSPACES], ["spark"], settings, command="test", with_build=False)

    (spark,) = result.results
    assert spark.engine == "spark" and spark.workspaces == WORKSPACES
    assert set(spark.steps) == {"dbt run", "hand-written SQL"}  # no naive loop on Spark
    assert spark.slot_entries > 40_000
    for step in spark.steps.values():
        assert step.work_seconds > 0
        assert step.peak_rss_bytes > 200 * 2**20  # pyspark's JVM is counted, not only Python
    assert not (tmp_path / "bench" / "spark").exists()  # the generated data is removed
