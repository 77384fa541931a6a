"""The `orchestration` extra is installed, so the Dagster tests beside this file run.

Collected even without it (conftest.py then leaves the others out): a skip here,
or a failure under CI=true, says why the Dagster tests did not run.
"""

from __future__ import annotations

from orchestration_support import HAVE_DAGSTER, ORCHESTRATION_MODULES
from support import skip_or_fail


def test_orchestration_extra_is_installed() -> None:
    if not HAVE_DAGSTER:
        skip_or_fail(
            f"the orchestration extra is not installed ({', '.join(ORCHESTRATION_MODULES)})",
            "pip install -e '.[dev,orchestration]', as the Makefile does",
        )
