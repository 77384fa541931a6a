"""Pieces of the backfill that need neither a database nor a server."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from capacity.backfill.db import DatabaseConfigError, duckdb_path, quote_ident, redact_url
from capacity.backfill.http import (
    HttpFetcher,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    SlidingWindowLimiter,
    Timeouts,
    parse_retry_after,
)
from capacity.backfill.providers import is_under_base, parse_base_url
from capacity.backfill_cli import parse_since, split_prisma_schema


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limit_parsing():
    assert RateLimit.parse("100/10") == RateLimit(100, 10.0)
    assert RateLimit.parse(" 5/2.5s ") == RateLimit(5, 2.5)
    for bad in ("", "x/10", "0/10", "10/0", "10/-1"):
        with pytest.raises(RateLimitError):
            RateLimit.parse(bad)


def test_sliding_window_limiter_spaces_requests_per_key():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(RateLimit(3, 10.0), clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire("token-a") for _ in range(7)]
    # 3 at once, the 4th when the 1st leaves the window, and so on.
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == pytest.approx(10.0)
    assert clock.now == pytest.approx(20.0)
    assert limiter.acquire("token-b") == 0  # keys are independent
    limiter.pause("token-b", 5.0)
    assert limiter.paused_for("token-b") == pytest.approx(5.0)
    assert limiter.acquire("token-b") == pytest.approx(5.0)


def test_retry_after_parsing():
    assert parse_retry_after(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert parse_retry_after(httpx.Headers({"X-RateLimit-Reset": "7"})) == 7.0
    assert parse_retry_after(httpx.Headers({})) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": date}), now=lambda: now) == 30.0


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    rng = random.Random(1)
    for retry, full in enumerate([1, 2, 4, 8, 8]):
        delay = policy.backoff(retry, rng)
        assert full / 2 <= delay <= full


def test_fetcher_honours_retry_after_and_never_follows_redirects():
    calls: list[str] = []
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return next(answers)

    clock = FakeClock()
    limiter = SlidingWindowLimiter(RateLimit(100, 1.0), clock=clock, sleep=clock.sleep)
    fetcher = HttpFetcher(
        Timeouts(), RetryPolicy(), sleep=clock.sleep, transport=httpx.MockTransport(handler)
    )
    result = fetcher.get_json("https://p.example/x", {}, limiter, "k")
    assert result.ok and result.attempts == 2
    assert clock.now == pytest.approx(2.0)  # waited exactly the Retry-After

    redirecting = HttpFetcher(
        Timeouts(),
        RetryPolicy(),
        transport=httpx.MockTransport(
            lambda request: httpx.Response(302, headers={"Location": "https://evil.example/"})
        ),
    )
    result = redirecting.get_json("https://p.example/x", {}, limiter, "k")
    assert (result.ok, result.reason, result.transient) == (False, "http_302", False)


def test_fetcher_gives_up_at_once_on_a_retry_after_beyond_the_limit():
    fetcher = HttpFetcher(
        Timeouts(),
        RetryPolicy(max_retry_after=60),
        sleep=lambda s: pytest.fail("must not sleep"),
        transport=httpx.MockTransport(
            lambda request: httpx.Response(429, headers={"Retry-After": "86400"})
        ),
    )
    limiter = SlidingWindowLimiter(RateLimit(100, 1.0))
    first = fetcher.get_json("https://p.example/1", {}, limiter, "k")
    assert (first.reason, first.transient, first.attempts) == ("http_429", True, 1)
    # Later rows of the same token are not even sent while the provider's pause lasts.
    second = fetcher.get_json("https://p.example/2", {}, limiter, "k")
    assert second.attempts == 0 and second.reason == "http_429"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://api.calendly.com/scheduled_events/ABC", True),
        ("HTTPS://API.CALENDLY.COM/scheduled_events/ABC", True),
        ("https://api.calendly.com:443/scheduled_events/ABC", True),
        ("https://api.calendly.com", False),
        ("http://api.calendly.com/scheduled_events/ABC", False),
        ("https://api.calendly.com:8443/scheduled_events/ABC", False),
        ("https://api.calendly.com.evil.example/scheduled_events/ABC", False),
        ("https://api.calendly.com@evil.example/scheduled_events/ABC", False),
        ("https://user:pw@api.calendly.com/scheduled_events/ABC", False),
        ("https://evil.example/https://api.calendly.com/scheduled_events/ABC", False),
        ("https://api.calendly.com/scheduled_events/../../x", False),
        ("//api.calendly.com/scheduled_events/ABC", False),
        ("not a uri", False),
    ],
)
def test_calendly_uri_must_be_under_the_base(uri, expected):
    assert is_under_base(uri, "https://api.calendly.com") is expected


def test_base_url_under_a_path():
    base = parse_base_url("http://127.0.0.1:8080/calendly/", "base")
    assert base == "http://127.0.0.1:8080/calendly"
    assert is_under_base("http://127.0.0.1:8080/calendly/scheduled_events/x", base)
    assert not is_under_base("http://127.0.0.1:8080/calendlyx/scheduled_events/x", base)


def test_cli_value_parsing():
    assert parse_since("2026-03-01") == datetime(2026, 3, 1)
    assert parse_since("2026-03-01T10:00:00Z") == datetime(2026, 3, 1, 10)
    assert parse_since("2026-03-01T10:00:00+02:00") == datetime(2026, 3, 1, 8)
    url, schema = split_prisma_schema("postgresql://u:pw@h:5432/db?schema=app&sslmode=disable")
    assert (url, schema) == ("postgresql://u:pw@h:5432/db?sslmode=disable", "app")
    assert redact_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert duckdb_path("duckdb:///tmp/x.duckdb") == "/tmp/x.duckdb"
    assert duckdb_path("duckdb:demo.duckdb") == "demo.duckdb"
    assert quote_ident('we"ird') == '"we""ird"'
    with pytest.raises(DatabaseConfigError):
        quote_ident("")
