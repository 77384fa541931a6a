"""What every `capacity` sub-command shares: exit codes, argument types, options.

Light on purpose: every job's CLI imports it at start-up, so it imports nothing
heavy (no dbt, no database driver).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from capacity.settings import TARGETS

EXIT_OK = 0
EXIT_FAILED = 1  # the work could not be done: the reason is on stderr, stdout stays empty
EXIT_USAGE = 2  # bad flags or configuration (argparse uses 2 as well)
EXIT_TOKEN_FAILED = 3  # backfill: a workspace's provider token was rejected or unusable
EXIT_INTERRUPTED = 130  # SIGINT
EXIT_TERMINATED = 143  # SIGTERM


def _number(cast: Callable[[str], Any], text: str) -> Any:
    try:
        return cast(text.strip().replace("_", ""))
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None


def bounded_int(minimum: int = 0, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number in [minimum, maximum]."""

    def parse(text: str) -> int:
        value = _number(int, text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}")
        return value

    return parse


def non_negative_float(text: str) -> float:
    value = _number(float, text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a finite number, not negative")
    return value


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def positive_int_list(text: str) -> list[int]:
    """An argparse type: one or more positive whole numbers, comma-separated."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give one or more positive numbers, comma-separated")
    return [bounded_int(1)(part) for part in parts]


def add_target_option(parser: argparse.ArgumentParser, what: str = "to read") -> None:
    """The one `--target` option: a dbt target of profiles.yml, fixed choices."""
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default=None,
        help=f"dbt target {what}: dev (embedded DuckDB) or postgres "
        "(default: $CAPACITY_TARGET, else dev)",
    )


def add_json_option(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def fail(command: str, message: str, code: int = EXIT_FAILED) -> int:
    """Say why on stderr (one line, prefixed with the command) and return the exit code."""
    sys.stderr.write(f"capacity {command}: {' '.join(message.split())}\n")
    return code
