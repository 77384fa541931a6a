"""What Dagster loads: ``dagster dev -m capacity.orchestration.definitions`` (or the
deploy/workspace.yaml). The target is CAPACITY_TARGET's, as for every command."""

from __future__ import annotations

from capacity.orchestration.location import build_definitions

defs = build_definitions()
