"""Every timeout, interval and backoff of the watch engine, in one frozen record.

The engine never reads a module global or the environment for these: the launcher (`launch.py`;
`demo.py` a variant for the demo's sped-up clock) builds one `WatchSettings` and every function
below it takes it as the keyword-only `settings=` argument, so a test can run the whole engine
with second-scale (or smaller) timings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """Timings and sizes of the watch engine; the defaults suit a real API server."""

    connect_timeout: float = 10.0
    """Seconds to open a TCP (and TLS) connection. An API server answers in milliseconds; ten
    seconds covers a slow VPN or proxy without making a dead address look alive for long."""

    request_timeout: float = 60.0
    """Seconds for a whole non-streaming request (discovery, one list page). A 500-item page of
    Events is a few hundred KB; a minute only runs out when the server is not answering."""

    preflight_timeout: float = 15.0
    """Seconds for each start-up check (GET /version, GET /api). An API server answers them in
    milliseconds; a server that accepts connections and never answers must end sovwatch with a
    clear message, not leave it hanging for the full `request_timeout`."""

    list_page_size: int = 500
    """`limit` for paginated lists: kubectl's value, small enough that one page never times out,
    large enough that 20 000 Events take 40 requests, not thousands."""

    watch_list: bool = True
    """Ask for streamed lists (watch-list: the current objects as the first events of a watch)
    where the server serves them; False always lists in pages, then watches."""

    watch_timeout_min: int = 300
    """Shortest `timeoutSeconds` a watch asks for. Each watch asks the server to end it after a
    random time between this and `watch_timeout_max` (5-10 minutes, as client-go's reflector
    does), so watches spread out instead of reconnecting in lockstep, and a proxy that silently
    drops long connections is routed around regularly."""

    watch_timeout_max: int = 600
    """Longest `timeoutSeconds` a watch asks for (see `watch_timeout_min`)."""

    inactivity_timeout: float = 70.0
    """No bytes for this long means the stream is dead: show it stale and reconnect. The API server
    sends a BOOKMARK about every 60 s to a watch that asked for them, so 70 s of silence cannot be
    a quiet resource (kopf uses the same value)."""

    backoff_base: float = 0.5
    """First delay of the jittered exponential backoff after a failed or fruitless attempt; it
    doubles per consecutive failure. Half a second keeps a routine 410 relist quick."""

    backoff_max: float = 30.0
    """Ceiling of the backoff: during a long outage each stream tries about twice a minute, so
    15 streams cost the server one request every two seconds and recovery is seen within 30 s."""

    retry_after_max: float = 120.0
    """Longest wait a `Retry-After` header (429, or 5xx from a load balancer) can impose. The
    apiserver asks for a second or so; a proxy's HTTP-date far in the future must not freeze a
    stream for hours."""

    forbidden_recheck: float = 60.0
    """Seconds between re-checks of a resource that answered 403. RBAC changes are rare and
    deliberate; once a minute notices a fix without spamming the audit log."""

    absent_recheck: float = 10.0
    """Seconds between discovery re-checks of an API group that is not served yet. Flux installs
    its CRDs in the first minutes of a bootstrap; ten seconds shows it promptly at the cost of one
    small discovery request per missing resource."""

    credential_refresh_skew: float = 10.0
    """Re-run an exec credential plugin this many seconds before its credential expires, so a
    request never goes out with a token that expires in flight."""

    exec_timeout: float = 120.0
    """Seconds an exec credential plugin may take. Long enough for a browser login (kubelogin,
    cloud SSO) to finish; short enough that a plugin stuck waiting for input it can never get
    (sovwatch gives it no terminal) becomes a clear message instead of a silent hang. The CLI's
    `--exec-timeout` sets it."""

    read_bufsize: int = 2 * 1024 * 1024
    """aiohttp's read buffer per response (its default of 64 KiB caps a line at 512 KiB, measured:
    a HelmRelease with large annotations overflows it). 2 MiB is what kubernetes.aio uses."""

    max_line_bytes: int = 16 * 1024 * 1024
    """Longest watch line accepted. etcd stores objects up to 1.5 MiB by default; a line is one
    object plus a few bytes of envelope, so 16 MiB only trips on a server that is broken."""

    max_body_bytes: int = 64 * 1024 * 1024
    """Largest non-streaming answer read (discovery, /version, one list page). A 500-item page of
    pods on a 5,000-pod cluster is a few MiB; 64 MiB only trips on a server (or something posing as
    one) that answers without end, which would otherwise fill the memory."""

    buffer_items: int = 10_000
    """Items the merged live stream buffers before the watches wait for the consumer; bounds
    memory if the UI stalls while a large list arrives."""

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay before attempt `attempt` (1-based): base·2^(n-1), capped, with half of it jittered.

        Equal jitter keeps a floor of half the nominal delay (so a storm is bounded) while spreading
        out reflectors that failed together.
        """
        if attempt <= 0:
            return 0.0
        nominal = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return nominal / 2 + (rng or random).uniform(0, nominal / 2)

    def watch_timeout(self, rng: random.Random | None = None) -> int:
        """A random `timeoutSeconds` for the next watch request."""
        return (rng or random).randint(self.watch_timeout_min, self.watch_timeout_max)


@dataclass(frozen=True, slots=True)
class LogSettings:
    """How much of the culprit containers' logs sovwatch reads (`sources.container_logs`).

    The bound: at most `per_minute` log requests in any 60 seconds and `concurrency` at once,
    each answered with at most `limit_bytes`, however many pods crash: a storm of 850 crash-looping
    pods costs 12 requests a minute, not 850 every back-off. Each container run is read once.
    """

    tail_lines: int = 40
    """`tailLines`: a crash's reason is at the end; 40 lines hold a Java trace's causes."""

    limit_bytes: int = 32 * 1024
    """`limitBytes`: what one request may bring, so a log of 2 KB JSON lines cannot cost more."""

    keep_bytes: int = 8 * 1024
    """What an excerpt keeps (the newest lines that fit): the snapshot, recordings and the TUI
    carry it."""

    keep_line_chars: int = 1000
    """Longer lines are cut (a line of a JSON dump says no more in its first thousand characters)."""

    concurrency: int = 2
    """Log requests in flight at once."""

    per_minute: int = 12
    """Log requests in any 60 seconds: a request holds its place from its start until 60 s after
    it ended, so the server never sees more in any minute (excerpts waiting for a place wait;
    those no longer wanted by then are dropped)."""

    request_timeout: float = 15.0
    """Seconds one log request may take; a kubelet that does not answer is asked again later."""

    controller_tail_lines: int = 2000
    """`tailLines` of helm-controller's log, read once for every failing release waiting for its
    lines (its lines about one release are a few per reconcile among every release's)."""

    controller_limit_bytes: int = 1024 * 1024
    """`limitBytes` of that read (2,000 JSON lines of ~450 bytes)."""

    controller_lines: int = 20
    """helm-controller's newest lines kept per release."""

    controller_recheck: float = 60.0
    """Seconds a lookup that found no running helm-controller pod holds: releases failing
    meanwhile are not read for (Flux is not installed yet, or it runs elsewhere), instead of one
    pod LIST per release state change."""
