"""Fetching the log tails that explain root causes, bounded, and feeding them in as source items.

Whoever runs the model hands `LogFetcher.want` the model's current `LogTarget`s (the containers
that crashed, restarted or run without becoming ready and are some release's root cause). The
fetcher reads each target's run once (`previous=true` for a crashed run, with `tailLines` and
`limitBytes`), never more than `LogSettings.concurrency` at once nor `per_minute` in any 60
seconds, and yields each answer as a `WatchEvent` of a slim `LogExcerpt` object (the newest lines
within `keep_bytes`): the store takes it like any object, recordings keep it and a replay shows it.

For a failed or stalled release it also reads helm-controller's log (its pod found by
`app=helm-controller` in flux-system, container `manager`) and keeps the JSON lines about that
HelmRelease, as `flux logs --kind HelmRelease --name X` does: one read serves every release
waiting for its lines at that moment, read again when a release's state or reason changes, within
the same budget. When no helm-controller pod runs, it is not looked for again for
`controller_recheck` seconds (releases failing meanwhile have no lines to wait for).

A 403 on `pods/log` turns reading off for the session and is reported once, as the health of a
`pods/log` stream (FORBIDDEN, "logs not readable (RBAC): ..."); the watches go on. A 400 (the
container is gone, has no previous run, has not started) or 404 (the pod is gone) marks the run
done without a word. Anything else (a timeout, 5xx, 429) leaves it to be asked for again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable

from sovwatch.kube import errors
from sovwatch.kube.api import ApiClient
from sovwatch.kube.pod_logs import LogRequest, read_log
from sovwatch.settings import LogSettings
from sovwatch.sources.events import (
    CONTROLLER_LOG_KIND,
    CONTROLLER_LOG_RESOURCE,
    EXCERPT_KIND,
    EXCERPT_RESOURCE,
    OWN_API_VERSION,
    ControllerLogTarget,
    EventType,
    HealthState,
    LogTarget,
    SourceItem,
    StreamHealth,
    WatchEvent,
    excerpt_name,
)
from sovwatch.sources.slimming import slim

logger = logging.getLogger(__name__)

FLUX_NS = "flux-system"
CONTROLLER = "helm-controller"
CONTROLLER_SELECTOR = "app=helm-controller"
CONTROLLER_CONTAINER = "manager"
LOG_STREAM = "pods/log"
"""The `resource` of the health record a 403 produces."""
RBAC_NOTICE = "logs not readable (RBAC)"
_DONE_LIMIT = 10_000
"""Runs remembered as read (oldest forgotten first): a storm's worth, a few hundred KB at most."""

Put = Callable[[SourceItem], Awaitable[None]]


def is_about(record: dict, namespace: str, name: str) -> bool:
    """Whether a helm-controller log record is about this HelmRelease (its `HelmRelease` object
    reference, else the top-level `name`/`namespace` of a HelmRelease reconcile)."""
    ref = record.get("HelmRelease")
    if isinstance(ref, dict):
        return ref.get("name") == name and ref.get("namespace") == namespace
    return (
        record.get("controllerKind") == "HelmRelease"
        and record.get("name") == name
        and record.get("namespace") == namespace
    )


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
        "apiVersion": OWN_API_VERSION,
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


def lines_about(lines: Iterable[str], namespace: str, name: str) -> list[str]:
    """helm-controller's JSON lines about one HelmRelease (what `flux logs --kind HelmRelease
    --name NAME -n NAMESPACE` shows), cleaned like every excerpt line."""
    about = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and is_about(record, namespace, name):
            about.append(line)
    return about


def controller_log_event(
    target: ControllerLogTarget, lines: list[str], received_at: float, settings: LogSettings
) -> WatchEvent:
    """The source item for helm-controller's lines about a release (see `model.controller_log`)."""
    obj = {
        "apiVersion": OWN_API_VERSION,
        "kind": CONTROLLER_LOG_KIND,
        "metadata": {"namespace": target.namespace, "name": target.name},
        "lines": excerpt_lines("\n".join(lines), settings),
    }
    return WatchEvent(CONTROLLER_LOG_RESOURCE, EventType.ADDED, slim(obj), received_at)


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
        self._pending: dict[tuple, LogTarget | ControllerLogTarget] = {}
        self._in_flight: set[tuple] = set()
        self._done: OrderedDict[tuple, None] = OrderedDict()
        self._read: set[tuple[str, str]] = set()
        """(pod uid, container) of which some run was read."""
        self._ended: deque[float] = deque()
        """Monotonic end times of the requests that ended in the last 60 seconds."""
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._pump: asyncio.Task | None = None
        self._controller: str | None = None
        """The helm-controller pod's name, once looked up."""
        self._no_controller_until = -float("inf")
        """Monotonic time until which a lookup that found none holds (`controller_recheck`)."""
        self.forbidden = False
        self.requests = 0
        """Log requests sent so far (for the benchmark and tests)."""

    def start(self, put: Put) -> None:
        """Begin serving `want`: each fetched excerpt (and a 403's health record) goes to `put`."""
        self._put = put
        self._pump = asyncio.get_running_loop().create_task(
            self._run(), name="sovwatch-log-fetcher"
        )

    def want(self, targets: Iterable[LogTarget | ControllerLogTarget]) -> None:
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
        wanted = [k for k in (*self._pending, *self._in_flight) if k[0] != CONTROLLER]
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
                if len(self._tasks) >= self.settings.concurrency:
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
                if not isinstance(target, LogTarget):
                    batch = [t for t in self._pending.values() if not isinstance(t, LogTarget)]
                    work = self._fetch_controller(batch)
                else:
                    batch = [target]
                    work = self._fetch(target)
                for t in batch:
                    del self._pending[t.run_key]
                    self._in_flight.add(t.run_key)
                self.requests += 1
                task = asyncio.get_running_loop().create_task(work)
                self._tasks.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._ended.append(self._monotonic())
        self._wake.set()

    def _budget_wait(self) -> float:
        """Seconds until another request fits in the per-minute budget (0: now). A request holds
        its place from its start until 60 s after it ended, so however late a request reaches
        the server, no 60 s there see more than `per_minute` of them."""
        now = self._monotonic()
        while self._ended and self._ended[0] <= now - 60.0:
            self._ended.popleft()
        if len(self._ended) + len(self._tasks) < self.settings.per_minute:
            return 0.0
        if not self._ended:
            return 60.0  # every place is held by a request in flight; its end wakes the pump
        return self._ended[0] + 60.0 - now

    async def _fetch(self, target: LogTarget) -> None:
        settings = self.settings
        request = LogRequest(
            target.namespace,
            target.pod,
            target.container,
            previous=target.previous,
            tail_lines=settings.tail_lines,
            limit_bytes=settings.limit_bytes,
        )
        text = await self._read_log(request, [target.run_key], gone_is_done=True)
        if text is None:
            return
        self._read.add((target.uid, target.container))
        if self._put is not None:
            await self._put(excerpt_event(target, text, self._clock(), settings))

    async def _fetch_controller(self, targets: list[ControllerLogTarget]) -> None:
        """One read of helm-controller's log serves every release waiting for its lines."""
        settings = self.settings
        keys = [t.run_key for t in targets]
        try:
            pod = await self._controller_pod()
        except (errors.APIError, errors.TransportError, errors.BadResponseError) as e:
            logger.info("helm-controller pod: %s; will ask again", e)
            self._settle(keys)
            return
        if pod is None:
            for key in keys:
                self._mark_done(key)  # no helm-controller to ask (Flux not installed yet)
            self._settle(keys)
            return
        request = LogRequest(
            FLUX_NS,
            pod,
            CONTROLLER_CONTAINER,
            tail_lines=settings.controller_tail_lines,
            limit_bytes=settings.controller_limit_bytes,
        )
        text = await self._read_log(request, keys, gone_is_done=False)
        if text is None:
            self._controller = None  # restarted or gone: look it up again next time
            return
        lines = text.splitlines()
        for target in targets:
            if self._put is not None:
                about = lines_about(lines, target.namespace, target.name)
                await self._put(
                    controller_log_event(
                        target, about[-settings.controller_lines :], self._clock(), settings
                    )
                )

    async def _controller_pod(self) -> str | None:
        """The running helm-controller pod's name (`app=helm-controller` in flux-system); None
        without asking while a lookup that found none holds."""
        if self._controller is None and self._monotonic() >= self._no_controller_until:
            found = await self.client.get_json(
                f"/api/v1/namespaces/{FLUX_NS}/pods",
                {"labelSelector": CONTROLLER_SELECTOR},
                seconds=self.settings.request_timeout,
            )
            running = [
                p["metadata"]["name"]
                for p in found.get("items") or ()
                if (p.get("status") or {}).get("phase") == "Running"
            ]
            self._controller = running[0] if running else None
            if self._controller is None:
                self._no_controller_until = self._monotonic() + self.settings.controller_recheck
        return self._controller

    async def _read_log(
        self, request: LogRequest, keys: list[tuple], *, gone_is_done: bool
    ) -> str | None:
        """The log, with `keys` marked done; None when it could not be read (a 403 turns
        reading off; a 400 marks them done, a 404 too when `gone_is_done`; anything else leaves
        them to be asked for again)."""
        where = f"{request.namespace}/{request.pod} {request.container}"
        try:
            text = await read_log(self.client, request, seconds=self.settings.request_timeout)
        except errors.APIForbiddenError as e:
            for key in keys:
                self._mark_done(key)
            await self._forbid(e)
            return None
        except errors.APIError as e:
            if e.status in (400, 422) or (e.status == 404 and gone_is_done):
                logger.debug("log of %s: %s", where, e)
                for key in keys:
                    self._mark_done(key)
            else:
                logger.info("log of %s: %s; will ask again", where, e)
            return None
        except (errors.TransportError, errors.BadResponseError) as e:
            logger.info("log of %s: %s; will ask again", where, e)
            return None
        finally:
            self._settle(keys)
        for key in keys:
            self._mark_done(key)
        return text

    def _settle(self, keys: list[tuple]) -> None:
        """The requests for `keys` are over: make room for the next."""
        for key in keys:
            self._in_flight.discard(key)
        self._wake.set()

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
