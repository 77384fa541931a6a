"""The "Capacity (30d)" KPI card: static HTML checks, then a real headless Chromium.

The browser tests open the demo page as `capacity demo` writes it (with the
earlier weekly runs, so the planning trend shows) and read what a person sees:
the visible text on each card's face, the tooltip's figures, the boxes on screen.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from expected_demo_consumers import DEMO_CONSTRAINTS, DEMO_DATA_QUALITY, DEMO_TRENDS

from capacity.consumers import kpi_card
from capacity.consumers.snapshot import read_all_snapshots, read_snapshot
from capacity.settings import PROJECT_DIR
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
    hostile["capacity"]["dataQuality"]["reasons"].append("cache_stale")
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


def test_label_is_exactly_capacity_30d(demo_snapshots: list[dict[str, Any]]) -> None:
    for snapshot in demo_snapshots:
        labels = re.findall(r'<p class="label">([^<]*)</p>', kpi_card.render_card(snapshot, 1))
        assert labels == ["Capacity (30d)"], snapshot["workspaceId"]


def test_card_renders_every_signal_of_the_snapshot(demo_snapshots: list[dict[str, Any]]) -> None:
    """The card's doubt is the snapshot's: one element per reason, in the snapshot's order."""
    for snapshot in demo_snapshots:
        face = kpi_card.render_card(snapshot, 1).split('<div class="tooltip"')[0]
        shown = re.findall(r'data-signal="([a-z_]+)"', face)
        assert shown == snapshot["capacity"]["dataQuality"]["reasons"], snapshot["workspaceId"]


def test_card_without_the_planning_model_has_no_verdict(
    demo_snapshots: list[dict[str, Any]],
) -> None:
    grove = copy.deepcopy(next(s for s in demo_snapshots if s["workspaceId"] == "ws_grove"))
    del grove["capacityTrend"]
    assert 'class="planning"' not in kpi_card.render_card(grove, 1)


# --- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def kpi_page_path(demo_with_history: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("kpi_card") / "kpi_card.html"
    return kpi_card.write_kpi_page(demo_with_history, output)


def open_page(browser: Any, path: Path, width: int) -> tuple[Any, Any, list[str], list[str]]:
    """(context, page, requests, errors) of the page opened offline at this viewport width."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    opened = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    opened.on("request", lambda request: requests.append(request.url))
    opened.on("console", lambda message: errors.append(message.text))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(path.as_uri())
    opened.mouse.move(1, 1)  # off every card: no tooltip open
    return context, opened, requests, errors


@pytest.fixture
def page(browser: Any, kpi_page_path: Path) -> Iterator[Any]:
    """The demo page, opened offline; fails the test if it asks for anything but itself."""
    context, opened, requests, errors = open_page(browser, kpi_page_path, 1100)
    yield opened
    context.close()
    assert requests == [kpi_page_path.as_uri()], "the page must load nothing but itself"
    assert errors == [], "no script errors and no CSP violations"


def card(page: Any, workspace_id: str) -> Any:
    return page.locator(f'.card[data-workspace-id="{workspace_id}"]')


def tooltip(page: Any, workspace_id: str) -> Any:
    return card(page, workspace_id).locator(".tooltip")


def face_text(page: Any, workspace_id: str, selector: str) -> list[str]:
    """The visible texts of ``selector`` on a card's face (outside its tooltip)."""
    found = card(page, workspace_id).locator(f"{selector}:not(.tooltip *)")
    return [item.inner_text() for item in found.all() if item.is_visible()]


def cards_showing(page: Any, selector: str) -> set[str]:
    """The workspaces whose card face shows ``selector``, without hover or focus."""
    return {ws for ws in DEMO_DATA_QUALITY if face_text(page, ws, selector)}


def with_signal(reason: str) -> set[str]:
    return {ws for ws, quality in DEMO_DATA_QUALITY.items() if reason in quality["reasons"]}


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
            ("invalid", "invalid_slot_entries"),
        ):
            cell = tip.locator(f'td[data-source="{source}"][data-figure="{figure}"]')
            assert cell.inner_text() == slots_text(row[f"{prefix}{column}"]), (source, figure)
        cell = tip.locator(f'td[data-source="{source}"][data-figure="pct"]')
        assert cell.inner_text() == pct_text(row[f"{prefix}booked_pct"]), (source, "pct")
        if prefix:
            cell = tip.locator(f'td[data-source="{source}"][data-figure="enters"]')
            entering = row[f"{prefix}enters_combined_figure"]
            assert cell.inner_text() == ("yes" if entering else "no"), (source, "enters")
    assert tip.locator(".unattributed-count").inner_text() == str(row["unattributed_booked_slots"])
    explanation = tip.locator(".unattributed").inner_text()
    assert "may be historical (pending backfill) or from unconfigured calendars" in explanation
    # the table fits its card: nothing cut off on the right
    assert tip.evaluate("tip => tip.scrollWidth <= tip.clientWidth")


def test_cards_show_each_workspaces_booked_pct(
    page: Any, expected_mart: dict[str, dict[str, Any]]
) -> None:
    assert page.title() == "Capacity (30d)"
    ids = page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.workspaceId)")
    assert ids == sorted(expected_mart)
    for workspace_id, row in expected_mart.items():
        assert face_text(page, workspace_id, ".value") == [pct_text(row["booked_pct"])]
        # what a person reads (inner_text applies CSS such as text-transform)
        assert face_text(page, workspace_id, ".label") == ["Capacity (30d)"], workspace_id


def test_each_card_face_shows_exactly_the_snapshots_signals(page: Any) -> None:
    """Every trust signal of dataQuality.reasons is visible on the face, and no other."""
    for workspace_id, quality in DEMO_DATA_QUALITY.items():
        shown = card(page, workspace_id).locator("[data-signal]:not(.tooltip *)")
        visible = [item.get_attribute("data-signal") for item in shown.all() if item.is_visible()]
        assert visible == quality["reasons"], workspace_id


def test_state_null_pct_with_its_reason(page: Any) -> None:
    """n/a with the reason (Harbor: no configured calendar, since SPEC §5), never 0%."""
    assert cards_showing(page, ".reason") == {"ws_delta", "ws_harbor"}
    assert face_text(page, "ws_delta", ".value") == ["n/a"]
    assert face_text(page, "ws_delta", ".reason") == [
        "no availability cache, so the free slots are unknown"
    ]
    assert face_text(page, "ws_harbor", ".value") == ["n/a"]
    assert face_text(page, "ws_harbor", ".reason") == [
        "no calendar configured, so there is nothing to measure"
    ]
    assert "no slots in the window" not in card(page, "ws_harbor").inner_text()


def test_state_stale(page: Any) -> None:
    assert with_signal("cache_stale") == {"ws_delta", "ws_elm", "ws_fern", "ws_harbor"}
    assert cards_showing(page, ".warning-stale") == with_signal("cache_stale")
    (elm,) = face_text(page, "ws_elm", ".warning-stale")
    assert "DEFAULT: last fetch failed (GHL 401: token expired)" in elm
    assert "DIRECT_BOOK: fetched 2026-03-02 07:59 UTC, too long ago" in elm
    (fern,) = face_text(page, "ws_fern", ".warning-stale")
    assert "DIRECT_BOOK: cache unreadable" in fern
    (delta,) = face_text(page, "ws_delta", ".warning-stale")
    assert "DEFAULT: configured but not cached" in delta
    (harbor,) = face_text(page, "ws_harbor", ".warning-stale")
    assert "no calendar configured" in harbor


def test_state_short_of_window(page: Any) -> None:
    assert cards_showing(page, ".warning-coverage") == {"ws_fern"}
    (fern,) = face_text(page, "ws_fern", ".warning-coverage")
    assert "Cache covers less than the 30-day window (DEFAULT)" in fern
    assert "the % may read high" in fern


def test_state_unattributed_share_above_the_planning_threshold(page: Any) -> None:
    """The planning model excludes Acme, Bloom and Cedar for it: their cards say so."""
    shown = cards_showing(page, ".warning-many_unattributed_bookings")
    assert shown == with_signal("many_unattributed_bookings")
    assert {"ws_acme", "ws_bloom", "ws_cedar"} <= shown
    assert not shown & {"ws_elm", "ws_fern", "ws_grove"}
    (acme,) = face_text(page, "ws_acme", ".warning-many_unattributed_bookings")
    assert "25% of bookings unattributed (2 of 8), above the 20% planning threshold" in acme
    (bloom,) = face_text(page, "ws_bloom", ".warning-many_unattributed_bookings")
    assert "50% of bookings unattributed (3 of 6)" in bloom


def test_state_invalid_slot_entries(page: Any) -> None:
    shown = cards_showing(page, ".warning-invalid_slot_entries")
    assert shown == {"ws_bloom", "ws_fern", "ws_harbor"} == with_signal("invalid_slot_entries")
    (bloom,) = face_text(page, "ws_bloom", ".warning-invalid_slot_entries")
    assert "5 invalid slot entries quarantined (DEFAULT: 5)" in bloom
    (fern,) = face_text(page, "ws_fern", ".warning-invalid_slot_entries")
    assert "1 invalid slot entry quarantined (DIRECT_BOOK: 1)" in fern


def test_state_unreadable_cache(page: Any) -> None:
    shown = cards_showing(page, ".warning-cache_unreadable")
    assert shown == {"ws_fern", "ws_harbor"} == with_signal("cache_unreadable")
    (fern,) = face_text(page, "ws_fern", ".warning-cache_unreadable")
    assert "Unreadable availability cache (DIRECT_BOOK)" in fern
    (harbor,) = face_text(page, "ws_harbor", ".warning-cache_unreadable")
    assert "Unreadable availability cache (DEFAULT, not configured)" in harbor


def test_state_constrained_with_its_trend(page: Any) -> None:
    """The planning verdict and trend on every face; Grove is the one to call first."""
    assert cards_showing(page, '.planning[data-status="constrained"]') == {"ws_grove"}
    (grove,) = face_text(page, "ws_grove", ".planning")
    assert grove.startswith("Constrained: #1 to call")
    assert "flat 0.0 pts over 4 runs since 2026-02-09" in grove
    for workspace_id, (status, _, reason) in DEMO_CONSTRAINTS.items():
        (planning,) = face_text(page, workspace_id, ".planning")
        direction, change = DEMO_TRENDS[workspace_id]
        trend = card(page, workspace_id).locator(".trend")
        assert trend.get_attribute("data-direction") == (direction or "none"), workspace_id
        if direction is None:
            assert "no trend" in planning, workspace_id
        else:
            points = "0.0" if change == 0 else f"{change:+.1f}"
            assert f"{direction} {points} pts over 4 runs" in planning, workspace_id
        if status == "excluded":
            assert planning.startswith(f"Not ranked: {kpi_card.EXCLUSIONS[reason]}"), workspace_id
    (acme,) = face_text(page, "ws_acme", ".planning")
    assert "Not ranked: many unattributed bookings" in acme and "falling -9.2 pts" in acme
    (elm,) = face_text(page, "ws_elm", ".planning")
    assert "Not ranked: stale cache" in elm and "rising +4.2 pts" in elm


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


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("width", [1100, 760, 420])  # three, two and one column(s)
def test_open_tooltip_never_covers_another_cards_figure(
    browser: Any, kpi_page_path: Path, width: int
) -> None:
    """Open each card's tooltip (focus, then hover) and compare boxes on screen."""
    context, opened, _, errors = open_page(browser, kpi_page_path, width)
    try:
        ids = sorted(DEMO_DATA_QUALITY)
        for workspace_id in ids:
            for how in ("focus", "hover"):
                opened.mouse.move(1, 1)
                target = card(opened, workspace_id)
                if how == "focus":
                    target.focus()
                else:
                    opened.evaluate("document.activeElement.blur()")
                    target.locator(".name").hover()
                tip = tooltip(opened, workspace_id)
                assert tip.is_visible(), (workspace_id, how)
                tip_box = tip.bounding_box()
                assert _inside(tip_box, target.bounding_box()), (workspace_id, how)
                for other in ids:
                    if other == workspace_id:
                        continue
                    for figure in (".value", ".sub", ".planning"):
                        box = card(opened, other).locator(figure).first.bounding_box()
                        assert box is not None and not _overlap(tip_box, box), (
                            workspace_id,
                            how,
                            other,
                            figure,
                        )
    finally:
        context.close()
    assert errors == []


def _screenshot_script() -> Any:
    path = PROJECT_DIR / "scripts" / "kpi_card_screenshots.py"
    spec = importlib.util.spec_from_file_location("kpi_card_screenshots", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_screenshots_for_the_readme(browser: Any, kpi_page_path: Path, tmp_path: Path) -> None:
    """The script that made docs/kpi-card-demo*.png still makes them (here in tmp_path)."""
    script = _screenshot_script()
    paths = script.take_screenshots(browser, kpi_page_path, tmp_path)
    assert [path.name for path in paths] == [script.FULL_PAGE, script.WITH_TOOLTIP]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
        assert (PROJECT_DIR / "docs" / path.name).exists(), (
            "commit the pictures docs/consumers.md shows"
        )


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
