"""What the demo's consumers say beyond the mart, worked out by hand (tests/expected_demo_mart.py).

dataQuality (SPEC §5): unattributed / (combined booked + unattributed), the
planning threshold 0.2, and the trust signals in their fixed order. The
planning verdicts and, for the demo built as `capacity demo` builds it (three
earlier weekly runs, 2026-02-09 to -23, then 2026-03-02), the trends.
"""

from __future__ import annotations

from typing import Any

# dataQuality of the demo, worked out by hand from tests/expected_demo_mart.py (SPEC §5):
# unattributed / (combined booked + unattributed), the planning threshold 0.2, the signals.
DEMO_DATA_QUALITY: dict[str, dict[str, Any]] = {
    "ws_acme": {"invalid": 0, "share": 2 / 8, "reasons": ["many_unattributed_bookings"]},
    "ws_bloom": {
        "invalid": 5,
        "share": 3 / 6,
        "reasons": ["many_unattributed_bookings", "invalid_slot_entries"],
    },
    "ws_cedar": {"invalid": 0, "share": 1 / 2, "reasons": ["many_unattributed_bookings"]},
    # no combined figure: its booked count as 0, so the one unattributed booking is all of them
    "ws_delta": {
        "invalid": 0,
        "share": 1.0,
        "reasons": ["no_cache_row", "cache_stale", "many_unattributed_bookings"],
    },
    "ws_elm": {"invalid": 0, "share": 0.0, "reasons": ["cache_stale"]},
    "ws_fern": {
        "invalid": 1,
        "share": 0.0,
        "reasons": [
            "cache_unreadable",
            "cache_stale",
            "cache_short_of_window",
            "invalid_slot_entries",
        ],
    },
    "ws_grove": {"invalid": 0, "share": 0.0, "reasons": []},
    "ws_harbor": {
        "invalid": 1,
        "share": 1.0,
        "reasons": [
            "no_configured_calendar",
            "cache_unreadable",
            "cache_stale",
            "many_unattributed_bookings",
            "invalid_slot_entries",
        ],
    },
}


# The demo's planning verdicts: only Grove (80%) is constrained; the rest are not ranked.
DEMO_CONSTRAINTS = {
    "ws_acme": ("excluded", None, "many_unattributed_bookings"),
    "ws_bloom": ("excluded", None, "many_unattributed_bookings"),
    "ws_cedar": ("excluded", None, "many_unattributed_bookings"),
    "ws_delta": ("excluded", None, "no_figure"),
    "ws_elm": ("excluded", None, "stale_cache"),
    "ws_fern": ("excluded", None, "stale_cache"),  # SPEC §5: its unreadable cache is stale
    "ws_grove": ("constrained", 1, None),
    "ws_harbor": ("excluded", None, "no_figure"),
}


# The trends of `capacity demo` (4 runs from 2026-02-09): (direction, change in points).
# The history runs see the same seeds from earlier as-of dates, so the windows differ.
DEMO_TRENDS: dict[str, tuple[str | None, float | None]] = {
    "ws_acme": ("falling", -9.2),  # 46.7% -> 37.5%
    "ws_bloom": ("flat", 0.0),
    "ws_cedar": ("flat", 0.0),
    "ws_delta": (None, None),  # no % in any run
    "ws_elm": ("rising", 4.2),
    "ws_fern": ("rising", 15.0),
    "ws_grove": ("flat", 0.0),
    "ws_harbor": (None, None),
}
