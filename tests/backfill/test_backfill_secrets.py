"""Tokens are secrets: never in stdout, stderr, logs, the summary or the checkpoint."""

from __future__ import annotations

import json
import logging
import pickle

import pytest
from backfill_support import ALL_TOKENS, GHL_TOKEN, cli_args, run_cli

from capacity.backfill.checkpoint import TABLE as CHECKPOINT_TABLE
from capacity.backfill.providers import Candidate
from capacity.backfill.secret import Secret


def _assert_no_token(where: str, text: str) -> None:
    for token in ALL_TOKENS:
        assert token not in text, f"a token leaked into {where}"
        # Also no recognisable piece of one (e.g. a truncated header).
        assert token[:16] not in text, f"part of a token leaked into {where}"


@pytest.mark.postgres
def test_tokens_never_appear_in_any_output(seeded_pg, fake, capsys, caplog):
    caplog.set_level(logging.DEBUG)  # everything, httpx/httpcore debug included
    # Exercise the error paths too: retries, a timeout, a 429, a 401 (revoked token).
    fake.behaviour.script_by_id = {"evt-01": [500, 429], "u-11": ["stall"]}
    fake.behaviour.stall_seconds = 0.6

    outputs = []
    for extra in ((), ("--apply",)):
        result = run_cli(
            [
                "-v",
                *cli_args(
                    seeded_pg.target,
                    seeded_pg.schema,
                    seeded_pg.checkpoint_schema,
                    fake,
                    "--timeout",
                    "0.3",
                    "--progress",
                    *extra,
                ),
            ],
            capsys,
        )
        result.checked_summary()
        outputs.append(result)

    assert any(r.status == 429 for r in fake.requests)
    assert any(r.status == 401 for r in fake.requests)
    for result in outputs:
        _assert_no_token("stdout", result.stdout)
        _assert_no_token("stderr", result.stderr)
        _assert_no_token("the summary", json.dumps(result.summary))
    assert "backfill (apply)" in outputs[1].stderr  # the progress line was drawn
    assert caplog.records, "nothing was logged: the test would prove nothing"
    _assert_no_token("the log text", caplog.text)
    for record in caplog.records:
        _assert_no_token("a log record", record.getMessage() + repr(record.args))

    checkpoint_rows = seeded_pg.db.fetchall(
        f'select * from "{seeded_pg.checkpoint_schema}"."{CHECKPOINT_TABLE}"'
    )
    assert checkpoint_rows
    _assert_no_token("the checkpoint", repr(checkpoint_rows))
    # The tokens did travel, but only as Authorization headers to the fakes.
    assert any(r.authorization == f"Bearer {GHL_TOKEN}" for r in fake.requests)
    _assert_no_token("the fake's public log", json.dumps([r.public() for r in fake.requests]))


def test_secret_wrapper_hides_the_value_everywhere():
    secret = Secret(GHL_TOKEN)
    candidate = Candidate("a01", "GHL", "evt-01", "ws_ghl", secret)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr(candidate)):
        _assert_no_token("a repr", text)
    with pytest.raises(TypeError):
        json.dumps({"token": secret})
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.reveal() == GHL_TOKEN
    assert len(secret.fingerprint()) == 12
