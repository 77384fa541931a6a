"""Puts the dbt project into the wheel, as ``capacity/dbt_project/``.

The project lives at the repository's root, where analytics engineers expect it
(dbt run from the checkout, sqlfluff, editors); a non-editable install needs it
inside the package. capacity.settings.PROJECT_DIR finds whichever is there.
Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# What dbt reads: the project and profile files, and the folders dbt_project.yml names
# (tests/dbt is its test-paths: the singular data tests, not the Python suite).
DBT_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
DBT_PROJECT_DIRS = ("models", "macros", "seeds", "tests/dbt")


class BuildPyWithDbtProject(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's project
            return
        target = Path(self.build_lib) / "capacity" / "dbt_project"
        shutil.rmtree(target, ignore_errors=True)
        for name in DBT_PROJECT_FILES:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
        for name in DBT_PROJECT_DIRS:
            shutil.copytree(
                ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__")
            )


setup(cmdclass={"build_py": BuildPyWithDbtProject})
