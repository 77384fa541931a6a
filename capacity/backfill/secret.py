"""Keeps provider tokens out of logs, reprs, exceptions and JSON.

Tokens are read from "WorkspaceSettings" and only ever leave the process inside an
``Authorization`` header. Wrapping them as soon as they are read means an accidental
``%r``/``%s``/f-string, a dataclass repr, a traceback's locals or ``json.dumps``
shows ``Secret('***')`` or fails, instead of the token.

That covers our code, not a library's: an HTTP library may quote a header in an
exception or a debug log. So every token read is also registered with
:func:`register`, and :func:`redacting_logs` scrubs every log record created while it
is active (message, arguments and exception text, in the plain, ``repr`` and bytes
``repr`` spellings of each token), and :func:`redact` scrubs any other text the CLI
prints.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
from collections.abc import Iterator

MASK = "***"
_registered: set[str] = set()
_pattern: re.Pattern[str] | None = None
_pattern_size = 0  # how many registered values _pattern covers (compiled when needed)
# Whatever follows "Bearer" in text we did not write ourselves, up to a quote or space.
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")


class Secret:
    """An opaque secret string. ``reveal()`` is the only way to get the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The raw value, for building the one header that needs it."""
        return self._value

    def fingerprint(self) -> str:
        """A short, non-reversible id of the secret, usable as a dictionary key or in logs."""
        return fingerprint_of(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@functools.lru_cache(maxsize=65_536)  # one per workspace token, asked for on every row
def fingerprint_of(value: str) -> str:
    """sha256 of the value, 12 hex digits (what the fake providers log, too)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _spellings(value: str) -> set[str]:
    """How a value may show up in text: as is, inside a str repr, inside a bytes repr."""
    spellings = {value, repr(value)[1:-1]}
    with contextlib.suppress(UnicodeEncodeError):
        spellings.add(repr(value.encode("utf-8"))[2:-1])
    # A library may print a header over several lines: each line of a token is masked too.
    lines = {line for piece in spellings for line in piece.splitlines() if len(line) >= 4}
    spellings |= lines
    return {s for s in spellings if s.strip()}


def printable(text: str) -> str:
    """``text`` as is when printable, else its escaped ``repr``: an id read from the
    database (a workspace id...) must not move a terminal's cursor or fake a log line."""
    return text if text.isprintable() else repr(text)


def register(value: str | None) -> None:
    """Remember a token read from the database, valid or not, so output never shows it."""
    if value is not None and value.strip():
        _registered.add(value)


def redact(text: str) -> str:
    """``text`` with every registered token, and anything after "Bearer", masked."""
    global _pattern, _pattern_size
    if _pattern_size != len(_registered):
        spellings = {s for value in _registered for s in _spellings(value)}
        ordered = sorted(spellings, key=len, reverse=True)  # longest first
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))
        _pattern_size = len(_registered)
    if _pattern is not None:
        text = _pattern.sub(MASK, text)
    return _BEARER.sub(rf"\g<1>{MASK}", text)


@contextlib.contextmanager
def redacting_logs() -> Iterator[None]:
    """Scrub every log record created in the block, whichever library logs it."""
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: its text, unformatted
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)
