"""What ``capacity backfill`` does once its arguments are parsed (see :mod:`.cli`).

Separate from the argument parser so that ``capacity --help`` and every other
command start without the HTTP client and the runner.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from capacity import settings
from capacity.backfill.checkpoint import CheckpointLockedError, utc_now
from capacity.backfill.db import DatabaseConfigError, open_database
from capacity.backfill.http import HttpFetcher, RateLimit, RateLimitError, RetryPolicy, Timeouts
from capacity.backfill.ledger import QUARANTINE_TABLE, Ledger, UnknownRunError
from capacity.backfill.providers import (
    AttributionResolver,
    BaseUrlError,
    ProviderSettings,
    parse_base_url,
)
from capacity.backfill.runner import (
    BackfillAborted,
    BackfillOptions,
    Filters,
    describe_error,
    run_backfill,
)
from capacity.backfill.secret import printable, redact, redacting_logs
from capacity.backfill.status_line import make_progress
from capacity.backfill.summary import Summary
from capacity.backfill.validation import DEFAULT_CALENDLY_BASE_URL, DEFAULT_GHL_BASE_URL
from capacity.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_TOKEN_FAILED,
    EXIT_USAGE,
)
from capacity.warehouse import Warehouse, warehouse_for

log = logging.getLogger("capacity.backfill")


class UsageError(ValueError):
    """A flag or variable has a value the backfill cannot use."""


def _env(name: str, default: str | None = None) -> str | None:
    """A provider setting's variable (CAPACITY_GHL_BASE_URL, ...); empty means unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def run_command(args: argparse.Namespace) -> int:
    """Run the backfill (or ``--revert``) from parsed args; prints the summary on stdout.

    Called where an event loop already runs in this thread (a notebook, an async
    host such as a browser driver), the backfill, which runs a loop of its own, goes
    to a thread of its own instead of failing.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_command(args)
    with ThreadPoolExecutor(1, thread_name_prefix="backfill") as worker:
        return worker.submit(_run_command, args).result()


def _run_command(args: argparse.Namespace) -> int:
    with redacting_logs():
        try:
            return _handle(args)
        except Exception as exc:  # last resort: nothing unexpected may print a token
            print(f"capacity backfill: {redact(describe_error(exc))}", file=sys.stderr)
            return EXIT_FAILED


def _settings(args: argparse.Namespace) -> tuple[Warehouse, str, ProviderSettings]:
    warehouse = warehouse_for(args.target)
    app_schema = args.app_schema or settings.app_schema(args.target)
    try:
        providers = ProviderSettings(
            ghl_base_url=parse_base_url(
                args.ghl_base_url or _env("CAPACITY_GHL_BASE_URL", DEFAULT_GHL_BASE_URL) or "",
                "the GHL base URL",
            ),
            calendly_base_url=parse_base_url(
                args.calendly_base_url
                or _env("CAPACITY_CALENDLY_BASE_URL", DEFAULT_CALENDLY_BASE_URL)
                or "",
                "the Calendly base URL",
            ),
            ghl_rate_limit=RateLimit.parse(
                args.ghl_rate_limit or _env("CAPACITY_GHL_RATE_LIMIT", "100/10") or ""
            ),
            calendly_rate_limit=RateLimit.parse(
                args.calendly_rate_limit or _env("CAPACITY_CALENDLY_RATE_LIMIT", "100/10") or ""
            ),
        )
    except (BaseUrlError, RateLimitError) as exc:
        raise UsageError(str(exc)) from None
    return warehouse, app_schema, providers


@contextlib.contextmanager
def _sigterm_as_sigint() -> Iterator[list[int]]:
    """SIGTERM stops the run the way Ctrl-C does (summary, committed checkpoint).

    Yields a list that holds the signal received, for the exit code.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received  # signals reach the main thread only: its owner handles them
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        # SIGINT's handler stops the run: asyncio's cancels the batch loop, Python's
        # raises KeyboardInterrupt. A process started with SIGINT ignored (a script's
        # background job) has neither, and raising SIGINT would swallow the SIGTERM.
        interrupt = signal.getsignal(signal.SIGINT)
        if not callable(interrupt):
            raise KeyboardInterrupt
        interrupt(signal.SIGINT, frame)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_summary(summary: Summary, as_json: bool) -> None:
    print(summary.to_json() if as_json else summary.to_text(), flush=True)


def _token_message(summary: Summary) -> str:
    """Which workspaces' tokens failed and how: the workspace, never the token."""

    def workspaces(ids: set[str]) -> str:
        return ", ".join(printable(w) for w in sorted(ids)) or "?"

    rejected = [
        f"{failure.provider} answered {failure.status} for workspace(s) "
        f"{workspaces(failure.workspaces)}: token "
        f"{'rejected' if failure.status == 401 else 'missing a scope'}, "
        f"{failure.rows_not_requested} more row(s) not requested"
        for failure in summary.auth_failures
    ]
    unusable = [
        f"the {provider} token of workspace(s) {workspaces(ids)} cannot be sent (control "
        "characters, spaces or non-ASCII): nothing was requested, its rows are quarantined"
        for provider, ids in sorted(summary.unusable_tokens.items())
    ]
    return "; ".join(rejected + unusable)


def _revert(args: argparse.Namespace, warehouse: Warehouse, app_schema: str) -> int:
    db = open_database(warehouse, app_schema)
    try:
        result = Ledger(db, args.checkpoint_schema).revert(args.revert, utc_now())
    except UnknownRunError as exc:
        print(f"capacity backfill: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        db.close()
    result = {"revert_run_id": args.revert, **result}
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        print("\n".join(f"{name}: {value}" for name, value in result.items()), flush=True)
    return EXIT_OK


def _handle(args: argparse.Namespace) -> int:
    try:
        warehouse, app_schema, providers = _settings(args)
        options = BackfillOptions(
            apply=args.apply,
            batch_size=args.batch_size,
            limit=args.limit,
            filters=Filters(
                workspaces=tuple(args.workspace), provider=args.provider, since=args.since
            ),
            concurrency=args.concurrency,
            checkpoint_schema=args.checkpoint_schema,
            reset_checkpoint=args.reset_checkpoint,
            retry_quarantined=args.retry_quarantined,
        )
        if args.revert is not None:
            return _revert(args, warehouse, app_schema)
        db = open_database(warehouse, app_schema)
    except (UsageError, DatabaseConfigError, ValueError) as exc:
        print(f"capacity backfill: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConnectionError as exc:
        print(f"capacity backfill: {exc}", file=sys.stderr)
        return EXIT_FAILED

    if not getattr(args, "verbose", False):
        # aiohttp may log per connection: 100,000 lines on a big run. Quiet unless -v.
        logging.getLogger("aiohttp").setLevel(logging.WARNING)
    fetcher = HttpFetcher(
        Timeouts(connect=args.connect_timeout, read=args.timeout),
        RetryPolicy(
            max_retries=args.max_retries,
            backoff_base=args.backoff_base,
            backoff_max=args.backoff_max,
            max_retry_after=args.max_retry_after,
        ),
        max_connections=args.concurrency,
    )
    resolver = AttributionResolver(providers, fetcher)
    progress = make_progress(args.progress)
    log.info(
        "backfill %s on %s schema %s (batch size %d)",
        "APPLY" if options.apply else "dry run",
        db.dialect,
        app_schema,
        options.batch_size,
    )
    try:
        with _sigterm_as_sigint() as received:
            summary = run_backfill(db, resolver, options, progress=progress)
    except BackfillAborted as aborted:
        _print_summary(aborted.summary, args.json)
        print(f"capacity backfill: {aborted.summary.fatal_error}", file=sys.stderr)
        if not aborted.interrupted:
            return EXIT_FAILED
        return EXIT_TERMINATED if received else EXIT_INTERRUPTED
    except CheckpointLockedError as exc:
        print(f"capacity backfill: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        db.close()
    _print_summary(summary, args.json)
    if summary.quarantined:
        reasons = ", ".join(f"{reason} {count}" for reason, count in summary.quarantined.items())
        where = (
            f'; listed in "{args.checkpoint_schema}"."{QUARANTINE_TABLE}"' if options.apply else ""
        )
        print(f"capacity backfill: quarantined ({reasons}){where}", file=sys.stderr)
    if summary.token_problems:
        print(f"capacity backfill: {_token_message(summary)}", file=sys.stderr)
        return EXIT_TOKEN_FAILED
    return EXIT_OK
