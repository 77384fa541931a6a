"""The benchmark on Apache Spark (local mode): the app tables, the session, the floor.

Spark runs as dbt-spark's ``session`` method does (profiles.yml's ``spark`` output):
a ``local[*]`` SparkSession with a Hive metastore (embedded Derby) and a parquet
warehouse under one directory. The bench gives dbt that directory through
``CAPACITY_SPARK_DIR`` and opens its own sessions (to load the app tables, run the
hand-written query, read the mart back) with the same settings, so that all of them
see the same tables. Derby admits one JVM at a time: the steps run one after another.

The app tables are the generator's rows: written to a DuckDB file of their own as for
the DuckDB benchmark, exported to parquet, and created in the Spark metastore from
those files (``slotsUtc`` as a string, as the demo seeds have it on Spark).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from capacity.bench.floor import (
    ISO8601_GROUPS,
    URI_AUTHORITY,
    URI_PATH,
    _booked_sql,
    _figures_sql,
    _in_window,
    _iso8601_valid,
    _per_workspace_sql,
)
from capacity.bench.generator import COLUMNS, TABLE_ORDER, Batch
from capacity.bench.loaders import DuckDBWriter
from capacity.bench.log import say
from capacity.bench.scenario import BenchSettings
from capacity.sql import quote_ident

# Columns the app stores as timestamp(3) (UTC wall clock).
TIMESTAMP_COLUMNS = frozenset(
    {"createdAt", "updatedAt", "startAt", "endAt", "fetchedAt", "rangeStart", "rangeEnd"}
)


def session_config(spark_dir: Path) -> dict[str, str]:
    """profiles.yml's ``spark`` output's server_side_parameters for ``spark_dir``
    (CAPACITY_SPARK_DIR): the same master, time zone, warehouse and metastore."""
    return {
        "spark.master": "local[*]",
        "spark.app.name": "capacity-bench",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": f"{spark_dir}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir}",
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def open_session(spark_dir: Path) -> Any:
    """A SparkSession on the bench's metastore and warehouse (as dbt-spark opens one)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_config(spark_dir).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def export_parquet(connection: Any, schema: str, directory: Path) -> None:
    """Write each app table of a DuckDB connection's ``schema`` to ``directory``/<table>.parquet."""
    directory.mkdir(parents=True, exist_ok=True)
    for table in TABLE_ORDER:
        columns = ", ".join(
            f"cast({quote_ident(column)} as varchar) as {quote_ident(column)}"
            if column == "slotsUtc"
            else quote_ident(column)
            for column in COLUMNS[table]
        )
        target = directory / f"{table}.parquet"
        connection.execute(
            f"copy (select {columns} from {quote_ident(schema)}.{quote_ident(table)}) "
            f"to '{target}' (format parquet)"
        )


def load_parquet(session: Any, schema: str, directory: Path) -> None:
    """(Re)create the app tables in the Spark metastore's ``schema`` from the parquet files."""
    session.sql(f"drop database if exists {spark_ident(schema)} cascade")
    session.sql(f"create database {spark_ident(schema)}")
    for table in TABLE_ORDER:
        columns = ", ".join(
            # DuckDB's naive timestamps read as timestamp_ntz; the app's hold UTC, and
            # Spark's timestamp in the session's UTC is that instant.
            f"cast({spark_ident(column)} as timestamp) as {spark_ident(column)}"
            if column in TIMESTAMP_COLUMNS
            else spark_ident(column)
            for column in COLUMNS[table]
        )
        session.sql(
            f"create table {spark_ident(schema)}.{spark_ident(table)} using parquet as "
            f"select {columns} from parquet.`{directory / f'{table}.parquet'}`"
        )


def _spark_dialect(sql: str) -> str:
    """The engine-neutral parts of the floor in Spark SQL: backquoted identifiers (its
    double quotes are string literals) and ``double`` for ``double precision``."""
    sql = re.sub(r'"([A-Za-z_][A-Za-z0-9_]*)"', r"`\1`", sql)
    return sql.replace("double precision", "double")


def spark_floor_sql(app_schema: str) -> str:
    """The hand-written mart on Spark SQL: the DuckDB floor's plan in Spark's functions.

    ``from_json(slotsUtc, 'array<string>')`` reads an array's elements as text (a
    string unquoted, anything else as its JSON text, JSON null as NULL) and gives NULL
    for a value that is not an array (an unreadable cache); each distinct text is
    parsed once and the entries are joined to the parsed ones.
    """
    app = spark_ident(app_schema)
    rtrimmed = "trim(trailing '/' from nullif(trim({value}), ''))"
    authority = f"nullif(regexp_extract({rtrimmed}, '{URI_AUTHORITY}', 1), '')"
    normalize_uri = (
        f"nullif(case when {authority} is null then {rtrimmed} "
        f"else lower({authority}) || regexp_extract({rtrimmed}, '{URI_PATH}', 1) end, '')"
    )
    valid = _iso8601_valid("{name}")
    in_window = _in_window("parsed_texts.slot_at")
    groups = {
        "y": 1,
        "mo": 2,
        "d": 3,
        "h": 4,
        "mi": 5,
        "s": 6,
        "z": 7,
        "sign": 8,
        "oh": 9,
        "om": 10,
    }

    def group(name: str) -> str:
        return f"nullif(regexp_extract(text, '{ISO8601_GROUPS}', {groups[name]}), '')"

    fields = ",\n                ".join(
        [
            *(f"cast({group(name)} as int) as {name}" for name in ("y", "mo", "d", "h", "mi")),
            *(f"coalesce(cast({group(name)} as int), 0) as {name}" for name in ("s", "oh", "om")),
            f"case when {group('sign')} = '-' then -1 else 1 end as sign",
        ]
    )
    return f"""
with
clients as (select id from {app}.`Client`),
caches as (
    select
        id as cache_id,
        `clientId` as workspace_id,
        upper(trim(`availabilitySource`)) as source,
        -- NULL unless a JSON array: such a cache is unreadable
        from_json(`slotsUtc`, 'array<string>') as slots
    from {app}.`WorkspaceAvailabilityCache`
    where upper(trim(`availabilitySource`)) in ('DEFAULT', 'DIRECT_BOOK')
),
entries as (
    select cache_id, explode(slots) as text from caches
),
parsed_texts as (
    select text, slot_at
    from (
        select
            text,
            case when y is not null and {valid} then
                timestampadd(MINUTE, -sign * (oh * 60 + om), make_timestamp(y, mo, d, h, mi, s))
            end as slot_at
        from (
            select
                text,
                {fields}
            from (select distinct text from entries where text is not null)
        )
    )
),
cache_counts as (
    select
        entries.cache_id,
        count(distinct case when {in_window} then parsed_texts.slot_at end) as available,
        count_if(parsed_texts.slot_at is null) as invalid
    from entries
    left join parsed_texts on parsed_texts.text = entries.text
    group by entries.cache_id
),
available as (
    select
        caches.workspace_id,
        caches.source,
        caches.slots is not null as readable,
        coalesce(cache_counts.available, 0) as available,
        coalesce(cache_counts.invalid, 0) + case when caches.slots is not null then 0 else 1 end
            as invalid
    from caches
    left join cache_counts on cache_counts.cache_id = caches.cache_id
),
{_spark_dialect(_booked_sql(app, normalize_uri).strip())},
{_spark_dialect(_per_workspace_sql("available").strip())}
{_spark_dialect(_figures_sql())}
"""


class SparkWriter:
    """The app tables in Spark: the rows staged in a DuckDB file, then parquet, then
    tables in the metastore (one JVM, started when the rows are all written)."""

    engine = "spark"

    def __init__(self, settings: BenchSettings) -> None:
        self.settings = settings
        for stale in (settings.spark_stage_file, Path(f"{settings.spark_stage_file}.wal")):
            stale.unlink(missing_ok=True)
        self.stage = DuckDBWriter(
            settings.warehouse("spark"), settings.app_schema, settings.work_dir / "spark"
        )

    def create(self) -> None:
        self.stage.create()

    def write(self, batch: Batch) -> None:
        self.stage.write(batch)

    def finish(self) -> None:
        self.stage.finish()
        say("generate: exporting the app tables to parquet for Spark")
        export_parquet(self.stage.connection, self.settings.app_schema, self.parquet_dir)
        say("generate: creating the app tables in Spark's metastore")
        session = open_session(self.settings.spark_dir)
        try:
            load_parquet(session, self.settings.app_schema, self.parquet_dir)
        finally:
            session.stop()

    @property
    def parquet_dir(self) -> Path:
        return self.settings.spark_parquet_dir

    def close(self) -> None:
        self.stage.close()
