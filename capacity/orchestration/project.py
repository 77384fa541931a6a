"""The dbt project as Dagster sees it: where its manifest lives and how dbt is started.

One manifest per target, under dbt's target path (settings), never inside the
project (an installed wheel's copy of it is read-only): the `dev` manifest has the
demo seeds, the `postgres` one does not (dbt_project.yml disables them there), so
a manifest parsed for one target must not define the other's assets.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject

from capacity import settings

# The files a parse reads: a manifest older than any of them is parsed again.
PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")


def dbt_executable() -> str:
    """The dbt beside this interpreter (the venv's, so the dbt-core version pyproject pins),
    else the one on PATH. A code server started as ``python -m dagster ...`` often has
    no venv on PATH, which dagster-dbt's default (``dbt`` on PATH) would not find."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.is_file():
        return str(beside)
    return shutil.which("dbt") or "dbt"


def manifest_dir(target: str) -> Path:
    return settings.dbt_target_path() / "dagster" / target


def dbt_project(target: str) -> DbtProject:
    """The project, its profile and this target's manifest location."""
    return DbtProject(
        project_dir=settings.PROJECT_DIR,
        profiles_dir=settings.PROJECT_DIR,
        target_path=manifest_dir(target),
        target=target,
    )


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def _input_files() -> Iterator[Path]:
    for name in PROJECT_INPUTS:
        path = settings.PROJECT_DIR / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (child for child in path.rglob("*") if child.is_file())


def manifest_is_current(project: DbtProject) -> bool:
    """The manifest exists and is newer than every file the parse reads."""
    if not project.manifest_path.is_file():
        return False
    parsed = project.manifest_path.stat().st_mtime
    return all(path.stat().st_mtime <= parsed for path in _input_files())


def prepare_manifest(project: DbtProject) -> Path:
    """``dbt parse`` when the manifest is missing or older than the project; its path.

    dagster-dbt's ``prepare_if_dev`` parses under ``dagster dev`` only and expects a
    manifest built at deploy time everywhere else; this also covers a fresh checkout,
    a fresh CAPACITY_HOME and an edited model, for the cost of a stat per file.
    """
    if not manifest_is_current(project):
        os.environ.update(settings.profile_env())
        dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project.manifest_path


def _group(props: Mapping[str, Any]) -> str:
    """The project's layers as asset groups: app, staging, intermediate, marts_<folder>."""
    if props["resource_type"] in ("source", "seed"):
        return "app"
    fqn = props.get("fqn", [])
    layer = fqn[1] if len(fqn) > 2 else "default"
    if layer == "marts" and len(fqn) > 3:
        return f"marts_{fqn[2]}"
    return layer


class CapacityTranslator(DagsterDbtTranslator):
    """dagster-dbt's keys (schema folder / model name: the warehouse's layout) and groups
    by layer. The app tables' keys are tested on the staging models, so their checks are
    those models' (the sources carry no tests)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> Any:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        return spec.replace_attributes(group_name=_group(props))
