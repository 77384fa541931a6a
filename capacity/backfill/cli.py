"""``capacity backfill``: fill missing appointment attribution from the calendar providers.

This module only maps flags and environment variables onto
:mod:`capacity.backfill`; the behaviour is documented there (runner: what is
selected and written; checkpoint: how a killed run resumes). The database is a
dbt target's, from :mod:`capacity.settings`, like every other command's.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from capacity.backfill.checkpoint import DEFAULT_CHECKPOINT_SCHEMA
from capacity.backfill.validation import (
    DEFAULT_CALENDLY_BASE_URL,
    DEFAULT_GHL_BASE_URL,
    MAX_BATCH_SIZE,
    PROVIDERS,
)
from capacity.cli import (
    add_json_option,
    add_target_option,
    bounded_int,
    non_negative_float,
    positive_float,
)

MAX_CONCURRENCY = 256  # sockets and tasks per run: a bound, not a tuning knob

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
  CAPACITY_TARGET, CAPACITY_DUCKDB_PATH,
  CAPACITY_PG_HOST/_PORT/_USER/_PASSWORD/_DATABASE   --target (the database)
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


_batch_size = bounded_int(1, MAX_BATCH_SIZE)
_concurrency = bounded_int(1, MAX_CONCURRENCY)
_non_negative_int = bounded_int(0)


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
    add_target_option(db, "whose app tables to fill")
    db.add_argument(
        "--app-schema",
        metavar="NAME",
        help="schema of the app tables (default: $CAPACITY_APP_SCHEMA, else public on "
        "postgres, main_app on dev)",
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
    add_json_option(run, "the summary (one object)")
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
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="default: %(default)s",
    )
    http.add_argument(
        "--timeout",
        type=positive_float,
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
        type=non_negative_float,
        default=0.5,
        metavar="SECONDS",
        help="first backoff, doubled per retry, with jitter (default: %(default)s)",
    )
    http.add_argument(
        "--backoff-max",
        type=non_negative_float,
        default=30.0,
        metavar="SECONDS",
        help="longest backoff (default: %(default)s)",
    )
    http.add_argument(
        "--max-retry-after",
        type=non_negative_float,
        default=120.0,
        metavar="SECONDS",
        help="a longer Retry-After gives the row up as an error (default: %(default)s)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the backfill (or ``--revert``) from parsed args; prints the summary on stdout."""
    from capacity.backfill.command import run_command  # the HTTP and database stack

    return run_command(args)
