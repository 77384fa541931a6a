"""Builds on the embedded DuckDB that never block or half-show to readers.

DuckDB lets one process write a file, and while it does no other process may open
it, even to read ("Could not set lock on file"). So a build on the ``dev`` target
never writes the file readers open: it copies the last complete build to a staging
file beside it (``<file>.building``), runs its dbt commands on the copy, checkpoints
it, and then moves it over the live path with one ``os.replace``, an atomic rename.

- A reader that opens the path (read-only, as every ``capacity`` reader does) gets
  the previous complete build until the rename, the new one after it; one that has
  the old file open keeps reading it (the rename does not touch an open file).
- A failed build leaves the live file as it was and removes its staging copy.
- Builds take turns: an exclusive lock on ``<file>.build-lock`` is held from the
  copy to the rename, so two builds cannot publish over each other's work.

The copy starts from the live file, so the app tables (the demo seeds, or whatever
was loaded into the file) and the incremental history carry over from build to
build. It costs one file copy per build, seconds for a file of a few gigabytes.

PostgreSQL needs none of this: dbt swaps each table in a transaction (see
docs/operations.md, "What happens during a rebuild").
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from capacity import settings

log = logging.getLogger(__name__)

# The copy this process's dbt commands write while a block runs, and whether it is
# switched in at the end (a build) or discarded (a read). Nested blocks share it.
_copy: tuple[Path, bool] | None = None


def _building_path() -> Path | None:
    """The copy this process's dbt commands write, or None outside publishing blocks."""
    return _copy[0] if _copy else None


def writes_a_copy() -> bool:
    """Whether dbt commands started now write a copy of the DuckDB file (inside a
    publishing or reading block) rather than the file readers open."""
    return _copy is not None


@contextlib.contextmanager
def dbt_profile_environment() -> Iterator[None]:
    """``os.environ`` holds what profiles.yml reads (:func:`capacity.settings.profile_env`)
    for a dbt command run in the block, in this process or a child: inside a build, the
    staging copy as the DuckDB path (dbt writes the copy that is published, never the
    file readers open). After the block every variable is as it was before."""
    env = settings.profile_env()
    building = _building_path()
    if building is not None:
        env["CAPACITY_DUCKDB_PATH"] = str(building)
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def staging_path(live: Path) -> Path:
    return live.with_name(live.name + ".building")


def lock_path(live: Path) -> Path:
    return live.with_name(live.name + ".build-lock")


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _remove(database: Path) -> None:
    database.unlink(missing_ok=True)
    wal_path(database).unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _seal(database: Path) -> None:
    """Fold the write-ahead log into the file and flush it to disk: what is renamed
    into place must be complete on its own (a reader never replays another's log)."""
    import duckdb

    with duckdb.connect(str(database)) as connection:
        connection.execute("checkpoint")
    if wal_path(database).exists():
        raise RuntimeError(f"{database}: a write-ahead log is left after the checkpoint")
    with database.open("rb+") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def publishing(target: str | None = None) -> Iterator[None]:
    """Run the block's dbt commands on a copy of the DuckDB file, and switch the copy
    in when the block ends without an error. On PostgreSQL (or inside another
    publishing block of this process) the block runs as it is."""
    with _on_a_copy(target, switch_in=True):
        yield


@contextlib.contextmanager
def reading_a_copy(target: str | None = None) -> Iterator[None]:
    """Run the block's dbt commands on a copy of the DuckDB file, then discard it: for a
    dbt command that only reads (``dbt source freshness``) but, as dbt-duckdb opens its
    file for writing, would otherwise lock readers out while it runs."""
    with _on_a_copy(target, switch_in=False):
        yield


@contextlib.contextmanager
def _on_a_copy(target: str | None, *, switch_in: bool) -> Iterator[None]:
    global _copy
    engine = settings.TARGET_ENGINES.get(target or settings.default_target())
    if engine != "duckdb":
        yield
        return
    if _copy is not None:
        if switch_in and not _copy[1]:
            raise RuntimeError("a build inside reading_a_copy() would write a discarded copy")
        yield
        return
    live = settings.duckdb_path()
    live.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_path(live)
    with lock_path(live).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # builds take turns; readers take no lock here
        _remove(staging)  # left by a build that was killed
        if live.exists():
            shutil.copyfile(live, staging)
            if wal_path(live).exists():  # a writer's changes not yet checkpointed
                shutil.copyfile(wal_path(live), wal_path(staging))
        _copy = (staging, switch_in)
        try:
            yield
            _release_dbt_connections()
            if not switch_in:
                _remove(staging)
                return
            _seal(staging)
            # The old file's log (if a writer left one) must not meet the new file.
            wal_path(live).unlink(missing_ok=True)
            os.replace(staging, live)
            _fsync_dir(live.parent)
            log.info("published the build to %s", live)
        except BaseException:
            _release_dbt_connections()
            _remove(staging)
            raise
        finally:
            _copy = None


def _release_dbt_connections() -> None:
    """Close the file dbt-duckdb keeps open when dbt ran in this process (a dbt
    subprocess, as Dagster starts, has closed its own)."""
    runner = sys.modules.get("capacity.mart.dbt_runner")
    if runner is not None:
        runner.release_duckdb()
