"""The bench's DuckDB memory settings, its memory ceiling and its Markdown blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from capacity import settings
from capacity.bench.markdown import growth_table, markers, peak_memory_lines, write_markdown
from capacity.bench.runner import WHOLE_PROJECT_STEP, BenchResult, EngineResult, Step
from capacity.bench.scenario import BenchSettings
from capacity.settings import DUCKDB_MEMORY_LIMIT_DEFAULT, PROJECT_DIR, duckdb_memory_limit
from capacity.warehouse import Warehouse, connect

DUCKDB_MEMORY_LIMIT_ENV = "CAPACITY_DUCKDB_MEMORY_LIMIT"
DUCKDB_TEMP_DIR_ENV = "CAPACITY_DUCKDB_TEMP_DIR"

GIB = 2**30


def test_profile_and_bench_share_the_duckdb_memory_settings() -> None:
    """profiles.yml's dev output reads the same variables, with the same default limit."""
    profile = (PROJECT_DIR / "profiles.yml").read_text()
    limit = re.search(r"memory_limit: \"\{\{ env_var\('(\w+)', '([^']+)'\) \}\}\"", profile)
    assert limit is not None, "profiles.yml sets no memory_limit from the environment"
    assert limit.groups() == (DUCKDB_MEMORY_LIMIT_ENV, DUCKDB_MEMORY_LIMIT_DEFAULT)
    assert f"temp_directory: \"{{{{ env_var('{DUCKDB_TEMP_DIR_ENV}'" in profile


def test_memory_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DUCKDB_MEMORY_LIMIT_ENV, raising=False)
    assert duckdb_memory_limit() == DUCKDB_MEMORY_LIMIT_DEFAULT
    monkeypatch.setenv(DUCKDB_MEMORY_LIMIT_ENV, " 6 GiB ")
    assert duckdb_memory_limit() == "6GiB"
    for bad in ("lots", "80%", "4", "-1GB", "4GB'; drop table x"):
        monkeypatch.setenv(DUCKDB_MEMORY_LIMIT_ENV, bad)
        with pytest.raises(ValueError, match=f"{DUCKDB_MEMORY_LIMIT_ENV} must be .* such as 4GB"):
            duckdb_memory_limit()


def test_every_duckdb_connection_gets_the_limit_and_a_spill_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import duckdb

    database = tmp_path / "x.duckdb"
    duckdb.connect(str(database)).close()
    monkeypatch.setenv(DUCKDB_MEMORY_LIMIT_ENV, "300MB")
    monkeypatch.setenv(DUCKDB_TEMP_DIR_ENV, str(tmp_path / "spill"))
    with connect(Warehouse("duckdb", str(database), "main")) as connection:
        limit, temp = connection.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert limit.replace(" ", "") in ("286.1MiB", "300.0MB")  # DuckDB prints it in MiB
    assert temp == str(tmp_path / "spill")
    # unset: beside dbt's target/, as profiles.yml's default
    monkeypatch.delenv(DUCKDB_TEMP_DIR_ENV)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    assert settings.duckdb_temp_dir() == tmp_path / "target" / "duckdb_tmp"
    assert settings.profile_env()[DUCKDB_TEMP_DIR_ENV] == str(tmp_path / "target" / "duckdb_tmp")


def test_the_bench_spills_into_its_data_directory(tmp_path: Path) -> None:
    bench = BenchSettings(data_dir=tmp_path)
    assert bench.child_env()[DUCKDB_TEMP_DIR_ENV] == str(tmp_path / "duckdb_tmp")


def _result(workspaces: int, entries: int, run: float, floor: float, rss: int) -> EngineResult:
    result = EngineResult(workspaces, "duckdb", entries, 0)
    result.steps["dbt run"] = Step("dbt run", run + 3, run, rss)
    result.steps["hand-written SQL"] = Step("hand-written SQL", floor + 1, floor, rss // 2)
    return result


def test_growth_is_checked_against_the_growth_of_the_workspaces() -> None:
    results = [
        _result(10_000, 19_000_000, 5.0, 3.5, GIB),
        _result(100_000, 190_000_000, 48, 40, GIB),
    ]
    table = growth_table(results)
    assert "| duckdb | dbt run | 10,000 → 100,000 | 10.00 | 10.00 | 5.0 → 48.0 | 9.60 " in table[2]
    assert table[2].endswith("| ≤ 10.0 (met) |")
    assert table[3].endswith("| ≤ 10.0 (**not met**) |")  # 3.5 → 40: 11.4 times
    assert growth_table(results[:1]) == []  # one scale: nothing to compare
    # the whole project's build is a figure, without a target, growth included
    for result in results:
        result.steps[WHOLE_PROJECT_STEP] = Step(WHOLE_PROJECT_STEP, 90, 80, GIB)
    assert growth_table(results)[2:] == table[2:]


def test_the_largest_peak_of_any_process_is_checked_against_8_gib() -> None:
    bench = BenchResult(command="test", settings={})
    bench.generation.append({"workspaces": 10, "seconds": 1.0, "peak_rss_bytes": GIB})
    bench.results.append(_result(10, 100, 1.0, 1.0, 9 * GIB))
    (line,) = peak_memory_lines(bench)
    assert "9,216 MiB (dbt run, duckdb at 10)" in line
    assert line.endswith("**not met**.")
    bench.results[0] = _result(10, 100, 1.0, 1.0, 2 * GIB)
    assert peak_memory_lines(bench)[0].endswith(": met.")


def test_named_blocks_are_replaced_in_place(tmp_path: Path) -> None:
    page = tmp_path / "BENCHMARKS.md"
    begin, end = markers("100k")
    page.write_text(f"# B\n\n## Results\n\n{begin}\nold\n{end}\n\n## Other\n\ntext\n")
    bench = BenchResult(command="capacity bench --scales 100000", settings={"seed": 1})
    bench.results.append(_result(10, 100, 1.0, 1.0, GIB))
    write_markdown(page, bench, "100k")
    text = page.read_text()
    assert "old" not in text
    assert text.index("## Results") < text.index("capacity bench --scales 100000")
    assert text.index(end) < text.index("## Other")
    assert text.count(begin) == 1
    with pytest.raises(ValueError, match="block name"):
        markers("a --> b")
