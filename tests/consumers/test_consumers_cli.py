"""`capacity snapshot`, `capacity kpi-card` and the demo's output files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from capacity.consumers import cli as consumers_cli
from capacity.consumers.outputs import snapshot_file_stem, write_outputs
from capacity.consumers.snapshot import validate_snapshot
from capacity.warehouse import Warehouse


def run(argv: list[str]) -> int:
    """The sub-commands as `capacity` would run them (cli.py wires register() the same way)."""
    parser = argparse.ArgumentParser(prog="capacity")
    consumers_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


@pytest.fixture
def on_duckdb_demo(duckdb_demo: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """Point the default (dev) target at the demo's DuckDB file."""
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", duckdb_demo.dsn)
    monkeypatch.delenv("CAPACITY_TARGET", raising=False)
    return duckdb_demo


def test_snapshot_prints_valid_json(
    on_duckdb_demo: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["snapshot", "--workspace", "ws_acme"]) == 0
    out, err = capsys.readouterr()
    produced = json.loads(out)
    validate_snapshot(produced)
    assert produced["workspaceId"] == "ws_acme"
    assert produced["capacity"]["bookedPct"] == 37.5
    assert err == ""


def test_snapshot_campaign_scope(
    on_duckdb_demo: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(["snapshot", "--workspace", "ws_bloom", "--campaign", "cmp_1", "--target", "dev"]) == 0
    )
    produced = json.loads(capsys.readouterr().out)
    validate_snapshot(produced)
    assert produced["scope"] == "campaign" and "capacity" not in produced


@pytest.mark.parametrize("workspace_id", ["x' or '1'='1", "ws_nobody"])
def test_snapshot_of_unknown_workspace_fails_on_stderr(
    on_duckdb_demo: Warehouse, capsys: pytest.CaptureFixture[str], workspace_id: str
) -> None:
    assert run(["snapshot", "--workspace", workspace_id]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "not found" in err and repr(workspace_id) in err


def test_snapshot_without_a_built_warehouse_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAPACITY_DUCKDB_PATH", str(tmp_path / "missing.duckdb"))
    assert run(["snapshot", "--workspace", "ws_acme", "--target", "dev"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "build it first" in err


def test_snapshot_rejects_an_empty_campaign(
    on_duckdb_demo: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["snapshot", "--workspace", "ws_acme", "--campaign", " "]) == 1
    assert "--campaign must not be empty" in capsys.readouterr().err


def test_snapshot_needs_a_workspace(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["snapshot"])
    assert exit_info.value.code == 2


@pytest.mark.postgres
def test_snapshot_on_postgres_target(
    postgres_demo: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAPACITY_PG_SCHEMA", postgres_demo.schema)
    assert run(["snapshot", "--workspace", "ws_elm", "--target", "postgres"]) == 0
    produced = json.loads(capsys.readouterr().out)
    validate_snapshot(produced)
    assert produced["capacity"]["cacheMeta"]["lastError"] == "GHL 401: token expired"
    assert run(["snapshot", "--workspace", "x' or '1'='1", "--target", "postgres"]) == 1


def test_kpi_card_writes_the_page(
    on_duckdb_demo: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "nested" / "kpi.html"
    assert run(["kpi-card", "--output", str(output)]) == 0
    assert capsys.readouterr().out.strip() == str(output)
    page = output.read_text("utf-8")
    assert page.count('class="card"') == 8

    single = tmp_path / "acme.html"
    assert run(["kpi-card", "--workspace", "ws_acme", "--output", str(single)]) == 0
    assert single.read_text("utf-8").count('class="card"') == 1


def test_kpi_card_of_unknown_workspace_fails(
    on_duckdb_demo: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "kpi.html"
    assert run(["kpi-card", "--workspace", "ws_nobody", "--output", str(output)]) == 1
    assert "not found" in capsys.readouterr().err
    assert not output.exists()


def test_write_outputs(duckdb_demo: Warehouse, tmp_path: Path) -> None:
    outputs = write_outputs(duckdb_demo, tmp_path / "out")
    snapshots, page = outputs.snapshots, outputs.kpi_card
    assert [path.name for path in snapshots] == [
        f"{workspace}.json"
        for workspace in (
            "ws_acme",
            "ws_bloom",
            "ws_cedar",
            "ws_delta",
            "ws_elm",
            "ws_fern",
            "ws_grove",
            "ws_harbor",
        )
    ]
    for path in snapshots:
        assert path.parent == tmp_path / "out" / "snapshots"
        produced = json.loads(path.read_text("utf-8"))
        validate_snapshot(produced)
        assert produced["workspaceId"] == path.stem
    assert page == tmp_path / "out" / "kpi_card.html"
    assert page.read_text("utf-8").count('class="card"') == 8


@pytest.mark.parametrize(
    "workspace_id", ["../../etc/passwd", "a/b", ".hidden", "with space", "ünï", "", "x' or '1'='1"]
)
def test_snapshot_file_names_stay_inside_the_folder(workspace_id: str) -> None:
    stem = snapshot_file_stem(workspace_id)
    assert stem and "/" not in stem and not stem.startswith(".")
    assert stem != snapshot_file_stem(workspace_id + "_")


def test_plain_workspace_ids_are_their_own_file_names() -> None:
    assert snapshot_file_stem("ws_acme") == "ws_acme"
    assert snapshot_file_stem("cl-0042.x") == "cl-0042.x"
