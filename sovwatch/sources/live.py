"""The live source: every watched resource's reflector, merged into one stream of `SourceItem`s.

Each reflector runs as its own task and feeds a bounded queue, so one slow or failing resource never
holds up another. If the first answer of every stream is 403 Forbidden, there is nothing to show:
the stream raises `FatalError` (a start-up problem, like a rejected token). The stream owns the `ApiClient` it is given: closing the stream (leaving
`contextlib.aclosing`, or `aclose()`) cancels every reflector, waits for them, and closes the
client's session, so no task or socket outlives it.

Typical use (the launcher does this after `api.preflight` succeeded)::

    async with contextlib.aclosing(live.stream(client, settings=settings)) as items:
        async for item in items:
            store.apply(item)

A view already showing something (a picture kept on disk) need not wait for the pre-flight:
`preflighted(client, lambda: stream(client, ...))` proves the server usable first, inside the
source.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from sovwatch.kube import api, errors
from sovwatch.kube.api import ApiClient
from sovwatch.kube.resources import WATCHED, WatchedResource
from sovwatch.redaction import redact
from sovwatch.settings import WatchSettings
from sovwatch.sources import watching
from sovwatch.sources.events import HealthState, SourceItem, StreamHealth
from sovwatch.sources.log_fetcher import LogFetcher
from sovwatch.untrusted import neutralise


async def stream(
    client: ApiClient,
    *,
    settings: WatchSettings,
    namespace: str | None = None,
    resources: Sequence[WatchedResource] = WATCHED,
    clock: watching.Clock = time.time,
    pause_gc: float = 0.0,
    logs: LogFetcher | None = None,
) -> AsyncIterator[SourceItem]:
    """Events and stream health of every resource, in arrival order, until closed.

    Args:
        client: an open client (`sovwatch.kube.api.ApiClient`); closed when the stream is.
        settings: timeouts and backoffs.
        namespace: watch namespaced resources in this namespace only (default: all).
        resources: what to watch (default: everything sovwatch shows).
        clock: wall clock for `received_at` and health times.
        pause_gc: keep Python's cyclic garbage collector off until every stream has listed and
            the consumer has taken the item that says so (for at most this many seconds; 0 leaves
            it alone), then freeze what is alive and collect less often from then on
            (`STEADY_GC_THRESHOLDS`). Listing
            builds hundreds of thousands of dicts and lists with no cycles among them, and each
            collection re-traverses all those still alive: a fifth of the CPU of a large first
            picture. Process-wide, so for the application to ask for, not a library.
        logs: a log fetcher whose excerpts (and 403 notice) join the stream; closed with it.
    """
    queue: asyncio.Queue[SourceItem] = asyncio.Queue(maxsize=settings.buffer_items)

    async def pump(resource: WatchedResource) -> None:
        async with aclosing(
            watching.watch_forever(
                client, resource, namespace=namespace, settings=settings, clock=clock
            )
        ) as items:
            async for item in items:
                await queue.put(item)

    tasks = [
        asyncio.create_task(pump(resource), name=f"sovwatch-watch-{resource.key}")
        for resource in resources
    ]
    watched = {resource.key for resource in resources}
    if logs is not None:
        logs.start(queue.put)
    first: dict[str, HealthState] | None = {}
    """Each stream's first settled state, until every stream has one."""
    resume_gc = _pause_gc(pause_gc)
    try:
        while True:
            item = await queue.get()
            if (
                first is not None
                and isinstance(item, StreamHealth)
                and item.settled
                and item.resource in watched
            ):
                first.setdefault(item.resource, item.state)
                if len(first) == len(resources):
                    if set(first.values()) == {HealthState.FORBIDDEN}:
                        raise errors.FatalError(_nothing_readable(client, namespace))
                    first = None
                    yield item
                    # The consumer built its first picture from this item (the model's first
                    # run over every object) with the collector still off: on again now.
                    resume_gc()
                    continue
            yield item
    finally:
        resume_gc()
        if logs is not None:
            await logs.aclose()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()


@dataclass
class FirstContact:
    """Whether a source that connects (`preflighted`) has reached its server yet, and if not,
    why not at the last try."""

    reached: bool = False
    """The server answered the start-up check (for good: later trouble is the watches')."""
    unreachable: errors.FatalError | None = None
    """Why the server could not be reached at the last try (None once `reached`): a run that
    ends meanwhile never reached its cluster."""


async def preflighted(
    client: ApiClient,
    items: Callable[[], AsyncIterator[SourceItem]],
    *,
    settings: WatchSettings,
    retry_unreachable: bool = False,
    resources: Sequence[WatchedResource] = WATCHED,
    clock: watching.Clock = time.time,
    contact: FirstContact | None = None,
) -> AsyncIterator[SourceItem]:
    """`items()` (a `stream` over `client`) once the server is proven usable (`api.preflight`):
    a source that connects, for a view already showing something (a picture kept on disk).

    `FatalError` ends it, as it ends a start; with `retry_unreachable`, a server that cannot be
    reached is tried again after the watches' backoff instead, each failure said as every one of
    `resources` reconnecting with its line (`attempt` counting), as the watches say theirs, and
    kept in `contact` until the server answers."""
    attempt = 0
    while True:
        try:
            await api.preflight(client)
            break
        except errors.FatalError as err:
            if not (retry_unreachable and err.unreachable):
                raise
            if contact is not None:
                contact.unreachable = err
            attempt += 1
            now, detail = clock(), neutralise(redact(str(err)))
            for resource in resources:
                yield StreamHealth(resource.key, HealthState.RECONNECTING, now, attempt, detail)
        await asyncio.sleep(settings.backoff(attempt))
    if contact is not None:
        contact.reached, contact.unreachable = True, None
    async with aclosing(items()) as stream:
        async for item in stream:
            yield item


STEADY_GC_THRESHOLDS = (50_000, 20, 10)
"""The collector's thresholds once the first picture is frozen (CPython's are 700, 10, 10). A
change replaces a stored object and the model's rows for it, making as many containers as it
frees and no cycles; the defaults still collected about every 40 events (a burst's temporaries
pass 700), walking what survived again and again: per 10,000 pod events on issue 19's
population, 230 young, 20 middle and a full collection, 0.09-0.11 CPU seconds, 8 % of the ingest.
With these none ran in 10,000 events (0.05 CPU s at 10,000, 20, 100); cyclic garbage is still
collected once 50,000 more containers are alive than were, a pause of a few milliseconds."""


def _pause_gc(seconds: float) -> Callable[[], None]:
    """Turn the garbage collector off for at most `seconds` (if it is on); returns the function
    that turns it back on early (idempotent)."""
    if seconds <= 0 or not gc.isenabled():
        return lambda: None
    gc.disable()

    def resume() -> None:
        timer.cancel()
        if not gc.isenabled():
            # Every object alive now leaves the collector's sight: the first picture (and what
            # the model's first run built from it) is long-lived, and no later collection need
            # traverse it again. Frozen objects are still freed when no longer referenced; only
            # reference cycles among them would stay, and listing makes none (a full collection
            # here found 0 unreachable of 344,000 tracked objects on `large`, and took 0.15 s).
            gc.freeze()
            gc.set_threshold(*STEADY_GC_THRESHOLDS)
            gc.enable()

    timer = asyncio.get_running_loop().call_later(seconds, resume)
    return resume


def _nothing_readable(client: ApiClient, namespace: str | None) -> str:
    """The line for credentials that may read none of the watched resources (403 on all)."""
    connection = client.connection
    scope = f"in namespace {namespace}" if namespace else "in any namespace"
    return (
        f"user {connection.user!r} may not read anything sovwatch watches {scope} (403 Forbidden "
        f"on every resource; {connection.where}): ask for read access (list and watch) or pick "
        "another --context"
        + ("" if namespace else ", or pass -n NAMESPACE if you may read one namespace only")
    )
