"""Pieces of the backfill that need neither a database nor a server."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from capacity.backfill.cli import parse_since
from capacity.backfill.db import DatabaseConfigError, check_identifier
from capacity.backfill.http import (
    MAX_BODY_BYTES,
    HttpFetcher,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    SlidingWindowLimiter,
    Timeouts,
    parse_retry_after,
)
from capacity.backfill.providers import is_under_base, parse_base_url
from capacity.backfill.secret import printable, redact, register
from capacity.backfill.validation import (
    ANSWER_VALUE_INVALID,
    ANSWER_VALUE_OUTSIDE_BASE,
    REFERENCE_DOT_SEGMENT,
    REFERENCE_INVALID,
    REFERENCE_TOO_LONG,
    URI_OUTSIDE_BASE,
    Rejected,
    calendly_event_type,
    calendly_event_uuid,
    checked_token,
    ghl_calendar_id,
    ghl_event_id,
    is_missing,
    parse_origin,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_parsing():
    assert RateLimit.parse("100/10") == RateLimit(100, 10.0)
    assert RateLimit.parse(" 5/2.5s ") == RateLimit(5, 2.5)
    for bad in ("", "x/10", "0/10", "10/0", "10/-1"):
        with pytest.raises(RateLimitError):
            RateLimit.parse(bad)


def test_sliding_window_limiter_spaces_requests_per_key_with_a_margin():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(RateLimit(10, 10.0), clock=clock)
    # 9 of 10 (the margin) at once, the 10th when the 1st leaves a 2 % longer window.
    waits = []
    for _ in range(19):
        wait = limiter.reserve("token-a")
        waits.append(wait)
        clock.now += wait
    assert waits[:9] == [0] * 9
    assert waits[9] == pytest.approx(10.2)
    assert clock.now == pytest.approx(20.4)
    assert limiter.reserve("token-b") == 0  # keys are independent
    limiter.pause("token-b", 5.0)
    assert limiter.paused_for("token-b") == pytest.approx(5.0)
    assert limiter.reserve("token-b") == pytest.approx(5.0)
    assert SlidingWindowLimiter(RateLimit(1, 1.0)).max_requests == 1  # never 0


def test_retry_after_parsing():
    assert parse_retry_after(CIMultiDict({"Retry-After": "3"})) == 3.0
    assert parse_retry_after(CIMultiDict({"X-RateLimit-Reset": "7"})) == 7.0
    assert parse_retry_after(CIMultiDict({})) is None
    assert parse_retry_after(CIMultiDict({"Retry-After": "soon"})) is None
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(CIMultiDict({"Retry-After": date}), now=lambda: now) == 30.0


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    rng = random.Random(1)
    for retry, full in enumerate([1, 2, 4, 8, 8]):
        delay = policy.backoff(retry, rng)
        assert full / 2 <= delay <= full


async def _serve(answers: list[web.Response], seen: list[str]) -> TestServer:
    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path)
        return answers.pop(0) if answers else web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    return server


def test_fetcher_honours_retry_after_and_never_follows_redirects():
    async def scenario() -> None:
        seen: list[str] = []
        answers = [
            web.Response(status=429, headers={"Retry-After": "2"}),
            web.json_response({"ok": True}),
            web.Response(status=302, headers={"Location": "https://evil.example/"}),
        ]
        server = await _serve(answers, seen)
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        limiter = SlidingWindowLimiter(RateLimit(100, 1.0), sleep=sleep)
        fetcher = HttpFetcher(Timeouts(), RetryPolicy(), sleep=sleep)
        try:
            result = await fetcher.get_json(str(server.make_url("/x")), {}, limiter, "k")
            assert result.ok and result.attempts == 2
            assert slept and slept[-1] == pytest.approx(2.0, abs=0.05)  # the Retry-After
            redirected = await fetcher.get_json(str(server.make_url("/y")), {}, limiter, "k")
            assert (redirected.ok, redirected.reason, redirected.transient) == (
                False,
                "http_302",
                False,
            )
            assert seen == ["/x", "/x", "/y"]  # the redirect was not followed
            assert fetcher.requests_sent == 3
        finally:
            await fetcher.aclose()
            await server.close()

    asyncio.run(scenario())


def test_fetcher_gives_up_at_once_on_a_retry_after_beyond_the_limit():
    async def scenario() -> None:
        seen: list[str] = []
        answers = [web.Response(status=429, headers={"Retry-After": "86400"})]
        server = await _serve(answers, seen)

        async def must_not_sleep(seconds: float) -> None:
            pytest.fail("must not sleep")

        fetcher = HttpFetcher(Timeouts(), RetryPolicy(max_retry_after=60), sleep=must_not_sleep)
        limiter = SlidingWindowLimiter(RateLimit(100, 1.0))
        try:
            first = await fetcher.get_json(str(server.make_url("/1")), {}, limiter, "k")
            assert (first.reason, first.transient, first.attempts) == ("http_429", True, 1)
            # Later rows of the same token are not even sent while the provider's pause lasts.
            second = await fetcher.get_json(str(server.make_url("/2")), {}, limiter, "k")
            assert second.attempts == 0 and second.reason == "http_429"
            assert seen == ["/1"]
        finally:
            await fetcher.aclose()
            await server.close()

    asyncio.run(scenario())


def test_fetcher_refuses_bodies_that_are_not_one_small_json_object():
    async def scenario() -> None:
        chunked = web.Response(body=b" " * (MAX_BODY_BYTES + 10), content_type="application/json")
        chunked.enable_chunked_encoding()  # no Content-Length: the cap applies while reading
        answers = [
            web.Response(body=b"[1, 2]", content_type="application/json"),
            web.Response(body=b"x" * (MAX_BODY_BYTES + 10), content_type="application/json"),
            web.Response(body=b"{not json", content_type="application/json"),
            web.Response(body=b"[" * 200_000 + b"]" * 200_000, content_type="application/json"),
            chunked,
        ]
        server = await _serve(answers, [])
        fetcher = HttpFetcher(Timeouts(), RetryPolicy())
        limiter = SlidingWindowLimiter(RateLimit(100, 1.0))
        try:
            for path in ("/list", "/huge", "/garbage", "/deep", "/huge-chunked"):
                result = await fetcher.get_json(str(server.make_url(path)), {}, limiter, "k")
                assert (result.ok, result.reason) == (False, "invalid_response"), path
        finally:
            await fetcher.aclose()
            await server.close()

    asyncio.run(scenario())


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
    assert check_identifier('we"ird') == '"we""ird"'
    for unusable in ("", "a\x00b"):
        with pytest.raises(DatabaseConfigError):
            check_identifier(unusable)


BASE = parse_origin("https://api.calendly.com")


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("evt-01", "evt-01"),
        ("  master9_1767225600000_30 ", "master9_1767225600000_30"),
        ("..", Rejected(REFERENCE_DOT_SEGMENT)),
        (".", Rejected(REFERENCE_DOT_SEGMENT)),
        ("evt\t01", Rejected(REFERENCE_INVALID)),
        ("evt-01\r\n", Rejected(REFERENCE_INVALID)),
        ("évt", Rejected(REFERENCE_INVALID)),
        ("evt/01", Rejected(REFERENCE_INVALID)),
        ("evt%2F01", Rejected(REFERENCE_INVALID)),
        ("e" * 129, Rejected(REFERENCE_TOO_LONG)),
    ],
)
def test_ghl_event_ids(reference, expected):
    if isinstance(expected, Rejected):
        with pytest.raises(Rejected) as rejected:
            ghl_event_id(reference)
        assert rejected.value.reason == expected.reason
    else:
        assert ghl_event_id(reference) == expected


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://api.calendly.com/scheduled_events/\tU1", REFERENCE_INVALID),
        ("https://api.calendly.com/sched\tuled_events/U1", REFERENCE_INVALID),
        ("https://api.calendly.com/scheduled_events/%2e%2e", REFERENCE_DOT_SEGMENT),
        ("https://api.calendly.com/scheduled_events/./U1", REFERENCE_DOT_SEGMENT),
        ("https://api.calendly.com/scheduled_events/U1?x=1", REFERENCE_INVALID),
        ("https://api.calendly.com/scheduled_events/U1#f", REFERENCE_INVALID),
        ("https://api.calendly.com/scheduled_events/U%31", REFERENCE_INVALID),
        ("https://api.calendly.com/event_types/U1", URI_OUTSIDE_BASE),
        ("https://api.calendly.com/scheduled_events/U1/x", REFERENCE_INVALID),
        ("https://api.calendly.com/scheduled_events/" + "u" * 2100, REFERENCE_TOO_LONG),
        ("javascript:alert(1)", REFERENCE_INVALID),
    ],
)
def test_calendly_references_are_refused_with_a_reason(uri, reason):
    with pytest.raises(Rejected) as rejected:
        calendly_event_uuid(uri, BASE)
    assert rejected.value.reason == reason


def test_calendly_answers_are_checked_and_written_canonical():
    assert calendly_event_uuid("HTTPS://API.Calendly.com:443/scheduled_events/U1/", BASE) == "U1"
    assert (
        calendly_event_type("https://API.calendly.com/event_types/ET-1/", BASE)
        == "https://api.calendly.com/event_types/ET-1"
    )
    for value, reason in [
        ("https://evil.example/event_types/EVIL", ANSWER_VALUE_OUTSIDE_BASE),
        ("javascript:alert(1)", ANSWER_VALUE_INVALID),
        ("https://api.calendly.com/event_types/../users/ME", ANSWER_VALUE_INVALID),
        ({"uri": "x"}, ANSWER_VALUE_INVALID),
        ("https://api.calendly.com/event_types/" + "x" * 200, ANSWER_VALUE_INVALID),
    ]:
        with pytest.raises(Rejected) as rejected:
            calendly_event_type(value, BASE)
        assert rejected.value.reason == reason, value
    assert ghl_calendar_id(" cal_1 ") == "cal_1"
    for value in ("c" * 200_000, "javascript:alert(1)", 42, "cal 1", "cal\n1"):
        with pytest.raises(Rejected):
            ghl_calendar_id(value)


def test_tokens_and_missing_values():
    assert checked_token(None) is None and checked_token("   ") is None
    assert checked_token(' tok"en ').reveal() == 'tok"en'
    for bad in ("tok\r\nen", "tok\ten", "tök", "tok en", "tok\n", "t" * 5000):
        with pytest.raises(Rejected):
            checked_token(bad)
    assert all(is_missing(v) for v in (None, "", " ", "\t\r\n", "\u00a0\u3000"))
    assert not any(is_missing(v) for v in ("x", " x ", "\u200bx"))


def test_redact_masks_every_spelling_of_a_registered_token():
    token = "tok'en\r\nSECRET-\u00fc"
    register(token)
    text = f"{token} {token!r} {token.encode()!r} Bearer other-token"
    masked = redact(text)
    assert "SECRET" not in masked and "tok'en" not in masked
    assert "other-token" not in masked
    assert printable("ws_acme") == "ws_acme"
    assert printable("ws\x1b[2J\r\nINFO fake") == repr("ws\x1b[2J\r\nINFO fake")
