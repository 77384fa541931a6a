"""``capacity backfill``: fill missing appointment attribution from the calendar providers.

This module only maps flags and environment variables onto
:mod:`capacity.backfill`; the behaviour is documented there (runner: what is
selected and written; checkpoint: how a killed run resumes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import FrameType
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from capacity.backfill.checkpoint import (
    DEFAULT_CHECKPOINT_SCHEMA,
    CheckpointLockedError,
    utc_now,
)
from capacity.backfill.db import DatabaseConfigError, open_database
from capacity.backfill.http import HttpFetcher, RateLimit, RateLimitError, RetryPolicy, Timeouts
from capacity.backfill.ledger import QUARANTINE_TABLE, Ledger, UnknownRunError
from capacity.backfill.progress import make_progress
from capacity.backfill.providers import (
    DEFAULT_CALENDLY_BASE_URL,
    DEFAULT_GHL_BASE_URL,
    PROVIDERS,
    AttributionResolver,
    BaseUrlError,
    ProviderSettings,
    parse_base_url,
)
from capacity.backfill.runner import (
    MAX_BATCH_SIZE,
    BackfillAborted,
    BackfillOptions,
    Filters,
    describe_error,
    run_backfill,
)
from capacity.backfill.secret import printable, redact, redacting_logs
from capacity.backfill.summary import Summary

log = logging.getLogger("capacity.backfill")

MAX_CONCURRENCY = 256  # sockets and tasks per run: a bound, not a tuning knob

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TOKEN_FAILED = 3
EXIT_INTERRUPTED = 130  # SIGINT
EXIT_TERMINATED = 143  # SIGTERM

DESCRIPTION = """\
Fill missing "ghlCalendarId" / "calendlyEventTypeUri" (NULL, empty or whitespace) on
appointments stored before attribution existed, by asking GoHighLevel / Calendly for
each appointment's calendar.

Dry run by default (reads and calls the providers, writes nothing); --apply writes.
A value is written only where the target is still missing and the appointment's
provider and references are still those the answer was fetched for; no other column
is touched ("updatedAt" included). References, tokens and answers that cannot be
used are quarantined with a reason, never requested or written. Each batch commits
with its audit rows and checkpoint, so a killed run resumes after the last committed
batch, and --revert RUN_ID undoes one run's writes.
"""

EPILOG = """\
environment variables (a flag wins over its variable):
  CAPACITY_DATABASE_URL (else DATABASE_URL)   --database-url
  CAPACITY_APP_SCHEMA                          --app-schema
  CAPACITY_GHL_BASE_URL                        --ghl-base-url
  CAPACITY_CALENDLY_BASE_URL                   --calendly-base-url
  CAPACITY_GHL_RATE_LIMIT                      --ghl-rate-limit
  CAPACITY_CALENDLY_RATE_LIMIT                 --calendly-rate-limit

exit codes: 0 the run finished (per-row failures and quarantined rows are in the
summary), 1 the run stopped on a database or unexpected error (committed batches
stay committed; rerun to resume), 2 bad usage or configuration, 3 the run finished
but a workspace's token was rejected (401/403) or cannot be sent (control
characters, spaces, non-ASCII), so its rows were not requested; the message names
the workspace, never the token; 130 interrupted (SIGINT), 143 terminated
(SIGTERM); both print the summary, committed batches stay.
"""


class UsageError(ValueError):
    """A flag or variable has a value the backfill cannot use."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _batch_size(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_BATCH_SIZE}")
    return value


def _concurrency(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_CONCURRENCY}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _provider(text: str) -> str:
    value = text.strip().upper()
    if value not in PROVIDERS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(PROVIDERS)}")
    return value


def parse_since(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 timestamp (no offset means UTC).

    Returned naive in UTC, like the app's ``timestamp(3)`` columns.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date or timestamp: {text!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def split_prisma_schema(url: str) -> tuple[str, str | None]:
    """Drop a Prisma-style ``?schema=NAME`` from a PostgreSQL URL (libpq rejects it).

    Returns the URL without it and the schema, which becomes the default app schema.
    """
    if not url.lower().startswith(("postgresql:", "postgres:")):
        return url, None
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), None)
    if schema is None:
        return url, None
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema or None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backfill`` sub-command to the ``capacity`` CLI."""
    parser = subparsers.add_parser(
        "backfill",
        help="fill missing appointment attribution from GoHighLevel / Calendly",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db = parser.add_argument_group("database")
    db.add_argument(
        "--database-url",
        metavar="URL",
        help="postgresql://user@host:5432/db or duckdb:///path/file.duckdb",
    )
    db.add_argument(
        "--app-schema",
        metavar="NAME",
        help="schema of the app tables (default: public, or a Prisma ?schema= in the URL)",
    )
    db.add_argument(
        "--checkpoint-schema",
        metavar="NAME",
        default=DEFAULT_CHECKPOINT_SCHEMA,
        help="schema of the checkpoint table, created on --apply (default: %(default)s)",
    )

    run = parser.add_argument_group("what to do")
    run.add_argument("--apply", action="store_true", help="write (default: dry run)")
    run.add_argument(
        "--workspace",
        metavar="CLIENT_ID",
        action="append",
        default=[],
        help='only this workspace ("Client"."id"); repeatable',
    )
    run.add_argument(
        "--provider",
        type=_provider,
        metavar="{GHL,CALENDLY}",
        help="only this provider (case-insensitive)",
    )
    run.add_argument(
        "--since",
        type=parse_since,
        metavar="DATE",
        help='only appointments with "startAt" >= DATE (ISO-8601; UTC unless an offset '
        'is given); rows without "startAt" are then skipped',
    )
    run.add_argument(
        "--limit",
        type=_non_negative_int,
        metavar="N",
        help="examine at most N rows in this invocation (a later run resumes after them)",
    )
    run.add_argument(
        "--retry-quarantined",
        action="store_true",
        help="look again at rows quarantined by earlier runs (default: skip them while "
        "their reference and token are unchanged)",
    )
    run.add_argument(
        "--revert",
        metavar="RUN_ID",
        help="put back that run's writes where the value is still the one written "
        "(a later edit is left alone and counted), then stop",
    )
    run.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object on stdout"
    )
    run.add_argument(
        "--batch-size",
        type=_batch_size,
        default=500,
        metavar="N",
        help=f"rows per batch / transaction, at most {MAX_BATCH_SIZE} (default: %(default)s)",
    )
    run.add_argument(
        "--reset-checkpoint",
        action="store_true",
        help="ignore (and on --apply, delete) the checkpoint: start from the first row",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress line on stderr (default: when stderr is a terminal)",
    )

    http = parser.add_argument_group("providers and HTTP")
    http.add_argument("--ghl-base-url", metavar="URL", help=f"default: {DEFAULT_GHL_BASE_URL}")
    http.add_argument(
        "--calendly-base-url",
        metavar="URL",
        help=f"default: {DEFAULT_CALENDLY_BASE_URL}; only URIs under it are followed",
    )
    http.add_argument(
        "--ghl-rate-limit",
        metavar="N/SECONDS",
        help="per token (sub-account), sliding window (default: 100/10)",
    )
    http.add_argument(
        "--calendly-rate-limit", metavar="N/SECONDS", help="per token (default: 100/10)"
    )
    http.add_argument(
        "--concurrency",
        type=_concurrency,
        default=16,
        metavar="N",
        help=f"provider requests in flight at once, at most {MAX_CONCURRENCY} "
        "(default: %(default)s)",
    )
    http.add_argument(
        "--connect-timeout",
        type=_positive_float,
        default=5.0,
        metavar="SECONDS",
        help="default: %(default)s",
    )
    http.add_argument(
        "--timeout",
        type=_positive_float,
        default=15.0,
        metavar="SECONDS",
        help="read timeout per request (default: %(default)s)",
    )
    http.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=5,
        metavar="N",
        help="retries after the first attempt on 429/5xx/timeouts (default: %(default)s)",
    )
    http.add_argument(
        "--backoff-base",
        type=_non_negative_float,
        default=0.5,
        metavar="SECONDS",
        help="first backoff, doubled per retry, with jitter (default: %(default)s)",
    )
    http.add_argument(
        "--backoff-max",
        type=_non_negative_float,
        default=30.0,
        metavar="SECONDS",
        help="longest backoff (default: %(default)s)",
    )
    http.add_argument(
        "--max-retry-after",
        type=_non_negative_float,
        default=120.0,
        metavar="SECONDS",
        help="a longer Retry-After gives the row up as an error (default: %(default)s)",
    )
    parser.set_defaults(handler=handle)


def _settings(args: argparse.Namespace) -> tuple[str, str, ProviderSettings]:
    url = args.database_url or _env("CAPACITY_DATABASE_URL") or _env("DATABASE_URL")
    if not url:
        raise UsageError("no database: pass --database-url or set CAPACITY_DATABASE_URL")
    url, url_schema = split_prisma_schema(url)
    app_schema = args.app_schema or _env("CAPACITY_APP_SCHEMA") or url_schema or "public"
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
    return url, app_schema, providers


@contextlib.contextmanager
def _sigterm_as_sigint() -> Iterator[list[int]]:
    """SIGTERM stops the run the way Ctrl-C does (summary, committed checkpoint).

    Yields a list that holds the signal received, for the exit code.
    """
    received: list[int] = []

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        signal.raise_signal(signal.SIGINT)

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


def _revert(args: argparse.Namespace, url: str, app_schema: str) -> int:
    db = open_database(url, app_schema)
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


def handle(args: argparse.Namespace) -> int:
    """Run the backfill (or ``--revert``) from parsed args; prints the summary on stdout."""
    with redacting_logs():
        try:
            return _handle(args)
        except Exception as exc:  # last resort: nothing unexpected may print a token
            print(f"capacity backfill: {redact(describe_error(exc))}", file=sys.stderr)
            return EXIT_FAILED


def _handle(args: argparse.Namespace) -> int:
    try:
        url, app_schema, providers = _settings(args)
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
            return _revert(args, url, app_schema)
        db = open_database(url, app_schema)
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
