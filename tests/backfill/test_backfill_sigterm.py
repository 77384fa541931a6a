"""SIGTERM stops `capacity backfill` as Ctrl-C does, whatever SIGINT's disposition.

A scheduler stops a job with SIGTERM. A job started as a script's background job
inherits SIGINT ignored; SIGTERM must still stop it (test_backfill_kill.py runs the
whole command with SIGINT as usual).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest

from capacity.backfill.command import _sigterm_as_sigint


@pytest.fixture(params=["sigint default", "sigint ignored"])
def sigint_disposition(request: pytest.FixtureRequest) -> Iterator[None]:
    handler = signal.default_int_handler if request.param == "sigint default" else signal.SIG_IGN
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_disposition")
def test_sigterm_raises_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), _sigterm_as_sigint() as received:
        signal.raise_signal(signal.SIGTERM)
    assert received == [signal.SIGTERM]


@pytest.mark.usefixtures("sigint_disposition")
def test_sigterm_stops_the_event_loop_at_once() -> None:
    seen: list[str] = []

    async def batches() -> None:
        asyncio.get_running_loop().call_later(0.05, signal.raise_signal, signal.SIGTERM)
        try:
            await asyncio.sleep(5)  # interrupted long before it ends
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    runner = asyncio.Runner()
    try:
        with pytest.raises(KeyboardInterrupt), _sigterm_as_sigint() as received:
            runner.run(batches())
    finally:
        runner.close()
    assert received == [signal.SIGTERM]
    # The batch loop is cancelled: by asyncio's SIGINT handler, or, with SIGINT
    # ignored, when the runner closes after the interrupt.
    assert seen == ["cancelled"]
