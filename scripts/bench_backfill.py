"""Benchmark the attribution backfill: 100,000 appointments on PostgreSQL, fake providers.

The fake GoHighLevel/Calendly server runs in a separate process (as a real provider
would be elsewhere), answering every id with a synthesized event; the rate limits are
lifted, so what is measured is the backfill's own cost. First, in the same run, a
bare aiohttp client makes the same requests at the same concurrency: the fake's
ceiling, so a slow fake shows as such instead of passing for a slow backfill. Then
the backfill runs in this process through the same code as ``capacity backfill
--apply``; for each batch size it reports rows per second, database round trips per
batch (every statement, BEGIN and COMMIT is one) and the process's peak memory.

    .venv/bin/python scripts/bench_backfill.py [--rows 100000] [--batch-sizes 500,2000]

Everything lives in a scratch schema that is dropped at the end. Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The fake providers are test code (tests/fakes), not part of the package.
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from fakes.calendar_providers import (  # noqa: E402
    synthetic_calendly_event_type,
    synthetic_ghl_calendar_id,
)

from capacity.app_tables import create_app_tables  # noqa: E402
from capacity.backfill.db import open_database  # noqa: E402
from capacity.backfill.http import HttpFetcher, RateLimit, RetryPolicy, Timeouts  # noqa: E402
from capacity.backfill.providers import (  # noqa: E402
    GHL_API_VERSION,
    AttributionResolver,
    ProviderSettings,
)
from capacity.backfill.runner import BackfillOptions, run_backfill  # noqa: E402
from capacity.backfill.status_line import make_progress  # noqa: E402
from capacity.sql import quote_ident  # noqa: E402
from capacity.warehouse import Warehouse, connect, warehouse_for  # noqa: E402


@contextmanager
def fake_provider_process() -> Iterator[dict[str, str]]:
    """Start the fake providers in another process; yields their base URLs."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "fakes" / "calendar_providers.py"),
            "--synthesize-missing",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the fake provider process did not start")
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=10)


def seed(conn: Any, schema: str, rows: int, workspaces: int, calendly_base: str) -> None:
    """``rows`` appointments to backfill, half GHL and half Calendly, over ``workspaces``."""
    now = datetime(2026, 2, 20, 10)
    q = quote_ident(schema)
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(f'copy {q}."Client" ("id", "name", "createdAt") from stdin') as copy:
            for w in range(workspaces):
                copy.write_row((f"ws-{w:05d}", f"Workspace {w}", now))
        with cur.copy(
            f'copy {q}."WorkspaceSettings" ("id", "clientId", "ghlPrivateIntegrationToken", '
            '"calendlyAccessToken") from stdin'
        ) as copy:
            for w in range(workspaces):
                copy.write_row((f"set-{w:05d}", f"ws-{w:05d}", f"bench-ghl-{w}", f"bench-cal-{w}"))
        with cur.copy(f'copy {q}."Lead" ("id", "clientId", "createdAt") from stdin') as copy:
            for w in range(workspaces):
                copy.write_row((f"lead-{w:05d}", f"ws-{w:05d}", now))
        with cur.copy(
            f'copy {q}."Appointment" ("id", "leadId", "provider", "status", "startAt", '
            '"ghlAppointmentId", "calendlyScheduledEventUri", "createdAt", "updatedAt") '
            "from stdin"
        ) as copy:
            for n in range(rows):
                lead = f"lead-{n % workspaces:05d}"
                if n % 2:
                    ghl, cal, provider = (
                        None,
                        f"{calendly_base}/scheduled_events/u-{n:06d}",
                        "CALENDLY",
                    )
                else:
                    ghl, cal, provider = f"evt-{n:06d}", None, "GHL"
                copy.write_row(
                    (f"appt-{n:06d}", lead, provider, "CONFIRMED", now, ghl, cal, now, now)
                )
        cur.execute(f'analyze {q}."Appointment"')


def request_urls(rows: int, urls: dict[str, str]) -> list[str]:
    """The URLs the backfill requests for the seeded rows, in the same mix."""
    return [
        f"{urls['calendly_base_url']}/scheduled_events/u-{n:06d}"
        if n % 2
        else f"{urls['ghl_base_url']}/calendars/events/appointments/evt-{n:06d}"
        for n in range(rows)
    ]


def measure_ceiling(urls: list[str], concurrency: int) -> float:
    """Requests per second a bare aiohttp client gets from the fake (same requests,
    same concurrency, JSON decoded, nothing else): the most the backfill could do."""
    import aiohttp

    async def fetch_all() -> float:
        pending = iter(urls)
        headers = {"Authorization": "Bearer bench", "Version": GHL_API_VERSION}
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:

            async def worker() -> None:
                for url in pending:
                    async with session.get(url, headers=headers) as response:
                        await response.json()

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return len(urls) / (time.perf_counter() - started)

    return asyncio.run(fetch_all())


def peak_memory_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verify(conn: Any, schema: str, rows: int, calendly_base: str) -> None:
    """Every row holds the value the fake synthesized for it."""
    q = quote_ident(schema)
    got = conn.execute(
        f'select "id", "ghlAppointmentId", "calendlyScheduledEventUri", "ghlCalendarId", '
        f'"calendlyEventTypeUri" from {q}."Appointment"'
    ).fetchall()
    bad = 0
    for _id, ghl_ref, cal_ref, ghl_cal, cal_type in got:
        if ghl_ref is not None:
            bad += ghl_cal != synthetic_ghl_calendar_id(ghl_ref)
        else:
            uuid_part = cal_ref.rsplit("/", 1)[1]
            bad += cal_type != synthetic_calendly_event_type(calendly_base, uuid_part)
    if len(got) != rows or bad:
        raise SystemExit(f"verification failed: {bad} wrong of {len(got)} rows")


def run(
    warehouse: Warehouse, schema: str, options: BackfillOptions, settings: ProviderSettings
) -> Any:
    """One backfill run through the production code path; returns its summary."""
    db = open_database(warehouse, schema)
    fetcher = HttpFetcher(
        Timeouts(connect=5, read=30), RetryPolicy(), max_connections=options.concurrency
    )
    try:
        return run_backfill(
            db, AttributionResolver(settings, fetcher), options, progress=make_progress(None)
        )
    finally:
        db.close()


def bench_one(
    warehouse: Warehouse,
    conn: Any,
    schema: str,
    checkpoint_schema: str,
    settings: ProviderSettings,
    batch_size: int,
    concurrency: int,
) -> dict[str, Any]:
    """Backfill every row with one batch size, from a clean state; return the figures."""
    conn.execute(
        f'update {quote_ident(schema)}."Appointment" '
        'set "ghlCalendarId" = null, "calendlyEventTypeUri" = null'
    )
    conn.execute(f"drop schema if exists {quote_ident(checkpoint_schema)} cascade")
    options = BackfillOptions(
        apply=True,
        batch_size=batch_size,
        concurrency=concurrency,
        checkpoint_schema=checkpoint_schema,
    )
    summary = run(warehouse, schema, options, settings)
    # The same command again finds nothing left to do: its round trips are the fixed
    # set-up and wrap-up (checkpoint DDL, lock, load, the empty page, completion,
    # unlock), which the per-batch figure leaves out.
    fixed = run(warehouse, schema, options, settings).db_round_trips
    return {
        "batch_size": batch_size,
        "rows": summary.written,
        "seconds": round(summary.elapsed_seconds, 2),
        "rows_per_second": round(summary.written / summary.elapsed_seconds),
        "batches": summary.batches,
        "db_round_trips": summary.db_round_trips,
        "fixed_round_trips": fixed,
        "round_trips_per_batch": round((summary.db_round_trips - fixed) / summary.batches, 2),
        "http_requests": summary.http_requests,
        "errors": summary.errors,
        "quarantined": sum(summary.quarantined.values()),
        "peak_memory_mib": round(peak_memory_mib()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workspaces", type=int, default=1_000)
    parser.add_argument("--batch-sizes", default="500,2000")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight (default: 32)"
    )
    args = parser.parse_args()
    batch_sizes = [int(size) for size in args.batch_sizes.split(",")]

    warehouse = warehouse_for("postgres")  # CAPACITY_PG_* (capacity.settings)
    suffix = uuid.uuid4().hex[:8]
    schema, checkpoint_schema = f"bench_app_{suffix}", f"bench_cp_{suffix}"
    results = []
    with connect(warehouse, autocommit=True) as conn:
        try:
            create_app_tables(conn, schema)
            with fake_provider_process() as urls:
                started = time.monotonic()
                seed(conn, schema, args.rows, args.workspaces, urls["calendly_base_url"])
                print(
                    f"seeded {args.rows:,} appointments in {time.monotonic() - started:.1f}s",
                    file=sys.stderr,
                )
                lifted = RateLimit(10**9, 1.0)  # the limits lifted: the backfill's own cost
                settings = ProviderSettings(
                    ghl_base_url=urls["ghl_base_url"],
                    calendly_base_url=urls["calendly_base_url"],
                    ghl_rate_limit=lifted,
                    calendly_rate_limit=lifted,
                )
                for batch_size in batch_sizes:
                    # Measured right before each run: on a shared machine the load moves.
                    ceiling = measure_ceiling(request_urls(args.rows, urls), args.concurrency)
                    print(f"fake ceiling: {ceiling:,.0f} requests/s", file=sys.stderr)
                    result = bench_one(
                        warehouse,
                        conn,
                        schema,
                        checkpoint_schema,
                        settings,
                        batch_size,
                        args.concurrency,
                    )
                    verify(conn, schema, args.rows, urls["calendly_base_url"])
                    result["fake_ceiling"] = round(ceiling)
                    result["load_average"] = round(os.getloadavg()[0], 1)
                    results.append(result)
                    print(json.dumps(result), file=sys.stderr)
        finally:
            for name in (schema, checkpoint_schema):
                conn.execute(f"drop schema if exists {quote_ident(name)} cascade")

    print(
        f"concurrency {args.concurrency}; fake ceiling: a bare aiohttp client making the same "
        f"{args.rows:,} requests just before each run"
    )
    print(
        f"{'batch size':>10} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'ceiling/s':>10} "
        f"{'batches':>8} {'round trips/batch':>18} {'peak MiB':>9} {'load avg':>9}"
    )
    for r in results:
        print(
            f"{r['batch_size']:>10} {r['rows']:>8} {r['seconds']:>8} {r['rows_per_second']:>8} "
            f"{r['fake_ceiling']:>10} {r['batches']:>8} {r['round_trips_per_batch']:>18} "
            f"{r['peak_memory_mib']:>9} {r['load_average']:>9}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
