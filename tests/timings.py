"""The watch engine's timings for the tests: one `FAST` record, seconds where the defaults are minutes.

Short enough that a retry, a relist or a recheck happens within a test; long enough that a loaded
2-core machine's scheduling hiccup does not look like a dead connection or a stalled stream. A test
that needs one timing shorter says so with `dataclasses.replace(FAST, ...)`.
"""

from __future__ import annotations

from sovwatch.settings import WatchSettings

FAST = WatchSettings(
    connect_timeout=2.0,
    request_timeout=5.0,
    inactivity_timeout=5.0,
    backoff_base=0.05,
    backoff_max=0.4,
    forbidden_recheck=0.3,
    absent_recheck=0.2,
    watch_timeout_min=30,
    watch_timeout_max=60,
    credential_refresh_skew=0.0,
)
