"""Backoff and watch-timeout arithmetic of WatchSettings."""

from __future__ import annotations

import random

from sovwatch.settings import WatchSettings


def test_backoff_doubles_with_equal_jitter_and_is_capped():
    settings = WatchSettings(backoff_base=0.5, backoff_max=30.0)
    rng = random.Random(7)
    for attempt in range(1, 12):
        nominal = min(30.0, 0.5 * 2 ** (attempt - 1))
        for _ in range(50):
            assert nominal / 2 <= settings.backoff(attempt, rng) <= nominal
    assert settings.backoff(0) == 0.0


def test_watch_timeout_is_randomised_within_range():
    settings = WatchSettings()
    rng = random.Random(3)
    values = {settings.watch_timeout(rng) for _ in range(200)}
    assert min(values) >= 300
    assert max(values) <= 600
    assert len(values) > 50, "watches must not all end together"
