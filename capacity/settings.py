"""The one configuration path: every setting Python and dbt's profiles.yml share.

profiles.yml reads the same environment variables with the same defaults
(CAPACITY_TARGET, CAPACITY_DUCKDB_PATH, CAPACITY_DUCKDB_MEMORY_LIMIT,
CAPACITY_DUCKDB_TEMP_DIR, CAPACITY_PG_*, CAPACITY_APP_SCHEMA through the sources'
YAML), so a command and the dbt build it runs always open the same
database. Nothing else in the package reads the environment for these settings.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PACKAGE_DIR = Path(__file__).resolve().parent
# A built wheel carries the dbt project inside the package (setup.py copies it there);
# a source checkout has it at the repository's root.
_PACKAGED_PROJECT_DIR = PACKAGE_DIR / "dbt_project"
IS_PACKAGED = (_PACKAGED_PROJECT_DIR / "dbt_project.yml").is_file()
PROJECT_DIR = _PACKAGED_PROJECT_DIR if IS_PACKAGED else PACKAGE_DIR.parent

Engine = Literal["duckdb", "postgres"]
# The dbt targets the commands build and read (profiles.yml also has `spark`, which
# only the Spark tests build: nothing reads a mart from it).
TARGET_ENGINES: dict[str, Engine] = {"dev": "duckdb", "postgres": "postgres"}
TARGETS = tuple(TARGET_ENGINES)

# The schema profiles.yml gives the embedded DuckDB (the marts' schema).
DUCKDB_SCHEMA = "main"

# The demo seeds describe early March 2026; fixing as_of there keeps the demo's
# figures meaningful whatever today's date is.
DEMO_AS_OF = "2026-03-02T09:00:00Z"
# Earlier weekly runs the demo records first, so the planning model has a trend to show.
DEMO_HISTORY_AS_OF = ("2026-02-09T09:00:00Z", "2026-02-16T09:00:00Z", "2026-02-23T09:00:00Z")

# A scheduled build's dbt arguments: the models and their data tests, not the unit tests.
# Those check the SQL on fixed inputs, so they run where the SQL changes (development,
# `make test` in CI), as dbt recommends, not on every scheduled build (see
# docs/decisions.md, 'Unit tests in CI, not in scheduled builds').
SCHEDULED_DBT_BUILD = ("build", "--exclude-resource-type", "unit_test")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def default_target() -> str:
    return _env("CAPACITY_TARGET", "dev")


def work_dir() -> Path:
    """Where runs leave files: the DuckDB file, dbt's target/ and logs/, output/.

    CAPACITY_HOME when set; else the checkout's root (as a dbt user expects), or the
    current directory for an installed wheel (site-packages is no place for data).
    """
    home = os.environ.get("CAPACITY_HOME", "")
    if home.strip():
        return Path(home).resolve()
    return Path.cwd() if IS_PACKAGED else PROJECT_DIR


def dbt_target_path() -> Path:
    """dbt's target/ (manifest, run results): DBT_TARGET_PATH, else work_dir()/target."""
    return Path(_env("DBT_TARGET_PATH", str(work_dir() / "target"))).resolve()


def dbt_log_path() -> Path:
    """dbt's logs/: DBT_LOG_PATH, else work_dir()/logs."""
    return Path(_env("DBT_LOG_PATH", str(work_dir() / "logs"))).resolve()


def duckdb_path() -> Path:
    """The embedded DuckDB file, absolute (a relative path is taken from work_dir())."""
    path = Path(_env("CAPACITY_DUCKDB_PATH", "capacity_demo.duckdb"))
    return path if path.is_absolute() else work_dir() / path


# DuckDB's memory limit (CAPACITY_DUCKDB_MEMORY_LIMIT): DuckDB's own default is 80 % of
# RAM, and a large build takes it (100,000 workspaces peaked at 20 GB of 23 GB), leaving
# nothing to PostgreSQL, the readers or a second build. Past it DuckDB spills to
# duckdb_temp_dir(). profiles.yml has the same default.
DUCKDB_MEMORY_LIMIT_DEFAULT = "4GB"
# An amount with a unit, as DuckDB's memory_limit takes it (not a share of RAM: the limit
# must not follow the machine it happens to run on).
_MEMORY_LIMIT = re.compile(r"[0-9]+(\.[0-9]+)?(B|[KMGT]i?B)", re.IGNORECASE)


def duckdb_memory_limit() -> str:
    """CAPACITY_DUCKDB_MEMORY_LIMIT (e.g. ``4GB``, ``512MiB``), else the default."""
    value = _env("CAPACITY_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT_DEFAULT).replace(" ", "")
    if not _MEMORY_LIMIT.fullmatch(value):
        raise ValueError(
            f"CAPACITY_DUCKDB_MEMORY_LIMIT must be an amount with a unit, such as 4GB or "
            f"512MiB, got {os.environ.get('CAPACITY_DUCKDB_MEMORY_LIMIT')!r}"
        )
    return value


def duckdb_temp_dir() -> Path:
    """Where DuckDB spills past its memory limit: CAPACITY_DUCKDB_TEMP_DIR, else
    dbt_target_path()/duckdb_tmp (profiles.yml's default too)."""
    return Path(_env("CAPACITY_DUCKDB_TEMP_DIR", str(dbt_target_path() / "duckdb_tmp"))).resolve()


def duckdb_settings() -> dict[str, str]:
    """What every DuckDB connection sets, dbt's (profiles.yml) and Python's alike."""
    return {"memory_limit": duckdb_memory_limit(), "temp_directory": str(duckdb_temp_dir())}


@dataclass(frozen=True)
class PostgresSettings:
    """The `postgres` target: CAPACITY_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE, _SCHEMA."""

    host: str
    port: int
    user: str
    password: str
    database: str
    schema: str  # the marts' schema (staging and intermediate beside it)

    @property
    def conninfo(self) -> str:
        """The libpq connection string."""
        parts = {"host": self.host, "port": str(self.port), "user": self.user}
        parts["dbname"] = self.database
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{key}={_conninfo_value(value)}" for key, value in parts.items())

    @property
    def address(self) -> str:
        """host:port/database, for messages (never the password)."""
        return f"{self.host}:{self.port}/{self.database}"


def _conninfo_value(value: str) -> str:
    """A libpq keyword value, quoted when it holds spaces, quotes or backslashes."""
    if value and not any(char in value for char in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def postgres() -> PostgresSettings:
    port = _env("CAPACITY_PG_PORT", "5432")
    if not port.isdigit():
        raise ValueError(f"CAPACITY_PG_PORT must be a port number, got {port!r}")
    return PostgresSettings(
        host=_env("CAPACITY_PG_HOST", "127.0.0.1"),
        port=int(port),
        user=_env("CAPACITY_PG_USER", "root"),
        password=os.environ.get("CAPACITY_PG_PASSWORD", ""),
        database=_env("CAPACITY_PG_DATABASE", "test"),
        schema=_env("CAPACITY_PG_SCHEMA", "analytics"),
    )


def postgres_conninfo() -> str:
    """libpq connection string of the `postgres` target."""
    return postgres().conninfo


def profile_env() -> dict[str, str]:
    """The environment profiles.yml reads, resolved here: what dbt opens is what Python
    opens (a relative DuckDB path made absolute, unset or empty values given defaults)."""
    pg = postgres()
    return {
        "CAPACITY_TARGET": default_target(),
        "CAPACITY_DUCKDB_PATH": str(duckdb_path()),
        "CAPACITY_DUCKDB_MEMORY_LIMIT": duckdb_memory_limit(),
        "CAPACITY_DUCKDB_TEMP_DIR": str(duckdb_temp_dir()),
        "CAPACITY_PG_HOST": pg.host,
        "CAPACITY_PG_PORT": str(pg.port),
        "CAPACITY_PG_USER": pg.user,
        "CAPACITY_PG_PASSWORD": pg.password,
        "CAPACITY_PG_DATABASE": pg.database,
        "CAPACITY_PG_SCHEMA": pg.schema,
    }


def app_schema(target: str | None = None) -> str:
    """Schema of the app's tables (SPEC §2) on a target: CAPACITY_APP_SCHEMA, else
    `public` on PostgreSQL and the demo seeds' schema (main_app) on DuckDB, the same
    default models/staging/app/_app__sources.yml gives dbt."""
    engine = TARGET_ENGINES.get(target or default_target(), "duckdb")
    return _env("CAPACITY_APP_SCHEMA", "public" if engine == "postgres" else f"{DUCKDB_SCHEMA}_app")
