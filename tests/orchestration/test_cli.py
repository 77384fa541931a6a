"""`capacity orchestrate`: help without Dagster loaded, and clear refusals.

Starting the UI itself is test_ui.py's (a real browser on it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from capacity.main import main
from capacity.orchestration import cli


def test_help_imports_neither_dagster_nor_dbt() -> None:
    code = (
        "import sys\n"
        "from capacity.main import main\n"
        "for argv in (['--help'], ['orchestrate', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_dbt', 'dbt')]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "orchestrate" in done.stdout and "--demo" in done.stdout and "127.0.0.1" in done.stdout


def test_without_the_extra_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    assert main(["orchestrate"]) == 2
    assert "pip install -e '.[orchestration]'" in capsys.readouterr().err


def test_demo_is_the_duckdb_demo_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["orchestrate", "--demo", "--target", "postgres"]) == 1
    assert "--target dev" in capsys.readouterr().err


def test_dagster_home_gets_the_projects_instance_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("CAPACITY_HOME", str(tmp_path))
    home = cli.prepare_dagster_home(cli.dagster_home())
    assert home == tmp_path / ".dagster"
    assert (home / "dagster.yaml").read_text() == cli.DAGSTER_YAML.read_text()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    cli.prepare_dagster_home(home)  # an instance's own settings are kept
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_the_instance_settings_load(tmp_path: Path) -> None:
    from dagster import DagsterInstance

    cli.prepare_dagster_home(tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    assert cli.dev_command(3999)[-4:] == ["--host", "127.0.0.1", "--port", "3999"]
