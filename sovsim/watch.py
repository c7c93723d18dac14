"""One watch stream: resourceVersion semantics, filtering, bookmarks, timeouts and fault signals.

Semantics follow kube-apiserver's watch cache:
- no resourceVersion (or "0"): a synthetic ADDED for every current object, then live changes;
- a resourceVersion inside the kept history: the changes after it, then live;
- an older one: HTTP 200 and a single in-stream ERROR event with a 410 `Expired` Status;
- a change that makes an object start (stop) matching the selectors arrives as ADDED (DELETED);
- BOOKMARKs (when asked for) carry the store's resourceVersion, sent only when the stream has
  nothing queued, so a client resuming from one never skips a change;
- `timeoutSeconds` (or the long server default) ends the stream cleanly;
- watch-list (KEP-3157, `sendInitialEvents=true` with `resourceVersionMatch=NotOlderThan`): a
  synthetic ADDED for every current object, then (with `allowWatchBookmarks`) one BOOKMARK at
  their resourceVersion annotated `k8s.io/initial-events-end: "true"`, then live changes. An
  emulator started as an older server (`watch_list=False`: the WatchList feature gate off)
  rejects it with 422 Invalid, word for word as kube-apiserver's option validation does.

Control signals (close, stall wake-up, malformed line) travel through the same queue as the
changes, so a stream reacts to them in order and never needs a second task.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from sovsim.encoding import Encoder, dumps
from sovsim.listing import matching
from sovsim.objects import Change, Expired, ObjectStore, ResourceType
from sovsim.selectors import Filter
from sovsim.status import expired


class Signal:
    """A control message for open streams (compared by identity)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Signal({self.name})"


CLOSE = Signal("close")
WAKE = Signal("wake")
MALFORMED = Signal("malformed")

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
"""The annotation of the bookmark that ends a watch-list's initial events (metav1's
`InitialEventsAnnotationKey`)."""
NOT_OLDER_THAN = "NotOlderThan"

CHUNK_EVENTS = 100
"""Events sent in one chunk at most. kube-apiserver writes a watch's events one by one, flushing
whenever none is waiting, so a watch-list's initial events (or a watch from nothing) reach the
client as they are encoded; written as one chunk, the emulator held them all (the whole
pod list, 16 MB on `large`) before the first byte left, and the loop served no other request
meanwhile."""

MALFORMED_LINE = (
    b'{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":\n'
)
"""What `malformed_line` sends: a truncated JSON document, as a broken proxy would deliver."""


@dataclass(eq=False)
class WatchStream:
    """An open watch, registered with the emulator so faults and CRD removal can reach it."""

    rt: ResourceType
    version: str
    queue: asyncio.Queue = field(repr=False)

    def signal(self, signal: Signal) -> None:
        self.queue.put_nowait(signal)


def _filtered(change: Change, filt: Filter) -> tuple[str, dict] | None:
    """The event a watch with this filter sees for `change`, if any."""
    now = filt.matches(change.obj)
    if change.type != "MODIFIED":
        return (change.type, change.obj) if now else None
    before = filt.matches(change.prev) if change.prev is not None else now
    if now:
        return ("MODIFIED" if before else "ADDED", change.obj)
    return ("DELETED", change.obj) if before else None


def watch_list_errors(
    send_initial_events: str | None, match: str, *, served: bool
) -> list[tuple[str, str, str]]:
    """(field, reason, detail) of each error apimachinery's `validateWatchOptions` finds in a
    watch's `sendInitialEvents` and `resourceVersionMatch`; `served` is the WatchList feature
    gate. Empty means valid."""
    errors = []
    if send_initial_events is not None:
        if match != NOT_OLDER_THAN:
            errors.append(
                (
                    "resourceVersionMatch",
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents requires setting resourceVersionMatch to "
                    f"{NOT_OLDER_THAN}",
                )
            )
        if not served:
            errors.append(
                (
                    "sendInitialEvents",
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList "
                    "feature gate is enabled",
                )
            )
    if match:
        if send_initial_events is None:
            errors.append(
                (
                    "resourceVersionMatch",
                    "FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden for watch unless "
                    "sendInitialEvents is provided",
                )
            )
        if match != NOT_OLDER_THAN:
            errors.append(
                (
                    "resourceVersionMatch",
                    "FieldValueNotSupported",
                    f'Unsupported value: "{match}": supported values: "{NOT_OLDER_THAN}"',
                )
            )
    return errors


@dataclass(frozen=True)
class WatchRequest:
    rt: ResourceType
    version: str
    source: str
    """The stored resource that feeds it (`events` for the events.k8s.io view)."""
    filt: Filter
    resource_version: str | None
    bookmarks: bool
    timeout: float
    bookmark_interval: float
    initial_events: bool = False
    """A watch-list: the current objects first, then the initial-events-end bookmark."""


async def serve_watch(
    request: web.Request,
    watch: WatchRequest,
    *,
    store: ObjectStore,
    encode: Encoder,
    encode_initial: Encoder,
    content_type: str,
    streams: set[WatchStream],
    is_stalled: Callable[[str], bool],
) -> web.StreamResponse:
    loop = asyncio.get_running_loop()
    key = watch.rt.key
    queue = store.subscribe(watch.source)
    stream = WatchStream(watch.rt, watch.version, queue)
    streams.add(stream)
    pending: deque[tuple[str, dict]] = deque()
    initial: list[tuple[str, dict]] = []
    """A watch-list's initial events: encoded (and kept) as a list's items are."""
    resp = web.StreamResponse(status=200, headers={"Content-Type": content_type})
    resp.enable_chunked_encoding()
    try:
        if watch.initial_events:
            # Listed and stamped in one synchronous step with the subscription: the bookmark's
            # resourceVersion is exactly the state the ADDED events show.
            initial.extend(("ADDED", o) for o in matching(store, watch.source, watch.filt))
            if watch.bookmarks:
                initial.append(("BOOKMARK", _bookmark(watch, store, initial_events_end=True)))
        elif watch.resource_version in (None, "", "0"):
            pending.extend(("ADDED", o) for o in matching(store, watch.source, watch.filt))
        else:
            try:
                changes = store.changes_since(watch.source, int(watch.resource_version))
            except Expired as exc:
                await resp.prepare(request)
                await _write(resp, [("ERROR", expired(str(exc)))], encode=None)
                await resp.write_eof()
                return resp
            pending.extend(e for c in changes if (e := _filtered(c, watch.filt)))
        await resp.prepare(request)
        deadline = loop.time() + watch.timeout
        next_bookmark = loop.time() + watch.bookmark_interval
        while True:
            stalled = is_stalled(key)
            if not stalled:
                if initial:
                    await _write(resp, initial, encode=encode_initial)
                    initial.clear()
                if pending:
                    await _write(resp, pending, encode=encode)
                    pending.clear()
                now = loop.time()
                if now >= deadline:
                    break
                if watch.bookmarks and now >= next_bookmark and queue.empty():
                    await _write(resp, [("BOOKMARK", _bookmark(watch, store))], encode=None)
                    next_bookmark = now + watch.bookmark_interval
            wait = None
            if not stalled:
                wake_at = min(deadline, next_bookmark) if watch.bookmarks else deadline
                wait = max(0.0, wake_at - loop.time())
            try:
                # never wait_for(get(), 0) on a busy queue: with a bookmark due it times out before
                # the get can run, every time (a live-lock that froze busy watches)
                if queue.empty():
                    item = await asyncio.wait_for(queue.get(), wait)
                else:
                    item = queue.get_nowait()
            except TimeoutError:
                continue
            if item is CLOSE:
                break
            if item is MALFORMED:
                if not stalled:
                    await resp.write(MALFORMED_LINE)
            elif isinstance(item, Change) and (event := _filtered(item, watch.filt)):
                pending.append(event)
        await resp.write_eof()
        return resp
    except ConnectionResetError:  # the client went away mid-write: the watch is simply over
        return resp
    finally:
        store.unsubscribe(watch.source, queue)
        streams.discard(stream)


def _bookmark(watch: WatchRequest, store: ObjectStore, *, initial_events_end: bool = False) -> dict:
    """A BOOKMARK's object: the kind with only the store's resourceVersion (and, ending a
    watch-list's initial events, the annotation saying so)."""
    metadata: dict = {"resourceVersion": str(store.resource_version)}
    if initial_events_end:
        metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {
        "kind": watch.rt.kind,
        "apiVersion": watch.rt.api_version(watch.version),
        "metadata": metadata,
    }


async def _write(
    resp: web.StreamResponse, events: Iterable[tuple[str, dict]], *, encode: Encoder | None
) -> None:
    """Send events as JSON lines, `CHUNK_EVENTS` to a chunk; bookmarks, and every object when
    `encode` is None, are sent as they are."""
    lines: list[bytes] = []
    for t, o in events:
        lines.append(
            b'{"type":"%s","object":%s}\n'
            % (t.encode(), encode(t, o) if encode and t != "BOOKMARK" else dumps(o))
        )
        if len(lines) == CHUNK_EVENTS:
            await resp.write(b"".join(lines))
            lines.clear()
    if lines:
        await resp.write(b"".join(lines))
