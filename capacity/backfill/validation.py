"""What the backfill accepts, checked before any request and on every answer.

A value the backfill writes is permanent (later runs fill only missing identifiers),
so everything that shapes a request or a write is checked against a strict allow-list
instead of being repaired: a reference, token or answer that fails is quarantined for
its row with one of the reasons below, and nothing is sent or written for it.

- References: a GoHighLevel event id is 1-128 characters of ``[A-Za-z0-9_-]`` (the
  recurring form ``<masterId>_<epochMs>_<durationMin>`` included); a Calendly
  scheduled-event URI is ``{calendly base}/scheduled_events/{uuid}`` (an optional
  trailing slash) with the same alphabet for the uuid, visible ASCII only, no
  userinfo, query, fragment or percent-encoding, compared on scheme, host, port and
  path after lower-casing scheme and host. Only surrounding spaces are trimmed: a
  tab, CR or LF anywhere makes the reference invalid, never silently dropped.
- Answers: the answer's own id (GHL ``id``, Calendly ``uri``) must be the one
  requested; a GHL ``calendarId`` has the event id's shape; a Calendly ``event_type``
  is ``{calendly base}/event_types/{uuid}`` under the configured base and is written in
  that canonical form.
- Tokens: 1-4,096 visible ASCII characters (no control characters, no spaces inside,
  nothing non-ASCII): anything else cannot go into a header and is a configuration
  error of its workspace.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from capacity.backfill.secret import Secret

GHL = "GHL"
CALENDLY = "CALENDLY"
PROVIDERS = (GHL, CALENDLY)
DEFAULT_GHL_BASE_URL = "https://services.leadconnectorhq.com"
DEFAULT_CALENDLY_BASE_URL = "https://api.calendly.com"
# A batch's rows, lookups and answers are held in memory at once: this bounds it.
MAX_BATCH_SIZE = 5_000

# An id segment: what GoHighLevel ids and Calendly uuids are made of.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
MAX_URI_LENGTH = 2048
MAX_TOKEN_LENGTH = 4096
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")

# Quarantine reasons (stable strings: they are stored and summarised).
REFERENCE_TOO_LONG = "reference_too_long"
REFERENCE_INVALID = "reference_invalid"
REFERENCE_DOT_SEGMENT = "reference_dot_segment"
URI_OUTSIDE_BASE = "uri_outside_base"
TOKEN_INVALID = "token_invalid"
ANSWER_ID_MISMATCH = "answer_id_mismatch"
ANSWER_VALUE_INVALID = "answer_value_invalid"
ANSWER_VALUE_OUTSIDE_BASE = "answer_value_outside_base"
INVALID_RESPONSE = "invalid_response"

# A definite answer without a value: not quarantined, a later run asks again.
NO_CALENDAR_IN_RESPONSE = "no_calendar_in_response"

# Every character Python counts as whitespace: an identifier made only of these is
# missing (SPEC §5), exactly like NULL.
WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())


class Rejected(ValueError):
    """A value that cannot be used; ``reason`` is one of the quarantine reasons."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_missing(value: str | None) -> bool:
    """NULL, empty or whitespace only: an identifier the backfill may fill."""
    return value is None or not value.strip(WHITESPACE)


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port (lower-cased, default port filled in) plus the path."""

    scheme: str
    host: str
    port: int
    path: str  # without trailing slash

    @functools.cached_property
    def _canonical(self) -> str:
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.path}"

    def canonical(self) -> str:
        """``scheme://host[:port]path``: lower-case, default port left out."""
        return self._canonical


def parse_origin(url: str) -> Origin:
    """Parse an absolute http(s) URL without credentials; raises ValueError otherwise."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError(url)
    port = parts.port or (443 if scheme == "https" else 80)
    return Origin(scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))


def _checked_text(value: str, max_length: int) -> str:
    text = value.strip(" ")
    if len(text) > max_length:
        raise Rejected(REFERENCE_TOO_LONG)
    if not _VISIBLE_ASCII.fullmatch(text):
        raise Rejected(REFERENCE_INVALID)
    return text


def ghl_event_id(reference: str) -> str:
    """The event id to request, or :class:`Rejected`."""
    text = _checked_text(reference, 128)
    if text in (".", ".."):
        raise Rejected(REFERENCE_DOT_SEGMENT)
    if not ID_PATTERN.fullmatch(text):
        raise Rejected(REFERENCE_INVALID)
    return text


def _id_under_base(value: str, base: Origin, collection: str) -> str:
    """The ``{uuid}`` of ``{base}/{collection}/{uuid}``; raises :class:`Rejected`."""
    text = _checked_text(value, MAX_URI_LENGTH)
    # The usual case, exactly the canonical form: no parsing needed (3 checks per row).
    prefix = f"{base.canonical()}/{collection}/"
    if text.startswith(prefix) and ID_PATTERN.fullmatch(text[len(prefix) :].removesuffix("/")):
        return text[len(prefix) :].removesuffix("/")
    try:
        parts = urlsplit(text)
        origin = parse_origin(text)
    except ValueError:
        raise Rejected(REFERENCE_INVALID) from None
    segments = unquote(parts.path).split("/")
    if "." in segments or ".." in segments:
        raise Rejected(REFERENCE_DOT_SEGMENT)
    if "%" in text or parts.query or parts.fragment or "?" in text or "#" in text:
        raise Rejected(REFERENCE_INVALID)
    if (origin.scheme, origin.host, origin.port) != (base.scheme, base.host, base.port):
        raise Rejected(URI_OUTSIDE_BASE)
    prefix = f"{base.path}/{collection}/"
    if not origin.path.startswith(prefix):
        raise Rejected(URI_OUTSIDE_BASE)
    uuid = origin.path[len(prefix) :]
    if not ID_PATTERN.fullmatch(uuid):
        raise Rejected(REFERENCE_INVALID)
    return uuid


def calendly_event_uuid(reference: str, base: Origin) -> str:
    """The scheduled event's uuid in a stored URI under the Calendly base, or :class:`Rejected`."""
    return _id_under_base(reference, base, "scheduled_events")


def checked_token(raw: str | None) -> Secret | None:
    """The token as a :class:`Secret`; None when absent or blank; :class:`Rejected` when unusable.

    Only surrounding spaces are trimmed: a CR, LF, tab or any other control character,
    a space inside, or anything non-ASCII would corrupt the Authorization header.
    """
    if raw is None or not raw.strip(" "):
        return None
    token = raw.strip(" ")
    if len(token) > MAX_TOKEN_LENGTH or not _VISIBLE_ASCII.fullmatch(token):
        raise Rejected(TOKEN_INVALID)
    return Secret(token)


def ghl_calendar_id(value: object) -> str:
    """A GHL answer's ``calendarId`` to write; :class:`Rejected` unless id-shaped."""
    if not isinstance(value, str):
        raise Rejected(ANSWER_VALUE_INVALID)
    text = value.strip(" ")
    if not ID_PATTERN.fullmatch(text):
        raise Rejected(ANSWER_VALUE_INVALID)
    return text


def calendly_event_type(value: object, base: Origin) -> str:
    """A Calendly answer's ``event_type`` in canonical form, under the configured base."""
    if not isinstance(value, str):
        raise Rejected(ANSWER_VALUE_INVALID)
    try:
        uuid = _id_under_base(value, base, "event_types")
    except Rejected as rejected:
        reason = (
            ANSWER_VALUE_OUTSIDE_BASE
            if rejected.reason == URI_OUTSIDE_BASE
            else ANSWER_VALUE_INVALID
        )
        raise Rejected(reason) from None
    return f"{base.canonical()}/event_types/{uuid}"


def calendly_answer_uuid(value: object, base: Origin) -> str:
    """The uuid of a Calendly answer's ``resource.uri``; :class:`Rejected` as a mismatch."""
    if not isinstance(value, str):
        raise Rejected(ANSWER_ID_MISMATCH)
    try:
        return calendly_event_uuid(value, base)
    except Rejected:
        raise Rejected(ANSWER_ID_MISMATCH) from None
