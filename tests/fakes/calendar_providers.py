"""A fake GoHighLevel + Calendly API: real HTTP servers on 127.0.0.1, for tests and benchmarks.

Two listeners (one per provider, each on its own ephemeral port, so "which host got
which token" is observable) share one state: fixtures, behaviour and a request log.

- GoHighLevel listener: ``GET /calendars/events/appointments/{eventId}`` answers
  ``{"appointment": {...}}`` (or ``{"event": {...}}`` for fixtures that ask for it),
  needs ``Authorization: Bearer`` and ``Version`` headers, like the real API.
- Calendly listener: ``GET /scheduled_events/{uuid}`` answers ``{"resource": {...}}``;
  a fixture's ``event_type`` given as a path (``/event_types/X``) is served under the
  fake's own Calendly base, where the backfill accepts it.
- Behaviour (all optional): a per-request delay; a per-token limit over a sliding
  window answered with 429 + ``Retry-After`` (+ Calendly's ``X-RateLimit-*`` headers),
  the way a provider counts arrivals; one-shot scripts per
  id (``500``, ``503``, ``429``, ``"stall"`` past the client's timeout...); permanent
  statuses per id or per token (401/403/404/422...); accepted tokens; synthesized
  events for unknown ids (benchmarks).
- Every request is recorded: listener, Host header, path, provider, resource id, a
  fingerprint of the token (sha256, 12 hex digits, as
  :meth:`capacity.backfill.secret.Secret.fingerprint`) and the answer. The raw
  Authorization header is kept in memory only, for in-process assertions; it is never
  served by the control endpoints or printed.
- ``on_request`` hook (in-process only): called with each record before answering,
  e.g. to let a test write to the database "while the backfill is running".
- ``max_in_flight``: the most requests it was answering at once (shows concurrency).

It is an aiohttp server on its own event loop (in a thread when started in-process),
fast enough that a benchmark measures the backfill, not the fake
(scripts/bench_backfill.py measures the fake's ceiling before each run).

In another process (kill test, benchmark)::

    python tests/fakes/calendar_providers.py --fixtures fixtures.json [--delay 0.05]

prints one JSON line ``{"ghl_base_url": ..., "calendly_base_url": ...}`` on stdout
when ready and serves until SIGTERM/SIGINT. The request log is then read with
``GET {either base}/__fake__/requests`` (``POST /__fake__/reset`` clears it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import web

GHL = "ghl"
CALENDLY = "calendly"
GHL_PATH = "/calendars/events/appointments/"
CALENDLY_PATH = "/scheduled_events/"
CONTROL_PATH = "/__fake__/"


def token_fingerprint(token: str) -> str:
    """Same fingerprint as the backfill's ``Secret.fingerprint()``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


@dataclass
class Behaviour:
    """How the fake misbehaves. Mutable at run time (tests tweak it between runs)."""

    delay_seconds: float = 0.0  # before every answer
    rate_limit_burst: int | None = None  # requests per token in any window, then 429
    rate_limit_window: float = 10.0  # seconds, sliding
    status_by_id: dict[str, int] = field(default_factory=dict)  # permanent answer per id
    status_by_token: dict[str, int] = field(default_factory=dict)  # permanent, per token
    # One-shot actions consumed per request for an id, in order: an HTTP status
    # (e.g. 500, 503, 429) or "stall" (sleep stall_seconds, then answer normally).
    script_by_id: dict[str, list[int | str]] = field(default_factory=dict)
    stall_seconds: float = 5.0
    retry_after_on_script_429: int = 1
    accepted_tokens: set[str] | None = None  # None: any token is accepted
    synthesize_missing: bool = False  # unknown ids get a made-up event (benchmarks)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Behaviour:
        data = dict(data)
        if data.get("accepted_tokens") is not None:
            data["accepted_tokens"] = set(data["accepted_tokens"])
        return cls(**data)


@dataclass
class RecordedRequest:
    """One request as the fake saw it. ``authorization`` never leaves the process."""

    seq: int
    wall_time: float
    listener: str  # "ghl" or "calendly": which fake host was called
    server: str  # host:port of that listener
    host_header: str | None
    method: str
    path: str
    provider: str | None  # which API the path belongs to
    resource_id: str | None
    token_fingerprint: str | None
    version_header: str | None
    status: int = 0
    authorization: str | None = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("authorization")
        return data


def synthetic_ghl_calendar_id(event_id: str) -> str:
    """The calendar id a synthesized GHL event reports (benchmarks check against it)."""
    return f"cal_{event_id}"


def synthetic_calendly_event_type(calendly_base_url: str, uuid: str) -> str:
    return f"{calendly_base_url}/event_types/ET-{uuid}"


def _stable_int(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % modulo


def ghl_event_payload(event_id: str, fixture: dict[str, Any]) -> dict[str, Any]:
    """A realistic ``GET /calendars/events/appointments/{id}`` body for a fixture."""
    n = _stable_int(event_id, 28)
    event: dict[str, Any] = {
        "id": event_id,
        "calendarId": fixture.get("calendarId"),
        "locationId": f"loc_{_stable_int(event_id, 1000):04d}",
        "contactId": f"contact_{_stable_int(event_id + 'c', 10**6):06d}",
        "groupId": None,
        "title": "Initial consultation",
        "appointmentStatus": "confirmed",
        "assignedUserId": f"user_{_stable_int(event_id + 'u', 100):03d}",
        "users": [],
        "address": "https://meet.example.invalid/abc-defg-hij",
        "notes": "",
        "isRecurring": "_" in event_id,
        "startTime": f"2026-03-{1 + n:02d}T10:00:00-05:00",
        "endTime": f"2026-03-{1 + n:02d}T10:30:00-05:00",
        "dateAdded": "2026-02-20T15:04:05.000Z",
        "dateUpdated": "2026-02-21T09:00:00.000Z",
    }
    event.update({k: v for k, v in fixture.items() if k != "envelope"})
    return {fixture.get("envelope", "appointment"): event, "traceId": f"trace-{n}"}


def calendly_event_payload(base_url: str, uuid: str, fixture: dict[str, Any]) -> dict[str, Any]:
    """A realistic ``GET /scheduled_events/{uuid}`` body for a fixture."""
    n = _stable_int(uuid, 28)
    resource: dict[str, Any] = {
        "uri": f"{base_url}/scheduled_events/{uuid}",
        "name": "30 Minute Meeting",
        "meeting_notes_plain": None,
        "meeting_notes_html": None,
        "status": "active",
        "start_time": f"2026-03-{1 + n:02d}T15:00:00.000000Z",
        "end_time": f"2026-03-{1 + n:02d}T15:30:00.000000Z",
        "event_type": fixture.get("event_type"),
        "location": {"type": "zoom", "status": "pushed", "join_url": "https://zoom.invalid/j/1"},
        "invitees_counter": {"total": 1, "active": 1, "limit": 1},
        "created_at": "2026-02-20T15:04:05.000000Z",
        "updated_at": "2026-02-20T15:04:05.000000Z",
        "event_memberships": [
            {"user": f"{base_url}/users/USER-{n:04d}", "user_email": "host@example.invalid"}
        ],
        "event_guests": [],
    }
    resource.update(fixture)
    if isinstance(resource["event_type"], str) and resource["event_type"].startswith("/"):
        resource["event_type"] = base_url + resource["event_type"]  # a path: on this fake
    return {"resource": resource}


_ERROR_BODIES: dict[str, dict[int, dict[str, Any]]] = {
    GHL: {
        400: {"statusCode": 400, "message": "Bad Request"},
        401: {"statusCode": 401, "message": "Invalid JWT"},
        403: {"statusCode": 403, "message": "The token is not authorized for this scope."},
        404: {"statusCode": 404, "message": "Appointment not found"},
        422: {"statusCode": 422, "message": ["eventId must be a valid id"]},
        429: {"statusCode": 429, "message": "Too Many Requests"},
    },
    CALENDLY: {
        400: {"title": "Invalid Argument", "message": "The supplied parameters are invalid."},
        401: {"title": "Unauthenticated", "message": "The access token is invalid"},
        403: {"title": "Permission Denied", "message": "You do not have permission"},
        404: {"title": "Resource Not Found", "message": "The server could not find the resource"},
        429: {"title": "Too Many Requests", "message": "Rate limit exceeded"},
    },
}


class FakeCalendarProviders:
    """Both fake APIs, their state and their request log. Use as a context manager."""

    def __init__(
        self,
        ghl_events: dict[str, dict[str, Any]] | None = None,
        calendly_events: dict[str, dict[str, Any]] | None = None,
        behaviour: Behaviour | None = None,
        *,
        host: str = "127.0.0.1",
        ghl_port: int = 0,
        calendly_port: int = 0,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        self.ghl_events: dict[str, dict[str, Any]] = dict(ghl_events or {})
        self.calendly_events: dict[str, dict[str, Any]] = dict(calendly_events or {})
        self.behaviour = behaviour or Behaviour()
        self.on_request = on_request
        self._host = host
        self._ports = {GHL: ghl_port, CALENDLY: calendly_port}
        self._runners: list[web.AppRunner] = []
        self._base_urls: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._windows: dict[str, deque[float]] = {}  # token fp -> accepted arrival times
        self._in_flight = 0
        self.max_in_flight = 0

    # -- lifecycle ---------------------------------------------------------------------
    async def start_listeners(self) -> None:
        """Start both listeners on the running event loop."""
        for listener in (GHL, CALENDLY):
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handler(listener))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            await web.TCPSite(runner, self._host, self._ports[listener]).start()
            self._runners.append(runner)
            host, port = runner.addresses[0][:2]
            self._base_urls[listener] = f"http://{host}:{port}"

    async def stop_listeners(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    def start(self) -> FakeCalendarProviders:
        """Serve from a thread of this process with its own event loop."""
        loop = asyncio.new_event_loop()
        started: list[BaseException | None] = []
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_listeners())
                started.append(None)
            except BaseException as exc:  # reported by start()
                started.append(exc)
            ready.set()
            if started[0] is None:
                loop.run_forever()
                loop.run_until_complete(self.stop_listeners())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name="fake-providers", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        if not started or started[0] is not None:
            raise RuntimeError("the fake providers did not start") from (
                started[0] if started else None
            )
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop = self._thread = None

    def __enter__(self) -> FakeCalendarProviders:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _base_url(self, listener: str) -> str:
        try:
            return self._base_urls[listener]
        except KeyError:
            raise RuntimeError("the fake providers are not started") from None

    @property
    def ghl_base_url(self) -> str:
        return self._base_url(GHL)

    @property
    def calendly_base_url(self) -> str:
        return self._base_url(CALENDLY)

    def calendly_uri(self, uuid: str) -> str:
        """The scheduled-event URI a Calendly appointment row stores."""
        return f"{self.calendly_base_url}{CALENDLY_PATH}{uuid}"

    # -- fixtures ----------------------------------------------------------------------
    def add_ghl_event(self, event_id: str, calendar_id: str | None, **fields: Any) -> None:
        self.ghl_events[event_id] = {"calendarId": calendar_id, **fields}

    def add_calendly_event(self, uuid: str, event_type: str | None, **fields: Any) -> None:
        self.calendly_events[uuid] = {"event_type": event_type, **fields}

    # -- the log -----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def requests_for(self, resource_id: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.resource_id == resource_id]

    def requests_per_token(self) -> Counter[str | None]:
        """Request counts by token fingerprint (None: no bearer token sent)."""
        return Counter(r.token_fingerprint for r in self.requests)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._windows.clear()

    # -- request handling (called from handler threads) ---------------------------------
    def _record(self, record: RecordedRequest) -> RecordedRequest:
        with self._lock:
            record.seq = len(self._log)
            self._log.append(record)
        return record

    def _take_script_action(self, resource_id: str) -> int | str | None:
        with self._lock:
            actions = self.behaviour.script_by_id.get(resource_id)
            if actions:
                return actions.pop(0)
        return None

    def _rate_limited(self, fingerprint: str) -> tuple[bool, int, int, float]:
        """(limited, limit, remaining, seconds until a slot frees) for one request.

        A sliding window over accepted arrivals: at most ``rate_limit_burst`` in any
        ``rate_limit_window`` seconds, whatever the phase of the client's own window.
        """
        burst = self.behaviour.rate_limit_burst
        window = self.behaviour.rate_limit_window
        if burst is None:
            return False, 0, 0, 0.0
        now = time.monotonic()
        with self._lock:
            arrivals = self._windows.setdefault(fingerprint, deque())
            while arrivals and arrivals[0] <= now - window:
                arrivals.popleft()
            if len(arrivals) >= burst:
                return True, burst, 0, arrivals[0] + window - now
            arrivals.append(now)
            return False, burst, burst - len(arrivals), arrivals[0] + window - now

    def busiest_window(self, seconds: float, token_fingerprint: str | None = None) -> int:
        """The most requests (for one token, or all) that arrived within ``seconds``."""
        times = sorted(
            r.wall_time
            for r in self.requests
            if token_fingerprint is None or r.token_fingerprint == token_fingerprint
        )
        busiest, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= seconds:
                first += 1
            busiest = max(busiest, last - first + 1)
        return busiest

    def _handler(self, listener: str) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            path = urlsplit(request.raw_path).path
            if path.startswith(CONTROL_PATH):
                return self._control(request, path[len(CONTROL_PATH) :])
            return await self._serve(listener, request, path)

        return handle

    def _control(self, request: web.Request, action: str) -> web.Response:
        if action == "requests" and request.method == "GET":
            return web.json_response([r.public() for r in self.requests])
        if action == "reset" and request.method == "POST":
            self.reset_log()
            return web.json_response({"ok": True})
        if action == "health":
            return web.json_response({"ok": True})
        return web.json_response({"message": "Not Found"}, status=404)

    async def _serve(self, listener: str, request: web.Request, path: str) -> web.Response:
        authorization = request.headers.get("Authorization")
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip() or None
        provider, resource_id = _parse_path(path)
        record = self._record(
            RecordedRequest(
                seq=0,
                wall_time=time.time(),
                listener=listener,
                server=self._base_url(listener).removeprefix("http://"),
                host_header=request.headers.get("Host"),
                method=request.method,
                path=path,
                provider=provider,
                resource_id=resource_id,
                token_fingerprint=token_fingerprint(token) if token else None,
                version_header=request.headers.get("Version"),
                authorization=authorization,
            )
        )
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.behaviour.delay_seconds:
                await asyncio.sleep(self.behaviour.delay_seconds)
            if self.on_request is not None:
                self.on_request(record)
            status, body, headers = await self.answer(listener, record, token)
        finally:
            self._in_flight -= 1
        record.status = status
        return web.json_response(body, status=status, headers=headers)

    async def answer(
        self, listener: str, record: RecordedRequest, token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Decide the answer to one request: (status, JSON body, extra headers)."""
        behaviour = self.behaviour
        provider, resource_id = record.provider, record.resource_id
        if provider != listener or not resource_id or record.method != "GET":
            return 404, {"message": "Not Found"}, {}
        bodies = _ERROR_BODIES[provider]
        if token is None or (
            behaviour.accepted_tokens is not None and token not in behaviour.accepted_tokens
        ):
            return 401, bodies[401], {}
        if token in behaviour.status_by_token:
            status = behaviour.status_by_token[token]
            return status, bodies.get(status, {"message": "error"}), {}
        if provider == GHL and not record.version_header:
            return 400, {"statusCode": 400, "message": "version header was not found"}, {}
        limited, limit, remaining, reset = self._rate_limited(record.token_fingerprint or "")
        if limited:
            retry_after = max(1, math.ceil(reset))
            headers = {"Retry-After": str(retry_after)}
            if provider == CALENDLY:
                headers |= {
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(retry_after),
                }
            return 429, bodies[429], headers
        action = self._take_script_action(resource_id)
        if action == "stall":
            await asyncio.sleep(behaviour.stall_seconds)
        elif isinstance(action, int):
            headers = (
                {"Retry-After": str(behaviour.retry_after_on_script_429)} if action == 429 else {}
            )
            return action, bodies.get(action, {"message": "Internal Server Error"}), headers
        if resource_id in behaviour.status_by_id:
            status = behaviour.status_by_id[resource_id]
            return status, bodies.get(status, {"message": "error"}), {}
        headers = (
            {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
            if provider == CALENDLY and limit
            else {}
        )
        if provider == GHL:
            fixture = self.ghl_events.get(resource_id)
            if fixture is None and behaviour.synthesize_missing:
                fixture = {"calendarId": synthetic_ghl_calendar_id(resource_id)}
            if fixture is None:
                return 404, bodies[404], {}
            return 200, ghl_event_payload(resource_id, fixture), headers
        fixture = self.calendly_events.get(resource_id)
        base = self.calendly_base_url
        if fixture is None and behaviour.synthesize_missing:
            fixture = {"event_type": synthetic_calendly_event_type(base, resource_id)}
        if fixture is None:
            return 404, bodies[404], {}
        return 200, calendly_event_payload(base, resource_id, fixture), headers


def _parse_path(path: str) -> tuple[str | None, str | None]:
    """(provider, resource id) for an API path; ids are URL-decoded single segments."""
    for provider, prefix in ((GHL, GHL_PATH), (CALENDLY, CALENDLY_PATH)):
        if path.startswith(prefix):
            rest = path[len(prefix) :].rstrip("/")
            if rest and "/" not in rest:
                return provider, unquote(rest)
            return provider, None
    return None, None


def load_fixtures(path: Path) -> tuple[dict[str, Any], dict[str, Any], Behaviour]:
    """Read ``{"ghl_events": {...}, "calendly_events": {...}, "behaviour": {...}}``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return (
        data.get("ghl_events", {}),
        data.get("calendly_events", {}),
        Behaviour.from_dict(data.get("behaviour", {})),
    )


def main(argv: Iterable[str] | None = None) -> int:
    """Serve the fakes in this process until SIGTERM/SIGINT (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Fake GoHighLevel + Calendly APIs (loopback).")
    parser.add_argument("--fixtures", type=Path, help="JSON fixtures and behaviour")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--ghl-port", type=int, default=0)
    parser.add_argument("--calendly-port", type=int, default=0)
    parser.add_argument("--delay", type=float, help="seconds before every answer")
    parser.add_argument(
        "--synthesize-missing", action="store_true", help="answer unknown ids with made-up events"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the fake binds loopback addresses only")
    ghl, calendly, behaviour = (
        load_fixtures(args.fixtures) if args.fixtures else ({}, {}, Behaviour())
    )
    if args.delay is not None:
        behaviour.delay_seconds = args.delay
    if args.synthesize_missing:
        behaviour.synthesize_missing = True
    fake = FakeCalendarProviders(
        ghl,
        calendly,
        behaviour,
        host=args.host,
        ghl_port=args.ghl_port,
        calendly_port=args.calendly_port,
    )
    asyncio.run(_serve_until_signal(fake))
    return 0


async def _serve_until_signal(fake: FakeCalendarProviders) -> None:
    """Serve on this process's loop; print the base URLs; stop on SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await fake.start_listeners()
    try:
        ready = {"ghl_base_url": fake.ghl_base_url, "calendly_base_url": fake.calendly_base_url}
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await fake.stop_listeners()


if __name__ == "__main__":
    sys.exit(main())
