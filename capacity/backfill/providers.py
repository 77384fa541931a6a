"""Resolve an appointment's calendar identifier from GoHighLevel or Calendly.

Each candidate row carries its provider reference and its workspace's token; the
resolver turns it into an :class:`Outcome`: ``resolved`` with the value to write,
``unresolvable`` with a reason (the provider or the data says there is no value to
be had: no token, 404, 401, a URI on a foreign host...), or ``error`` with a reason
(the request kept failing transiently; a later run may succeed).

Tokens are :class:`~capacity.backfill.secret.Secret` objects and are revealed only
to build the ``Authorization`` header of a request to the configured base URL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from capacity.backfill.http import HttpFetcher, HttpResult, RateLimit, SlidingWindowLimiter
from capacity.backfill.secret import Secret

log = logging.getLogger(__name__)

GHL = "GHL"
CALENDLY = "CALENDLY"
PROVIDERS = (GHL, CALENDLY)

DEFAULT_GHL_BASE_URL = "https://services.leadconnectorhq.com"
DEFAULT_CALENDLY_BASE_URL = "https://api.calendly.com"
GHL_API_VERSION = "2021-04-15"
# GoHighLevel documents 100 requests per 10 s per sub-account; Calendly publishes no
# fixed figure, so the same conservative default applies to it (configurable).
DEFAULT_RATE_LIMIT = RateLimit(100, 10.0)

# Reasons a row is unresolvable without any request being sent.
NO_TOKEN = "no_token"
URI_OUTSIDE_BASE = "uri_outside_base"
# Reasons after a successful (2xx) answer that carries no usable value.
NO_CALENDAR_IN_RESPONSE = "no_calendar_in_response"
INVALID_RESPONSE = "invalid_response"


class BaseUrlError(ValueError):
    """A configured provider base URL is not an absolute http(s) URL (a usage error)."""


@dataclass(frozen=True)
class Candidate:
    """One appointment to resolve. ``provider`` is already trimmed and upper-cased."""

    appointment_id: str
    provider: str
    reference: str
    workspace_id: str | None
    token: Secret | None


@dataclass(frozen=True)
class Outcome:
    """What resolving one candidate gave."""

    kind: Literal["resolved", "unresolvable", "error"]
    value: str | None = None
    reason: str | None = None
    http_status: int | None = None
    http_requests: int = 0  # requests actually sent for this row, retries included

    @classmethod
    def resolved(cls, value: str, result: HttpResult) -> Outcome:
        return cls(
            "resolved", value=value, http_status=result.status, http_requests=result.attempts
        )

    @classmethod
    def unresolvable(cls, reason: str, result: HttpResult | None = None) -> Outcome:
        if result is None:
            return cls("unresolvable", reason=reason)
        return cls(
            "unresolvable", reason=reason, http_status=result.status, http_requests=result.attempts
        )

    @classmethod
    def error(cls, reason: str, result: HttpResult) -> Outcome:
        return cls("error", reason=reason, http_status=result.status, http_requests=result.attempts)


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int
    path: str  # without trailing slash


def _origin(url: str) -> _Origin:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError(url)
    port = parts.port or (443 if scheme == "https" else 80)
    return _Origin(scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))


def parse_base_url(url: str, name: str) -> str:
    """Validate a base URL (absolute http/https, no credentials) and drop a trailing slash."""
    try:
        _origin(url)
    except ValueError:
        raise BaseUrlError(
            f"{name} must be an absolute http(s) URL without credentials (got {url!r})"
        ) from None
    return url.strip().rstrip("/")


def is_under_base(uri: str, base_url: str) -> bool:
    """Whether ``uri`` is on the base URL's scheme, host and port, under its path.

    Compared on parsed components (host case-insensitively), so
    ``https://api.calendly.com@evil.example/`` or ``https://api.calendly.com.evil.example/``
    do not pass, and neither do credentials in the URI or ``..`` segments.
    """
    try:
        target, base = _origin(uri), _origin(base_url)
    except ValueError:
        return False
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        return False
    if "/../" in f"{target.path}/" or "/./" in f"{target.path}/":
        return False
    return target.path.startswith(base.path + "/")


@dataclass(frozen=True)
class ProviderSettings:
    """Where the providers are and how fast we may call them."""

    ghl_base_url: str = DEFAULT_GHL_BASE_URL
    calendly_base_url: str = DEFAULT_CALENDLY_BASE_URL
    ghl_rate_limit: RateLimit = DEFAULT_RATE_LIMIT
    calendly_rate_limit: RateLimit = DEFAULT_RATE_LIMIT


class AttributionResolver:
    """Resolves candidates through one shared :class:`HttpFetcher` (thread-safe)."""

    def __init__(self, settings: ProviderSettings, fetcher: HttpFetcher) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self._limiters = {
            GHL: SlidingWindowLimiter(settings.ghl_rate_limit),
            CALENDLY: SlidingWindowLimiter(settings.calendly_rate_limit),
        }
        self._warned: set[tuple[str, str | None, int]] = set()
        self._warned_lock = threading.Lock()

    def resolve(self, candidate: Candidate) -> Outcome:
        """Resolve one candidate; never raises for provider or network failures."""
        if candidate.token is None:
            return Outcome.unresolvable(NO_TOKEN)
        if candidate.provider == GHL:
            return self._resolve_ghl(candidate, candidate.token)
        if candidate.provider == CALENDLY:
            return self._resolve_calendly(candidate, candidate.token)
        raise ValueError(f"unsupported provider {candidate.provider!r}")

    def _resolve_ghl(self, candidate: Candidate, token: Secret) -> Outcome:
        # The id goes into one path segment: quote everything, "/" included.
        url = (
            f"{self.settings.ghl_base_url}/calendars/events/appointments/"
            f"{quote(candidate.reference, safe='')}"
        )
        headers = {
            "Authorization": f"Bearer {token.reveal()}",
            "Version": GHL_API_VERSION,
            "Accept": "application/json",
        }
        result = self._get(GHL, candidate, url, headers, token)
        if not result.ok:
            return self._failure(candidate, result)
        payload = result.payload or {}
        event = payload.get("appointment")
        if not isinstance(event, Mapping):
            event = payload.get("event")
        if not isinstance(event, Mapping):
            return Outcome.unresolvable(INVALID_RESPONSE, result)
        return _value_or_missing(event.get("calendarId"), result)

    def _resolve_calendly(self, candidate: Candidate, token: Secret) -> Outcome:
        uri = candidate.reference.strip()
        if not is_under_base(uri, self.settings.calendly_base_url):
            return Outcome.unresolvable(URI_OUTSIDE_BASE)
        headers = {"Authorization": f"Bearer {token.reveal()}", "Accept": "application/json"}
        result = self._get(CALENDLY, candidate, uri, headers, token)
        if not result.ok:
            return self._failure(candidate, result)
        resource = (result.payload or {}).get("resource")
        if not isinstance(resource, Mapping):
            return Outcome.unresolvable(INVALID_RESPONSE, result)
        return _value_or_missing(resource.get("event_type"), result)

    def _get(
        self,
        provider: str,
        candidate: Candidate,
        url: str,
        headers: Mapping[str, str],
        token: Secret,
    ) -> HttpResult:
        # Rate limits are per sub-account / per token; the key is the token's fingerprint.
        key = f"{provider}:{token.fingerprint()}"
        return self.fetcher.get_json(url, headers, self._limiters[provider], key)

    def _failure(self, candidate: Candidate, result: HttpResult) -> Outcome:
        reason = result.reason or "unknown"
        if result.status in (401, 403):
            warn_key = (candidate.provider, candidate.workspace_id, result.status)
            with self._warned_lock:
                first = warn_key not in self._warned
                self._warned.add(warn_key)
            if first:
                log.warning(
                    "%s answered %d for workspace %s: its token is %s",
                    candidate.provider,
                    result.status,
                    candidate.workspace_id,
                    "rejected" if result.status == 401 else "missing a scope",
                )
        if result.transient:
            return Outcome.error(reason, result)
        return Outcome.unresolvable(reason, result)


def _value_or_missing(value: Any, result: HttpResult) -> Outcome:
    if isinstance(value, str) and value.strip():
        return Outcome.resolved(value.strip(), result)
    return Outcome.unresolvable(NO_CALENDAR_IN_RESPONSE, result)
