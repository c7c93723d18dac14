"""Durations on screen: to the minute, a rarely moving lower bound for long-ready releases, and
the fleet's ETAs as bounds."""

from __future__ import annotations

import pytest

from sovwatch.views.tui.viewmodel import age, rough_eta, settled_age


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


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, ""),
        (-3, "<1m"),
        (59, "<1m"),
        (60, "<5m"),
        (299, "<5m"),
        (300, "<10m"),
        (599, "<10m"),
        (600, "<15m"),
        (54 * 60, "<55m"),
        (55 * 60, "<1h"),
        (89 * 60, "~1h"),
        (90 * 60, "~2h"),
    ],
)
def test_a_fleet_eta_is_a_bound_that_holds_while_the_estimate_wobbles(seconds, shown):
    assert rough_eta(seconds) == shown
    assert len(shown) <= 5  # the fleet table's ETA column


def test_a_fleet_eta_changes_once_in_five_minutes_under_the_hour():
    shown = [rough_eta(minute * 60) for minute in range(1, 60)]
    changes = sum(1 for a, b in zip(shown, shown[1:], strict=False) if a != b)
    assert changes == 11  # <5m, <10m, ... <55m, <1h
