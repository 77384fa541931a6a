"""Resources of the code location, read from capacity.settings (the one configuration path)."""

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from capacity import settings
from capacity.demo.cli import OUTPUT_DIR_NAME  # the folder `capacity demo` writes to
from capacity.warehouse import Warehouse, warehouse_for

# Runs that open the warehouse share this concurrency pool. DuckDB lets one process
# write its file (another process's open fails, it does not wait), and two dbt builds
# of one PostgreSQL schema would swap the same tables: deploy/dagster.yaml limits
# the pool to one run at a time.
WAREHOUSE_POOL = "capacity_warehouse"


class CapacityWarehouse(ConfigurableResource):
    """The built marts of a dbt target, located by capacity.settings at run time."""

    target: str = Field(default_factory=settings.default_target)

    def warehouse(self) -> Warehouse:
        return warehouse_for(self.target)


class CapacityOutputs(ConfigurableResource):
    """Where the consumer assets write their files (default: CAPACITY_HOME's output/)."""

    directory: str | None = None

    def path(self) -> Path:
        if self.directory:
            return Path(self.directory)
        return settings.work_dir() / OUTPUT_DIR_NAME
