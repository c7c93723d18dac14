"""Fetching the log tails that explain root causes, bounded, and feeding them in as source items.

Whoever runs the model hands `LogFetcher.want` the model's current `LogTarget`s (the containers
that crashed, restarted or run without becoming ready and are some release's root cause). The
fetcher reads each target's run once (`previous=true` for a crashed run, with `tailLines` and
`limitBytes`), never more than `LogSettings.concurrency` at once nor `per_minute` in any 60
seconds, and yields each answer as a `WatchEvent` of a slim `LogExcerpt` object (the newest lines
within `keep_bytes`): the store takes it like any object, recordings keep it and a replay shows it.

A 403 on `pods/log` turns reading off for the session and is reported once, as the health of a
`pods/log` stream (FORBIDDEN, "logs not readable (RBAC): ..."); the watches go on. A 400 (the
container is gone, has no previous run, has not started) or 404 (the pod is gone) marks the run
done without a word. Anything else (a timeout, 5xx, 429) leaves it to be asked for again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable

from sovwatch.kube import errors
from sovwatch.kube.api import ApiClient
from sovwatch.kube.pod_logs import LogRequest, read_log
from sovwatch.model.log_excerpts import (
    EXCERPT_API_VERSION,
    EXCERPT_KIND,
    EXCERPT_RESOURCE,
    LogTarget,
    excerpt_name,
)
from sovwatch.settings import LogSettings
from sovwatch.sources.events import (
    EventType,
    HealthState,
    SourceItem,
    StreamHealth,
    WatchEvent,
)
from sovwatch.sources.slimming import slim

logger = logging.getLogger(__name__)

LOG_STREAM = "pods/log"
"""The `resource` of the health record a 403 produces."""
RBAC_NOTICE = "logs not readable (RBAC)"
_DONE_LIMIT = 10_000
"""Runs remembered as read (oldest forgotten first): a storm's worth, a few hundred KB at most."""

Put = Callable[[SourceItem], Awaitable[None]]


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def excerpt_lines(text: str, settings: LogSettings) -> list[str]:
    """The newest lines of `text` that fit `keep_bytes`, each cut to `keep_line_chars`, without
    the colour codes many programs write to a terminal-less log (and no other control character
    but tabs, made spaces); a line cut by `limitBytes` (no newline at the end) is kept as it is."""
    text = _CONTROL.sub("", _ANSI.sub("", text.replace("\t", "    ")))
    lines = [line[: settings.keep_line_chars] for line in text.splitlines()]
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line.encode()) + 1
        if size > settings.keep_bytes:
            break
        kept.append(line)
    kept.reverse()
    return kept


def excerpt_event(
    target: LogTarget, text: str, received_at: float, settings: LogSettings
) -> WatchEvent:
    """The source item for a fetched log: a slim LogExcerpt object (see `model.log_excerpts`)."""
    obj = {
        "apiVersion": EXCERPT_API_VERSION,
        "kind": EXCERPT_KIND,
        "metadata": {
            "namespace": target.namespace,
            "name": excerpt_name(target.pod, target.container),
        },
        "pod": {"name": target.pod, "uid": target.uid},
        "container": target.container,
        "previous": target.previous,
        "restartCount": target.restarts,
        "lines": excerpt_lines(text, settings),
    }
    return WatchEvent(EXCERPT_RESOURCE, EventType.ADDED, slim(obj), received_at)


class LogFetcher:
    """Reads wanted log tails within the budget; `start` it with where items go, `aclose` it."""

    def __init__(
        self,
        client: ApiClient,
        *,
        settings: LogSettings | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.settings = settings or LogSettings()
        self._clock = clock
        self._monotonic = monotonic
        self._put: Put | None = None
        self._pending: dict[tuple, LogTarget] = {}
        self._in_flight: set[tuple] = set()
        self._done: OrderedDict[tuple, None] = OrderedDict()
        self._read: set[tuple[str, str]] = set()
        """(pod uid, container) of which some run was read."""
        self._started: deque[float] = deque()
        """Monotonic start times of the requests of the last 60 seconds."""
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._pump: asyncio.Task | None = None
        self.forbidden = False
        self.requests = 0
        """Log requests sent so far (for the benchmark and tests)."""

    def start(self, put: Put) -> None:
        """Begin serving `want`: each fetched excerpt (and a 403's health record) goes to `put`."""
        self._put = put
        self._pump = asyncio.get_running_loop().create_task(
            self._run(), name="sovwatch-log-fetcher"
        )

    def want(self, targets: Iterable[LogTarget]) -> None:
        """The runs worth reading now; runs wanted before and no longer wanted are dropped."""
        if self.forbidden:
            return
        self._pending = {
            t.run_key: t
            for t in targets
            if t.run_key not in self._done and t.run_key not in self._in_flight
        }
        if self._pending:
            self._wake.set()

    @property
    def busy(self) -> bool:
        """A wanted container none of whose runs has been read yet is waiting or in flight (one
        already read has an excerpt to show; its newer runs are not worth waiting for)."""
        if self.forbidden:
            return False
        wanted = [*self._pending, *self._in_flight]
        return any((uid, container) not in self._read for uid, container, *_ in wanted)

    async def aclose(self) -> None:
        tasks = [*self._tasks, *([self._pump] if self._pump else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._pump = None

    # -- the pump ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending and not self.forbidden:
                if len(self._in_flight) >= self.settings.concurrency:
                    break  # a finishing request wakes the pump
                wait = self._budget_wait()
                if wait > 0:
                    try:
                        await asyncio.wait_for(self._wake.wait(), wait)
                        self._wake.clear()
                    except TimeoutError:
                        pass
                    continue
                key, target = next(iter(self._pending.items()))
                del self._pending[key]
                self._in_flight.add(key)
                self._started.append(self._monotonic())
                self.requests += 1
                task = asyncio.get_running_loop().create_task(self._fetch(target))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _budget_wait(self) -> float:
        """Seconds until another request fits in the per-minute budget (0: now)."""
        now = self._monotonic()
        while self._started and self._started[0] <= now - 60.0:
            self._started.popleft()
        if len(self._started) < self.settings.per_minute:
            return 0.0
        return self._started[0] + 60.0 - now

    async def _fetch(self, target: LogTarget) -> None:
        key = target.run_key
        settings = self.settings
        request = LogRequest(
            target.namespace,
            target.pod,
            target.container,
            previous=target.previous,
            tail_lines=settings.tail_lines,
            limit_bytes=settings.limit_bytes,
        )
        try:
            text = await read_log(self.client, request, seconds=settings.request_timeout)
        except errors.APIForbiddenError as e:
            self._mark_done(key)
            await self._forbid(e)
            return
        except errors.APIError as e:
            if e.status in (400, 404, 422):
                logger.debug(
                    "log of %s/%s %s: %s", target.namespace, target.pod, target.container, e
                )
                self._mark_done(key)
            else:
                logger.info("log of %s/%s: %s; will ask again", target.namespace, target.pod, e)
            return
        except (errors.TransportError, errors.BadResponseError) as e:
            logger.info("log of %s/%s: %s; will ask again", target.namespace, target.pod, e)
            return
        finally:
            self._in_flight.discard(key)
            self._wake.set()
        self._mark_done(key)
        self._read.add((target.uid, target.container))
        if self._put is not None:
            await self._put(excerpt_event(target, text, self._clock(), settings))

    def _mark_done(self, key: tuple) -> None:
        self._done[key] = None
        while len(self._done) > _DONE_LIMIT:
            self._done.popitem(last=False)

    async def _forbid(self, error: errors.APIError) -> None:
        if self.forbidden:
            return
        self.forbidden = True
        self._pending.clear()
        if self._put is not None:
            health = StreamHealth(
                LOG_STREAM,
                HealthState.FORBIDDEN,
                since=self._clock(),
                detail=f"{RBAC_NOTICE}: {error.message or error}",
            )
            await self._put(health)
