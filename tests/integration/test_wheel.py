"""A built wheel, installed non-editable into a fresh virtualenv, runs the demo.

The dbt project (models, macros, seeds, dbt's own tests, dbt_project.yml,
profiles.yml) must travel inside the wheel (setup.py puts it there), every
runtime dependency must be declared, and nothing may be written inside the
installed package (dbt's target/ and logs/, the DuckDB file and output/ go to the
working directory). The demo it produces is the golden demo, byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "demo"
# Run in the fresh environment: every runtime requirement of the wheel is installed there.
DECLARED_DEPENDENCIES_RESOLVE = """
import importlib.metadata as metadata
from packaging.requirements import Requirement
for text in metadata.requires("capacity-analytics"):
    requirement = Requirement(text)
    if requirement.marker is None:
        assert metadata.version(requirement.name) in requirement.specifier, text
"""


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env(home: Path) -> dict[str, str]:
    """No setting of this checkout leaks in: no CAPACITY_*/DBT_* variables, no PYTHONPATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CAPACITY_", "DBT_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["HOME"] = os.environ.get("HOME", str(home))
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ of a fresh virtualenv with the wheel (and its declared dependencies)."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheel_dir = tmp / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheel_dir)],
        cwd=tmp,
    )
    (wheel,) = wheel_dir.glob("capacity_analytics-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    # The wheel alone, non-editable; its dependencies are this environment's, already
    # installed from the same pins (a .pth line adds the path without running this
    # environment's own .pth files, so its editable `capacity` stays out of sight).
    # Downloading them again cost most of the test's time.
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    _run([*pip, "--disable-pip-version-check", str(wheel)], env=_clean_env(tmp))
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Every runtime dependency the wheel declares resolves in the fresh environment.
    _run([str(venv / "bin" / "python"), "-c", DECLARED_DEPENDENCIES_RESOLVE], env=_clean_env(tmp))
    return venv / "bin"


def test_wheel_carries_the_dbt_project_and_no_test_code(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import json, capacity.settings as s, importlib.util as u;"
        "print(json.dumps({'project': str(s.PROJECT_DIR), 'packaged': s.IS_PACKAGED,"
        "'fakes': u.find_spec('capacity.fakes') is not None}))"
    )
    found = json.loads(
        _run(
            [str(installed / "python"), "-c", probe], cwd=tmp_path, env=_clean_env(tmp_path)
        ).stdout
    )
    project = Path(found["project"])
    assert found["packaged"] and "site-packages" in project.parts
    assert not found["fakes"]
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds/app", "tests/dbt"):
        assert (project / name).exists(), name
    shipped = {path.relative_to(project) for path in project.rglob("*") if path.is_file()}
    in_checkout = {
        path.relative_to(ROOT)
        for folder in ("models", "macros", "seeds", "tests/dbt")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert in_checkout <= shipped


def test_installed_wheel_runs_the_demo(installed: Path, tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    result = _run([str(installed / "capacity"), "demo", "--json"], cwd=tmp_path, env=env)
    written = json.loads(result.stdout)
    assert written["database"] == str(tmp_path / "capacity_demo.duckdb")
    snapshots = [Path(path) for path in written["snapshots"]]
    assert [path.name for path in snapshots] == sorted(
        path.name for path in (GOLDEN / "snapshots").glob("*.json")
    )
    for path in snapshots:
        assert path.read_bytes() == (GOLDEN / "snapshots" / path.name).read_bytes(), path.name
    assert Path(written["kpiCard"]).read_bytes() == (GOLDEN / "kpi_card.html").read_bytes()
    # dbt wrote its files in the working directory, none in the installed package.
    assert (tmp_path / "target" / "manifest.json").is_file()
    project = installed.parent / "lib"
    assert not list(project.rglob("dbt_project/target")) and not list(project.rglob("*.duckdb"))

    shown = _run([str(installed / "capacity"), "show", "--json"], cwd=tmp_path, env=env)
    marts = json.loads(shown.stdout)
    assert [row["workspace_id"] for row in marts["workspaces"]][:2] == ["ws_acme", "ws_bloom"]
