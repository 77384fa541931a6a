"""Resolve an appointment's calendar identifier from GoHighLevel or Calendly.

Each candidate row carries its provider reference and its workspace's token; the
resolver checks both (:mod:`capacity.backfill.validation`) before any request,
builds the request URL from the checked id and the configured base only (never
from the stored URI as is), checks the answer, and turns it into an
:class:`Outcome`.

Tokens are :class:`~capacity.backfill.secret.Secret` objects and are revealed only
to build the ``Authorization`` header of a request to the configured base URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from capacity.backfill.http import HttpFetcher, HttpResult, RateLimit, SlidingWindowLimiter
from capacity.backfill.secret import Secret, printable
from capacity.backfill.validation import (
    ANSWER_ID_MISMATCH,
    CALENDLY,
    DEFAULT_CALENDLY_BASE_URL,
    DEFAULT_GHL_BASE_URL,
    GHL,
    INVALID_RESPONSE,
    NO_CALENDAR_IN_RESPONSE,
    TOKEN_INVALID,
    Rejected,
    calendly_answer_uuid,
    calendly_event_type,
    calendly_event_uuid,
    ghl_calendar_id,
    ghl_event_id,
    is_missing,
    parse_origin,
)

log = logging.getLogger(__name__)

GHL_API_VERSION = "2021-04-15"
# GoHighLevel documents 100 requests per 10 s per sub-account; Calendly publishes no
# fixed figure, so the same conservative default applies to it (configurable).
DEFAULT_RATE_LIMIT = RateLimit(100, 10.0)

NO_TOKEN = "no_token"
UNEXPECTED_ERROR = "unexpected_error"


class BaseUrlError(ValueError):
    """A configured provider base URL is not an absolute http(s) URL (a usage error)."""


OutcomeKind = Literal["resolved", "unresolvable", "error", "quarantined", "auth_failed"]


@dataclass(frozen=True)
class Candidate:
    """One appointment to resolve, with what was read for it (the write compares it).

    ``provider`` is normalised (trimmed, upper-cased); ``provider_raw``, the two
    reference columns and ``previous_value`` (the missing target: NULL, '' or
    whitespace) are as stored, so the UPDATE can check that none of them changed.
    ``token_rejected`` is set when the stored token cannot be used at all.
    """

    appointment_id: str
    provider: str
    reference: str
    workspace_id: str | None
    token: Secret | None
    provider_raw: str = ""
    ghl_reference: str | None = None
    calendly_reference: str | None = None
    previous_value: str | None = None
    token_rejected: bool = False


@dataclass(frozen=True)
class Outcome:
    """What resolving one candidate gave.

    - ``resolved``: ``value`` is to be written; ``answer_id`` is the provider's id of
      the answer (GHL event id, Calendly event URI), kept in the audit trail;
    - ``unresolvable``: a definite answer without a value (404, no token...);
    - ``error``: transient failures outlasted the retries (a later run may succeed);
    - ``quarantined``: the reference, token or answer cannot be used; recorded for
      the row, which is not requested again unless asked;
    - ``auth_failed``: the workspace's token was rejected (401/403); its rows are not
      requested any more in this run.
    """

    kind: OutcomeKind
    value: str | None = None
    reason: str | None = None
    http_status: int | None = None
    http_requests: int = 0  # requests actually sent for this row, retries included
    answer_id: str | None = None

    @classmethod
    def from_result(
        cls, kind: OutcomeKind, reason: str | None, result: HttpResult | None = None
    ) -> Outcome:
        if result is None:
            return cls(kind, reason=reason)
        return cls(kind, reason=reason, http_status=result.status, http_requests=result.attempts)


@dataclass
class AuthFailure:
    """A token the provider rejected: which provider said what, for which workspaces."""

    provider: str
    status: int
    workspaces: set[str] = field(default_factory=set)
    rows_not_requested: int = 0


@dataclass
class _TokenState:
    """Whether a token is known to work. Its first request goes alone (the probe), so
    a rejected token costs one request, not one per row in flight."""

    checked: asyncio.Event = field(default_factory=asyncio.Event)
    probing: bool = False
    failure: AuthFailure | None = None


def parse_base_url(url: str, name: str) -> str:
    """Validate a base URL (absolute http/https, no credentials); its canonical form."""
    try:
        return parse_origin(url).canonical()
    except ValueError:
        raise BaseUrlError(
            f"{name} must be an absolute http(s) URL without credentials (got {url!r})"
        ) from None


def is_under_base(uri: str, base_url: str) -> bool:
    """Whether ``uri`` is a scheduled-event URI under the base (see :mod:`validation`)."""
    try:
        calendly_event_uuid(uri, parse_origin(base_url))
    except (Rejected, ValueError):
        return False
    return True


@dataclass(frozen=True)
class ProviderSettings:
    """Where the providers are and how fast we may call them."""

    ghl_base_url: str = DEFAULT_GHL_BASE_URL
    calendly_base_url: str = DEFAULT_CALENDLY_BASE_URL
    ghl_rate_limit: RateLimit = DEFAULT_RATE_LIMIT
    calendly_rate_limit: RateLimit = DEFAULT_RATE_LIMIT


class AttributionResolver:
    """Resolves candidates through one shared :class:`HttpFetcher`, on one event loop."""

    def __init__(self, settings: ProviderSettings, fetcher: HttpFetcher) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self._ghl_base = parse_origin(settings.ghl_base_url).canonical()
        self._calendly_origin = parse_origin(settings.calendly_base_url)
        self._calendly_base = self._calendly_origin.canonical()
        self._limiters = {
            GHL: SlidingWindowLimiter(settings.ghl_rate_limit),
            CALENDLY: SlidingWindowLimiter(settings.calendly_rate_limit),
        }
        self._tokens: dict[str, _TokenState] = {}

    @property
    def requests_sent(self) -> int:
        return self.fetcher.requests_sent

    def auth_failures(self) -> list[AuthFailure]:
        """The tokens rejected so far (never the tokens themselves)."""
        return [state.failure for state in self._tokens.values() if state.failure]

    async def aclose(self) -> None:
        await self.fetcher.aclose()

    async def resolve(self, candidate: Candidate) -> Outcome:
        """Resolve one candidate. Never raises (but for cancellation): whatever goes
        wrong for one row is that row's outcome, so one row cannot stop a batch."""
        try:
            return await self._resolve(candidate)
        except Exception as exc:
            log.warning(
                "appointment %s: unexpected %s; quarantined",
                printable(candidate.appointment_id),
                type(exc).__name__,
            )
            return Outcome("quarantined", reason=UNEXPECTED_ERROR)

    async def _resolve(self, candidate: Candidate) -> Outcome:
        if candidate.token_rejected:
            return Outcome("quarantined", reason=TOKEN_INVALID)
        if candidate.token is None:
            return Outcome("unresolvable", reason=NO_TOKEN)
        try:
            if candidate.provider == GHL:
                event_id = ghl_event_id(candidate.reference)
                url = f"{self._ghl_base}/calendars/events/appointments/{event_id}"
                headers = {"Version": GHL_API_VERSION}
            else:
                uuid = calendly_event_uuid(candidate.reference, self._calendly_origin)
                url = f"{self._calendly_base}/scheduled_events/{uuid}"
                headers = {}
        except Rejected as rejected:
            return Outcome("quarantined", reason=rejected.reason)
        headers |= {
            "Authorization": f"Bearer {candidate.token.reveal()}",
            "Accept": "application/json",
        }
        key = f"{candidate.provider}:{candidate.token.fingerprint()}"
        state = self._tokens.setdefault(key, _TokenState())
        if state.probing and not state.checked.is_set():
            await state.checked.wait()
        if state.failure is not None:
            state.failure.rows_not_requested += 1
            if candidate.workspace_id is not None:
                state.failure.workspaces.add(candidate.workspace_id)
            return Outcome("auth_failed", reason=f"http_{state.failure.status}")
        probe = not state.checked.is_set()
        state.probing = True
        try:
            result = await self.fetcher.get_json(
                url, headers, self._limiters[candidate.provider], key
            )
            if result.status in (401, 403):
                self._record_auth_failure(state, candidate, result.status)
        finally:
            if probe:
                state.checked.set()
        if result.status in (401, 403):
            return Outcome.from_result("auth_failed", result.reason, result)
        if not result.ok:
            kind: OutcomeKind = "error" if result.transient else "unresolvable"
            if result.reason == INVALID_RESPONSE:
                kind = "quarantined"
            return Outcome.from_result(kind, result.reason, result)
        if candidate.provider == GHL:
            return _ghl_outcome(event_id, result)
        return self._calendly_outcome(uuid, result)

    @staticmethod
    def _record_auth_failure(state: _TokenState, candidate: Candidate, status: int) -> None:
        if state.failure is None:
            state.failure = AuthFailure(candidate.provider, status)
            log.warning(
                "%s answered %d for workspace %s: its token is %s; its other rows are "
                "not requested",
                candidate.provider,
                status,
                printable(str(candidate.workspace_id)),
                "rejected" if status == 401 else "missing a scope",
            )
        if candidate.workspace_id is not None:
            state.failure.workspaces.add(candidate.workspace_id)

    def _calendly_outcome(self, uuid: str, result: HttpResult) -> Outcome:
        resource = (result.payload or {}).get("resource")
        if not isinstance(resource, Mapping):
            return Outcome.from_result("quarantined", INVALID_RESPONSE, result)
        try:
            if calendly_answer_uuid(resource.get("uri"), self._calendly_origin) != uuid:
                raise Rejected(ANSWER_ID_MISMATCH)
            event_type = resource.get("event_type")
            if event_type is None or (isinstance(event_type, str) and is_missing(event_type)):
                return Outcome.from_result("unresolvable", NO_CALENDAR_IN_RESPONSE, result)
            value = calendly_event_type(event_type, self._calendly_origin)
        except Rejected as rejected:
            return Outcome.from_result("quarantined", rejected.reason, result)
        return _resolved(value, f"{self._calendly_base}/scheduled_events/{uuid}", result)


def _ghl_outcome(event_id: str, result: HttpResult) -> Outcome:
    payload = result.payload or {}
    event = payload.get("appointment")
    if not isinstance(event, Mapping):
        event = payload.get("event")
    if not isinstance(event, Mapping):
        return Outcome.from_result("quarantined", INVALID_RESPONSE, result)
    if event.get("id") != event_id:
        return Outcome.from_result("quarantined", ANSWER_ID_MISMATCH, result)
    calendar_id = event.get("calendarId")
    if calendar_id is None or (isinstance(calendar_id, str) and is_missing(calendar_id)):
        return Outcome.from_result("unresolvable", NO_CALENDAR_IN_RESPONSE, result)
    try:
        value = ghl_calendar_id(calendar_id)
    except Rejected as rejected:
        return Outcome.from_result("quarantined", rejected.reason, result)
    return _resolved(value, event_id, result)


def _resolved(value: str, answer_id: str, result: HttpResult) -> Outcome:
    return Outcome(
        "resolved",
        value=value,
        http_status=result.status,
        http_requests=result.attempts,
        answer_id=answer_id,
    )
