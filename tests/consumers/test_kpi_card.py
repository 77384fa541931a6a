"""The "Capacity (30d)" KPI card: static HTML checks, then a real headless Chromium."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest

from capacity import kpi_card
from capacity.snapshot import read_all_snapshots, read_snapshot
from capacity.warehouse import Warehouse

HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>&amp;'


def pct_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def slots_text(value: int | None) -> str:
    return "unknown" if value is None else str(value)


# --- the HTML itself ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_snapshots(duckdb_demo: Warehouse) -> list[dict[str, Any]]:
    return read_all_snapshots(duckdb_demo)


def test_every_value_is_escaped(demo_snapshots: list[dict[str, Any]]) -> None:
    hostile = copy.deepcopy(demo_snapshots[0])
    hostile["workspaceId"] = HOSTILE
    hostile["workspaceName"] = HOSTILE
    hostile["capacity"]["cacheMeta"].update(isStale=True, lastError=HOSTILE)
    hostile["capacity"]["breakdown"]["DEFAULT"]["cacheMeta"].update(isStale=True, lastError=HOSTILE)
    page = kpi_card.render_page([hostile])
    assert "<script>alert" not in page and "<img" not in page
    assert page.count("<script>") == 1  # the page's own, allowed by its CSP hash
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&amp;amp;" in page  # an entity in the data is shown, not interpreted


def test_page_is_self_contained(demo_snapshots: list[dict[str, Any]]) -> None:
    page = kpi_card.render_page(demo_snapshots)
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    assert "http://" not in page and "https://" not in page
    assert escape("default-src 'none'; ") in page  # the CSP meta: nothing else may load


def test_null_pct_is_never_zero(demo_snapshots: list[dict[str, Any]]) -> None:
    delta = next(s for s in demo_snapshots if s["workspaceId"] == "ws_delta")
    card = kpi_card.render_card(delta, 1)
    assert ">n/a<" in card and "0.0%" not in card and ">0%<" not in card
    assert "no availability cache, so the free slots are unknown" in card


def test_empty_mart_renders_a_page() -> None:
    assert "No workspaces." in kpi_card.render_page([])


# --- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def kpi_page_path(duckdb_demo: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("kpi_card") / "kpi_card.html"
    return kpi_card.write_kpi_page(duckdb_demo, output)


@pytest.fixture
def page(browser: Any, kpi_page_path: Path) -> Iterator[Any]:
    """The demo page, opened offline; fails the test if it asks for anything but itself."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    opened.on("request", lambda request: requests.append(request.url))
    opened.on("console", lambda message: errors.append(message.text))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(kpi_page_path.as_uri())
    yield opened
    context.close()
    assert requests == [kpi_page_path.as_uri()], "the page must load nothing but itself"
    assert errors == [], "no script errors and no CSP violations"


def card(page: Any, workspace_id: str) -> Any:
    return page.locator(f'.card[data-workspace-id="{workspace_id}"]')


def tooltip(page: Any, workspace_id: str) -> Any:
    return card(page, workspace_id).locator(".tooltip")


def check_tooltip_figures(tip: Any, row: dict[str, Any]) -> None:
    for source, prefix in (
        ("combined", ""),
        ("DEFAULT", "default_"),
        ("DIRECT_BOOK", "direct_book_"),
    ):
        for figure, column in (
            ("booked", "booked_slots"),
            ("available", "available_slots"),
            ("total", "total_slots"),
        ):
            cell = tip.locator(f'td[data-source="{source}"][data-figure="{figure}"]')
            assert cell.inner_text() == slots_text(row[f"{prefix}{column}"]), (source, figure)
        cell = tip.locator(f'td[data-source="{source}"][data-figure="pct"]')
        assert cell.inner_text() == pct_text(row[f"{prefix}booked_pct"]), (source, "pct")
    assert tip.locator(".unattributed-count").inner_text() == str(row["unattributed_booked_slots"])
    explanation = tip.locator(".unattributed").inner_text()
    assert "may be historical (pending backfill) or from unconfigured calendars" in explanation


def test_cards_show_each_workspaces_booked_pct(
    page: Any, expected_mart: dict[str, dict[str, Any]]
) -> None:
    assert page.title() == "Capacity (30d)"
    ids = page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.workspaceId)")
    assert ids == sorted(expected_mart)
    for workspace_id, row in expected_mart.items():
        value = card(page, workspace_id).locator(".value")
        assert value.inner_text() == pct_text(row["booked_pct"]), workspace_id
        if row["booked_pct"] is None:
            assert card(page, workspace_id).locator(".reason").is_visible()


def test_stale_and_coverage_warnings_show_only_where_they_should(
    page: Any, expected_mart: dict[str, dict[str, Any]]
) -> None:
    stale_shown = {
        workspace_id
        for workspace_id in expected_mart
        if card(page, workspace_id).locator(".warning-stale").is_visible()
    }
    assert stale_shown == {ws for ws, row in expected_mart.items() if row["cache_is_stale"]}
    assert stale_shown == {"ws_delta", "ws_elm"}
    short_shown = {
        workspace_id
        for workspace_id in expected_mart
        if card(page, workspace_id).locator(".warning-coverage").is_visible()
    }
    assert short_shown == {"ws_fern"}
    elm_warning = card(page, "ws_elm").locator(".warning-stale").inner_text()
    assert "GHL 401: token expired" in elm_warning


def test_tooltip_appears_on_hover_with_the_breakdown(
    page: Any, expected_mart: dict[str, dict[str, Any]]
) -> None:
    for workspace_id, row in expected_mart.items():
        page.mouse.move(1, 1)  # off every card: no tooltip open
        assert not tooltip(page, workspace_id).is_visible(), workspace_id
        card(page, workspace_id).locator(".name").hover()
        assert tooltip(page, workspace_id).is_visible(), workspace_id
        check_tooltip_figures(tooltip(page, workspace_id), row)
        others = [ws for ws in expected_mart if ws != workspace_id]
        assert not any(tooltip(page, ws).is_visible() for ws in others)
    page.mouse.move(1, 1)
    assert page.locator(".tooltip:visible").count() == 0


def test_tooltip_appears_on_keyboard_focus(
    page: Any, expected_mart: dict[str, dict[str, Any]]
) -> None:
    page.mouse.move(1, 1)
    for workspace_id, row in expected_mart.items():  # the cards are in tab order
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.dataset.workspaceId")
        assert focused == workspace_id
        current = card(page, workspace_id)
        assert current.get_attribute("tabindex") == "0"
        tip = tooltip(page, workspace_id)
        assert current.get_attribute("aria-describedby") == tip.get_attribute("id")
        assert tip.get_attribute("role") == "tooltip"
        assert tip.is_visible(), workspace_id
        check_tooltip_figures(tip, row)
        assert page.locator(".tooltip:visible").count() == 1
    page.keyboard.press("Escape")  # dismissible (WCAG 1.4.13) without moving focus
    assert page.locator(".tooltip:visible").count() == 0
    page.keyboard.press("Shift+Tab")
    assert tooltip(page, sorted(expected_mart)[-2]).is_visible()


def test_screenshot(page: Any, tmp_path: Path) -> None:
    """A picture of the page with Elm Salon's tooltip open, for a person to look at."""
    card(page, "ws_elm").focus()
    assert tooltip(page, "ws_elm").is_visible()
    path = tmp_path / "kpi_card.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    print(f"KPI card screenshot: {path}")


def test_single_workspace_page(browser: Any, duckdb_demo: Warehouse, tmp_path: Path) -> None:
    output = kpi_card.write_kpi_page(duckdb_demo, tmp_path / "one.html", "ws_fern")
    context = browser.new_context()
    try:
        opened = context.new_page()
        opened.goto(output.as_uri())
        assert opened.locator(".card").count() == 1
        assert opened.locator(".card .value").inner_text() == pct_text(
            read_snapshot(duckdb_demo, "ws_fern")["capacity"]["bookedPct"]
        )
        assert opened.locator(".warning-coverage").is_visible()
    finally:
        context.close()
