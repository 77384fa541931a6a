"""What the Spark tests share: where the demo was built and how to read it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from capacity.warehouse import model_schema

# The marts' schema on Spark (CAPACITY_SPARK_SCHEMA); staging and intermediate go to
# <schema>_staging and <schema>_intermediate, the demo seeds to <schema>_app.
SPARK_SCHEMA = "analytics"


def spark_dbt_env(dbt_dir: Path, spark_dir: Path, schema: str) -> dict[str, str]:
    """profiles.yml's spark output on spark_dir and schema, dbt's target/ and logs/ in dbt_dir."""
    return {
        "DBT_TARGET_PATH": str(dbt_dir / "target"),
        "DBT_LOG_PATH": str(dbt_dir / "logs"),
        "CAPACITY_SPARK_DIR": str(spark_dir),
        "CAPACITY_SPARK_SCHEMA": schema,
    }


@dataclass(frozen=True)
class SparkDemo:
    """The demo's models in a local Spark warehouse, read through dbt-spark's own session."""

    session: Any  # pyspark.sql.SparkSession
    schema: str
    spark_dir: Path
    dbt_dir: Path
    build_seconds: float

    def dbt_env(self) -> dict[str, str]:
        """The environment of the build's dbt runs: more dbt commands on the same warehouse."""
        return spark_dbt_env(self.dbt_dir, self.spark_dir, self.schema)

    def relation(self, model: str) -> str:
        return f"`{model_schema(self.schema, model)}`.`{model}`"

    def is_mart(self, model: str) -> bool:
        return model_schema(self.schema, model) == self.schema

    def rows(self, model: str) -> list[dict[str, Any]]:
        """A model's rows as dicts, timestamps as DuckDB's driver gives them (read in UTC).

        Spark's `timestamp` is an instant that pyspark would turn into the
        Python process's local time: casting to timestamp_ntz in the session's
        UTC gives its UTC wall clock. The other engines' marts hold aware
        timestamps (UTC datetimes through capacity.warehouse.fetch_dicts), their
        staging and intermediate naive UTC ones: a mart's get UTC attached.
        """
        fields = self.session.table(self.relation(model)).schema.fields
        columns = ", ".join(
            f"cast(`{field.name}` as timestamp_ntz) as `{field.name}`"
            if field.dataType.typeName() == "timestamp"
            else f"`{field.name}`"
            for field in fields
        )
        query = f"select {columns} from {self.relation(model)}"
        rows = [row.asDict() for row in self.session.sql(query).collect()]
        if not self.is_mart(model):
            return rows
        return [
            {
                name: value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
                for name, value in row.items()
            }
            for row in rows
        ]
