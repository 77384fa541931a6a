"""HTTP for the backfill: rate limits, retries with backoff, and a per-request outcome.

Why this shape:

- The backfill makes one GET per appointment, possibly 100,000 of them, against
  providers that throttle per sub-account (GoHighLevel documents 100 requests per
  10 s). Requests run concurrently on one event loop (aiohttp costs a fraction of
  the CPU per request a synchronous client does: docs/decisions.md, "aiohttp on one
  event loop, not httpx"). A sliding-window limiter per (provider, token) keeps us
  under the limit, with a margin, instead of provoking 429s; a 429 that happens
  anyway pauses that key for the ``Retry-After`` the server asked for, so sibling
  requests wait too.
- Transient failures (429, 5xx, timeouts, connection errors) are retried with
  exponential backoff and jitter; definitive answers (400/401/403/404/422 and any
  other 4xx) are returned at once: retrying them only burns the rate budget.
- Nothing here raises for an HTTP or network failure: the caller gets a
  :class:`HttpResult` and records a per-row outcome, so one bad row never stops a run.
- Redirects are never followed: a redirect could carry the Authorization header to
  another host.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# An answer is one event: anything bigger is not one (and must not fill memory).
MAX_BODY_BYTES = 1 << 20
# The limiter's margin under a provider's limit (see SlidingWindowLimiter).
LIMIT_SHARE = 0.9
WINDOW_SLACK = 1.02


class RateLimitError(ValueError):
    """A rate limit setting that cannot be parsed (a usage error)."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``max_requests`` in any ``per_seconds`` window (sliding)."""

    max_requests: int
    per_seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse ``"100/10"`` or ``"100/10s"`` (requests / seconds)."""
        try:
            count, _, seconds = text.strip().partition("/")
            limit = cls(int(count), float(seconds.strip().removesuffix("s") or "1"))
        except ValueError:
            raise RateLimitError(f"rate limit must look like 100/10 (got {text!r})") from None
        if limit.max_requests < 1 or limit.per_seconds <= 0:
            raise RateLimitError(f"rate limit must be positive (got {text!r})")
        return limit

    def __str__(self) -> str:
        return f"{self.max_requests}/{self.per_seconds:g}s"


class SlidingWindowLimiter:
    """Sliding-window limiter per key, for one event loop (no locks needed).

    Each caller reserves the earliest instant at which its request keeps the key
    within the limit, then sleeps until then. The limit applied is the configured
    one with a margin (:data:`LIMIT_SHARE` of the requests over a window
    :data:`WINDOW_SLACK` longer), because the provider counts arrivals, and arrivals
    are not send times: a request delayed on its way would otherwise land inside the
    provider's window together with the next burst. Keys are token fingerprints,
    never tokens.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.max_requests = max(1, math.floor(limit.max_requests * LIMIT_SHARE))
        self.per_seconds = limit.per_seconds * WINDOW_SLACK
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._paused_until: dict[str, float] = {}

    def reserve(self, key: str) -> float:
        """Reserve a send time for ``key``; returns how long the caller must wait first."""
        now = self._clock()
        sent = self._sent.setdefault(key, deque(maxlen=self.max_requests))
        at = now
        if len(sent) == sent.maxlen:
            at = max(at, sent[0] + self.per_seconds)
        at = max(at, self._paused_until.get(key, 0.0))
        sent.append(at)
        return at - now

    async def acquire(self, key: str) -> float:
        """Wait until a request for ``key`` may be sent; returns the seconds waited."""
        wait = self.reserve(key)
        if wait > 0:
            await self._sleep(wait)
        return max(wait, 0.0)

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request for ``key`` for ``seconds`` (the server said Retry-After)."""
        until = self._clock() + seconds
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)

    def paused_for(self, key: str) -> float:
        """Seconds left in a server-imposed pause of ``key`` (0 when none)."""
        return max(0.0, self._paused_until.get(key, 0.0) - self._clock())


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request before recording it as an error."""

    max_retries: int = 5  # retries after the first attempt
    backoff_base: float = 0.5  # seconds; doubled each retry
    backoff_max: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After gives up on the row instead

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Exponential backoff with equal jitter for retry ``retry_number`` (0-based)."""
        delay = min(self.backoff_max, self.backoff_base * (2**retry_number))
        return delay / 2 + rng.uniform(0, delay / 2)


@dataclass(frozen=True)
class Timeouts:
    """Per-request timeouts (seconds). ``read`` bounds the whole answer, not only the
    gap between two reads: a server trickling a byte at a time cannot hold a slot."""

    connect: float = 5.0
    read: float = 15.0

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.connect + self.read, sock_connect=self.connect, sock_read=self.read
        )


@dataclass(frozen=True)
class HttpResult:
    """What one logical GET ended with (after retries).

    ``ok`` with ``payload`` on a 2xx JSON object; otherwise ``status`` (``None`` for a
    network failure or timeout), ``reason`` (e.g. ``http_404``, ``timeout``) and
    ``transient`` (the retry budget ran out, so a later run might succeed).
    """

    ok: bool
    payload: Mapping[str, Any] | None = None
    status: int | None = None
    reason: str | None = None
    transient: bool = False
    attempts: int = 0


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP-date), or Calendly's
    ``X-RateLimit-Reset`` (seconds until the window resets); ``None`` when absent/invalid."""
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            current = now() if now else datetime.now(UTC)
            return max(0.0, (when - current).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset is not None:
        try:
            return max(0.0, float(reset.strip()))
        except ValueError:
            return None
    return None


class HttpFetcher:
    """GETs JSON with retries, backoff, ``Retry-After`` and a limiter per key.

    One aiohttp session (keep-alive, at most ``max_connections`` sockets) per run,
    created on first use inside the run's event loop. Callers pass the headers
    (Authorization included) per call; they are never logged, and failures are
    described by status and exception type only, never by an exception's text (a
    library's message may quote a header). ``requests_sent`` counts every request
    that went out, so an aborted run still reports them.
    """

    def __init__(
        self,
        timeouts: Timeouts,
        retry: RetryPolicy,
        *,
        max_connections: int = 16,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.retry = retry
        self.timeouts = timeouts
        self.max_connections = max_connections
        self.requests_sent = 0
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections),
                timeout=self.timeouts.to_aiohttp(),
                trust_env=False,  # no proxy from the environment gets to see the tokens
                auto_decompress=True,
                cookie_jar=aiohttp.DummyCookieJar(),  # nothing carries over between rows
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get_json(
        self,
        url: str,
        headers: Mapping[str, str],
        limiter: SlidingWindowLimiter,
        limiter_key: str,
    ) -> HttpResult:
        """GET ``url`` and return its JSON object, retrying what is worth retrying."""
        last_reason = "unknown"
        last_status: int | None = None
        attempts = 0
        for retry_number in range(self.retry.max_retries + 1):
            pause = limiter.paused_for(limiter_key)
            if pause > self.retry.max_retry_after:
                # The provider asked for a longer pause than we may wait (e.g. a daily cap):
                # give up on the row without sending, instead of hammering the provider.
                return HttpResult(
                    ok=False, status=429, reason="http_429", transient=True, attempts=attempts
                )
            await limiter.acquire(limiter_key)
            attempts += 1
            self.requests_sent += 1
            wait: float | None
            try:
                async with self._client().get(
                    url, headers=dict(headers), allow_redirects=False
                ) as response:
                    status = response.status
                    if 200 <= status < 300:
                        return await self._json_result(response, attempts)
                    retry_after = parse_retry_after(response.headers)
            except (TimeoutError, aiohttp.ServerTimeoutError):
                last_reason, last_status, wait = "timeout", None, None
            except aiohttp.ClientError as exc:
                last_reason, last_status, wait = "network_error", None, None
                log.debug("network error (%s) on attempt %d", type(exc).__name__, attempts)
            else:
                last_status, last_reason = status, f"http_{status}"
                if status not in RETRYABLE_STATUSES:
                    return HttpResult(
                        ok=False, status=status, reason=last_reason, attempts=attempts
                    )
                wait = retry_after
                if status == 429:
                    pause_for = wait if wait is not None else self._backoff(retry_number)
                    limiter.pause(limiter_key, pause_for)
                    if wait is not None and wait > self.retry.max_retry_after:
                        return HttpResult(
                            ok=False,
                            status=429,
                            reason=last_reason,
                            transient=True,
                            attempts=attempts,
                        )
                    # The limiter pause makes this request (and its siblings) wait.
                    log.debug("429: pausing this token's requests for %.2fs", pause_for)
                    wait = 0.0
            if retry_number == self.retry.max_retries:
                break
            delay = (
                self._backoff(retry_number)
                if wait is None
                else min(wait, self.retry.max_retry_after)
            )
            log.debug(
                "retrying after %s in %.2fs (attempt %d of %d)",
                last_reason,
                delay,
                attempts + 1,
                self.retry.max_retries + 1,
            )
            if delay > 0:
                await self._sleep(delay)
        return HttpResult(
            ok=False, status=last_status, reason=last_reason, transient=True, attempts=attempts
        )

    def _backoff(self, retry_number: int) -> float:
        return self.retry.backoff(retry_number, self._rng)

    @staticmethod
    async def _json_result(response: aiohttp.ClientResponse, attempts: int) -> HttpResult:
        """The body as a JSON object; anything else (or a body too big) is invalid."""
        status = response.status
        invalid = HttpResult(ok=False, status=status, reason="invalid_response", attempts=attempts)
        length = response.content_length
        if length is not None and length > MAX_BODY_BYTES:
            return invalid
        if length is not None:
            body = await response.read()  # bounded by the Content-Length just checked
        else:  # chunked: read up to the cap, no further
            body = bytearray()
            async for chunk in response.content.iter_any():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return invalid
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            return invalid
        if not isinstance(payload, dict):
            return invalid
        return HttpResult(ok=True, payload=payload, status=status, attempts=attempts)
