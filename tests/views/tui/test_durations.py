"""Durations on screen: to the minute, and a rarely moving lower bound for long-ready releases."""

from __future__ import annotations

import pytest

from sovwatch.views.tui.viewmodel import age, settled_age


@pytest.mark.parametrize(
    ("seconds", "moving", "settled"),
    [
        (None, "", ""),
        (-3, "<1m", "<1m"),
        (59, "<1m", "<1m"),
        (60, "1m", "1m"),
        (599, "9m", "9m"),
        (600, "10m", ">10m"),
        (1799, "29m", ">10m"),
        (1800, "30m", ">30m"),
        (3900, "1h05m", ">1h"),
        (3 * 3600, "3h00m", ">2h"),
        (9 * 3600, "9h00m", ">8h"),
    ],
)
def test_durations(seconds, moving, settled):
    assert age(seconds) == moving
    assert settled_age(seconds) == settled


def test_a_settled_age_changes_a_handful_of_times_in_a_day():
    shown = {settled_age(minute * 60) for minute in range(24 * 60)}
    assert len(shown) == 1 + 9 + 5  # "<1m", 1m..9m, then the five lower bounds
