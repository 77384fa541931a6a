"""The same backfill on DuckDB (the demo database): one code path, another dialect."""

from __future__ import annotations

import asyncio
import json

import duckdb
from backfill_support import (
    CANDIDATES,
    EXPECTED_QUARANTINED,
    EXPECTED_UNRESOLVABLE,
    EXPECTED_WRITES,
    attribution,
    cli_args,
    expected_after_apply,
    run_cli,
    seed_scenario,
    snapshot,
    without_attribution,
)

from capacity.backfill.checkpoint import TABLE as CHECKPOINT_TABLE
from capacity.backfill.db import open_database


def test_duckdb_dry_run_then_apply(duck, fake, capsys):
    db = open_database(duck.warehouse, duck.schema)
    try:
        seed_scenario(db, fake.calendly_base_url)
        before = snapshot(db)
    finally:
        db.close()  # DuckDB allows one writer: the CLI opens the file itself

    dry = run_cli(cli_args(duck.target, duck.schema, duck.checkpoint_schema, fake), capsys)
    assert (dry.checked_summary()["resolved"], dry.summary["written"]) == (len(EXPECTED_WRITES), 0)

    result = run_cli(
        cli_args(duck.target, duck.schema, duck.checkpoint_schema, fake, "--apply"), capsys
    )

    summary = result.checked_summary()
    assert summary["examined"] == len(CANDIDATES)
    assert summary["written"] == len(EXPECTED_WRITES)
    assert summary["unresolvable"] == EXPECTED_UNRESOLVABLE
    assert summary["quarantined"] == EXPECTED_QUARANTINED
    assert summary["completed"] is True

    db = open_database(duck.warehouse, duck.schema)
    try:
        after = snapshot(db)
    finally:
        db.close()
    assert attribution(after) == expected_after_apply(before, fake.calendly_base_url)
    assert without_attribution(after) == without_attribution(before)
    with duckdb.connect(str(duck.path), read_only=True) as conn:
        rows = conn.execute(
            f'select "last_id", "rows_written", "completed_at" is not null '
            f'from "{duck.checkpoint_schema}"."{CHECKPOINT_TABLE}"'
        ).fetchall()
    assert rows == [("a31", len(EXPECTED_WRITES), True)]

    # The revert works on DuckDB too: every written value goes back to NULL.
    reverted = run_cli(
        [
            *cli_args(duck.target, duck.schema, duck.checkpoint_schema, fake),
            "--revert",
            summary["run_id"],
        ],
        capsys,
    )
    assert reverted.code == 0, reverted.stderr
    assert json.loads(reverted.stdout)["reverted"] == len(EXPECTED_WRITES)
    db = open_database(duck.warehouse, duck.schema)
    try:
        assert attribution(snapshot(db)) == attribution(before)
    finally:
        db.close()


def test_runs_where_an_event_loop_is_already_running(duck, fake, capsys):
    """A host with its own running loop (a notebook, a browser driver, an async
    orchestrator) must not stop the backfill, which runs a loop of its own."""
    db = open_database(duck.warehouse, duck.schema)
    try:
        seed_scenario(db, fake.calendly_base_url)
    finally:
        db.close()
    args = cli_args(duck.target, duck.schema, duck.checkpoint_schema, fake, "--apply")

    async def host() -> object:
        return run_cli(args, capsys)

    result = asyncio.run(host())
    assert result.checked_summary()["written"] == len(EXPECTED_WRITES)
