"""The reflector: one resource listed, then watched forever, with its health reported.

Three async generators, one per level, modelled on kopf's watch loop:

- `watch_forever` never ends. It finds the served API version, runs `list_then_watch`, and turns
  every failure into stream health plus a jittered backoff (honouring Retry-After), then goes again.
- `list_then_watch` lists when it has no resourceVersion to resume from (a streamed list where the
  server serves one, `sovwatch.kube.watch_list`, else pages), diffs the list against what it had
  (so a relist after 410 Gone reports deletions and changes from the gap), then re-watches from
  the last resourceVersion each time the server ends a watch.
- `watch_once` is one watch request: bookmarks asked for, a random `timeoutSeconds`, the inactivity
  timer on every read; an in-stream ERROR becomes an exception (410 → `APIGoneError`).

A watch that delivers events resets the failure count; one that ends without a single event (or
fails) counts as a failure, so a server that answers and hangs up at once, or a 410 storm, is paced
by the backoff instead of spinning.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field

from sovwatch import json_input
from sovwatch.kube import discovery, errors, watch_list
from sovwatch.kube.api import ApiClient
from sovwatch.kube.resources import WatchedResource
from sovwatch.redaction import redact
from sovwatch.settings import WatchSettings
from sovwatch.sources import kept_json, listing
from sovwatch.sources.events import EventType, HealthState, SourceItem, StreamHealth, WatchEvent
from sovwatch.untrusted import neutralise

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


class Marker(enum.Enum):
    OPENED = "opened"
    """The watch request was answered 2xx: the stream is up (before any event arrives)."""


@dataclass
class Reflection:
    """What one reflector knows: the objects it has emitted, where to resume, how it is doing."""

    resource: WatchedResource
    clock: Clock
    version: str | None = None
    """The API version being watched, once discovery found one."""
    resource_version: str | None = None
    """Where the next watch resumes; None means list first."""
    objects: dict[listing.ObjectKey, listing.Known] = field(default_factory=dict)
    """Identity (uid, resourceVersion) of every object emitted and not deleted, by key."""
    failures: int = 0
    """Consecutive attempts without a single event: drives the backoff and `attempt`."""
    health: StreamHealth | None = None

    def event(self, type_: EventType, obj: dict) -> WatchEvent:
        """Remember a change and make the event for it."""
        key = listing.object_key(obj)
        if type_ is EventType.DELETED:
            self.objects.pop(key, None)
        else:
            self.objects[key] = listing.identity(obj)
        return WatchEvent(self.resource.key, type_, obj, self.clock())

    def transition(
        self, state: HealthState, *, detail: str = "", since: float | None = None
    ) -> StreamHealth | None:
        """The health record for entering `state`, or None if nothing changed. `detail` may quote
        the server (an error body, a resourceVersion, perhaps an echoed token): it is redacted and
        neutralised here, once, for every view and the recording."""
        detail = neutralise(redact(detail))
        attempt = self.failures if state in (HealthState.RECONNECTING, HealthState.STALE) else 0
        old = self.health
        if old and (old.state, old.attempt, old.detail) == (state, attempt, detail):
            return None
        self.health = StreamHealth(
            self.resource.key, state, since if since is not None else self.clock(), attempt, detail
        )
        return self.health

    def deletions(self, listed: Collection[listing.ObjectKey]) -> list[tuple[EventType, dict]]:
        """Tombstones for every object not in a complete list (`listed`: its keys). When the
        group is no longer served they carry its preferred version."""
        resource = self.resource
        return listing.deletions(
            self.objects,
            listed,
            kind=resource.kind,
            api_version=resource.api_version(self.version or resource.versions[0]),
        )

    def live_detail(self) -> str:
        return self.resource.api_version(self.version or "")


async def watch_forever(
    client: ApiClient,
    resource: WatchedResource,
    *,
    namespace: str | None = None,
    settings: WatchSettings,
    clock: Clock = time.time,
) -> AsyncIterator[SourceItem]:
    """Events and health of `resource`, forever; nothing escapes but cancellation."""
    state = Reflection(resource, clock)
    yield state.transition(HealthState.CONNECTING)
    while True:
        health: StreamHealth | None = None
        delay = 0.0
        try:
            if state.version is None:
                state.version = await discovery.served_version(client, resource)
            if state.version is None:
                # The group is not served (CRD not installed yet, or removed with its objects).
                for type_, obj in state.deletions(()):
                    yield state.event(type_, obj)
                state.resource_version = None
                health = state.transition(
                    HealthState.ABSENT,
                    detail=f"{resource.key} is not served in {' or '.join(resource.versions)} "
                    "(CRD not installed yet, or only a newer version this sovwatch does not know)",
                )
                delay = settings.absent_recheck
            else:
                async for item in list_then_watch(
                    client, state, namespace=namespace, settings=settings
                ):
                    yield item
                state.failures += 1  # the server ended a watch before sending anything
                delay = settings.backoff(state.failures)
        except errors.APIGoneError:
            # History compacted past our resourceVersion: list again and diff.
            state.resource_version = None
            health, delay = _retry(state, settings, "resourceVersion expired (410 Gone): relisting")
        except errors.APINotFoundError:
            # The version we watched went away (CRD deleted or upgraded): discover again.
            state.version = state.resource_version = None
            health, delay = _retry(state, settings, f"{resource.key} no longer served")
        except errors.APIForbiddenError as e:
            scope = f"in namespace {namespace}" if namespace and resource.namespaced else ""
            health = state.transition(
                HealthState.FORBIDDEN,
                detail=" ".join(f"cannot read {resource.key} {scope}".split())
                + f": {e.message or e.reason}",
            )
            delay = settings.forbidden_recheck
        except errors.InactivityError as e:
            state.failures += 1
            health = state.transition(
                HealthState.STALE,
                detail=f"no data for {settings.inactivity_timeout:g} s: reconnecting",
                since=e.last_activity,
            )
            delay = settings.backoff(state.failures - 1)
        except (errors.APITooManyRequestsError, errors.APIServerError) as e:
            health, delay = _retry(state, settings, str(e), retry_after=e.retry_after)
        except errors.MalformedLineError as e:
            again = (
                f"re-watching from resourceVersion {state.resource_version}"
                if state.resource_version
                else "listing again"
            )
            health, delay = _retry(state, settings, f"{e}; {again}")
        except errors.APIUnauthorizedError as e:
            health, delay = _retry(state, settings, str(e), HealthState.ERROR)
        except errors.KubeError as e:
            health, delay = _retry(state, settings, str(e))
        except errors.FatalError as e:  # credentials could not be refreshed
            health, delay = _retry(state, settings, str(e), HealthState.ERROR)
        except Exception as e:  # a bug must not silently end this stream
            logger.exception("watching %s failed", resource.key)
            detail = f"internal error: {type(e).__name__}: {e}"
            health, delay = _retry(state, settings, detail, HealthState.ERROR)
        if health is not None:
            yield health
        if delay > 0:
            await asyncio.sleep(delay)


def _retry(
    state: Reflection,
    settings: WatchSettings,
    detail: str,
    health: HealthState = HealthState.RECONNECTING,
    *,
    retry_after: float | None = None,
) -> tuple[StreamHealth | None, float]:
    """Count a failure: the health record to emit (if it changed) and the delay before the next
    attempt: the backoff, or longer if the server sent Retry-After (with 429 or 5xx, as client-go
    honours it), capped so a bogus header cannot freeze the stream."""
    state.failures += 1
    delay = settings.backoff(state.failures)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.retry_after_max))
        detail = f"{detail}; retrying in {delay:.1f} s"
    return state.transition(health, detail=detail), delay


async def list_then_watch(
    client: ApiClient,
    state: Reflection,
    *,
    namespace: str | None,
    settings: WatchSettings,
) -> AsyncIterator[SourceItem]:
    """List if there is nowhere to resume from, then watch until a watch ends with no events.

    The list is streamed (one watch request whose first events are the objects) where the server
    serves that, else paginated. Returns normally only when the server ended a watch that
    delivered nothing (or a streamed list before its end); raises the `sovwatch.kube.errors`
    exception of any failure, `APIGoneError` meaning "list again".
    """
    resource, version = state.resource, state.version
    assert version is not None
    path = resource.collection_path(version, namespace)
    if state.resource_version is None:
        try:
            async with aclosing(_streamed_list(client, state, path, settings=settings)) as items:
                async for item in items:
                    yield item
            if state.resource_version is None:
                return  # the stream ended before the list did: start over, after the backoff
        except _NotStreamed:
            async with aclosing(
                _paginated_list(client, state, namespace=namespace, settings=settings)
            ) as items:
                async for item in items:
                    yield item
    while True:
        delivered = False
        async with aclosing(
            watch_once(
                client,
                path,
                resource_version=state.resource_version,
                settings=settings,
                selection=resource.selection,
                decode=kept_json.watch_event(resource.kind),
            )
        ) as events:
            async for event in events:
                if event is Marker.OPENED:
                    if health := state.transition(HealthState.LIVE, detail=state.live_detail()):
                        yield health
                    continue
                delivered = True
                if (item := _reflected(state, event)) is not None:
                    yield item
        if not delivered:
            return


class _NotStreamed(Exception):
    """The server does not serve streamed lists: list in pages instead."""


async def _paginated_list(
    client: ApiClient, state: Reflection, *, namespace: str | None, settings: WatchSettings
) -> AsyncIterator[SourceItem]:
    """List in pages, diffing against what the reflector had; then live from the list's version.
    Changes are emitted page by page (one page of objects in memory at a time); deletions only
    once the list is complete."""
    resource, version = state.resource, state.version
    assert version is not None
    listed: set[listing.ObjectKey] = set()
    rv = ""
    async with aclosing(
        listing.list_pages(client, resource, version, namespace=namespace, settings=settings)
    ) as pages:
        async for items, page_rv in pages:
            rv = page_rv  # every page reports the list's; the last one is where to resume
            for obj in items:
                listed.add(listing.object_key(obj))
                for type_, change in listing.changes(state.objects, obj):
                    yield state.event(type_, change)
    for item in _listed(state, listed, rv):
        yield item


def _listed(state: Reflection, listed: set[listing.ObjectKey], rv: str) -> list[SourceItem]:
    """The end of a complete list: tombstones for what it lacked, then live from `rv`."""
    items: list[SourceItem] = [state.event(t, obj) for t, obj in state.deletions(listed)]
    listed.clear()  # ~44,000 keys on a large cluster: not to be kept while the watch lasts
    state.resource_version = rv
    if health := state.transition(HealthState.LIVE, detail=state.live_detail()):
        items.append(health)
    return items


async def _streamed_list(
    client: ApiClient, state: Reflection, path: str, *, settings: WatchSettings
) -> AsyncIterator[SourceItem]:
    """A streamed list, then the same stream as a watch until the server ends it.

    The initial ADDED events are diffed against what the reflector had, as list pages are; the
    initial-events-end bookmark completes the list (tombstones, resourceVersion, live). Raises
    `_NotStreamed` (and remembers it for the server) if the server refuses the request, or shows
    it ignored it by sending an ordinary bookmark first; the objects emitted by then are diffed
    again by the paginated list that follows.
    """
    support = client.watch_list
    async with aclosing(
        watch_once(
            client,
            path,
            resource_version=None,
            settings=settings,
            initial_events=True,
            selection=state.resource.selection,
            decode=kept_json.watch_event(state.resource.kind),
        )
    ) as events:
        async with support.asking() as ask:
            if not ask:
                raise _NotStreamed
            try:
                await anext(events)  # Marker.OPENED: the server took the request
            except errors.APIError as e:
                if e.status not in watch_list.REFUSED_STATUSES:
                    raise
                logger.info("%s: streamed list refused (%s): listing in pages", path, e)
                support.refused()
                raise _NotStreamed from None
            support.served = True
        listed: set[listing.ObjectKey] | None = set()
        async for event in events:
            assert isinstance(event, dict)
            obj = event["object"]
            if listed is None:  # the list is complete: an ordinary watch from here
                if (item := _reflected(state, event)) is not None:
                    yield item
                continue
            if event["type"] not in ("ADDED", "BOOKMARK") or (
                event["type"] == "BOOKMARK" and not watch_list.is_initial_events_end(obj)
            ):
                # An ordinary bookmark (or a change) before the end of the initial events: the
                # server ignored sendInitialEvents and serves a plain watch.
                logger.info("%s: the server ignored sendInitialEvents: listing in pages", path)
                support.refused()
                raise _NotStreamed
            if event["type"] == "BOOKMARK":
                # (the failure count stays: as after a paginated list, only a watch event that
                # follows resets it, so a relist storm is still paced by the backoff)
                for item in _listed(state, listed, listing.resource_version(obj) or ""):
                    yield item
                listed = None
                continue
            if state.resource.wanted is not None and not state.resource.wanted(obj):
                continue  # not read by the model (its tombstone follows if it was held)
            obj = _completed(state, event)
            listed.add(listing.object_key(obj))
            for type_, change in listing.changes(state.objects, obj):
                yield state.event(type_, change)


def _reflected(state: Reflection, event: dict) -> WatchEvent | None:
    """What one watch event means for the reflector: the change to emit, if any (not for a
    bookmark, which only moves where to resume, nor for an unknown type)."""
    state.failures = 0
    obj = event["object"]
    rv = listing.resource_version(obj)
    if event["type"] == "BOOKMARK":
        # A lagging apiserver behind a load balancer can send a bookmark from the
        # past; resuming from it would replay (or 410 on) changes already seen.
        if rv and not _older(rv, state.resource_version):
            state.resource_version = rv
        return None
    state.resource_version = rv or state.resource_version
    if event["type"] not in EventType.__members__:
        logger.warning("%s: skipped a watch event of type %r", state.resource.key, event["type"])
        return None
    type_ = EventType(event["type"])
    if state.resource.wanted is not None and not state.resource.wanted(obj):
        if type_ is EventType.ADDED:
            return None
        type_ = EventType.DELETED  # no longer selected: gone, as a field selector's watch says
    return state.event(type_, _completed(state, event))


def _completed(state: Reflection, event: dict) -> dict:
    """A watch event's object with the `kind`/`apiVersion` it may lack, slimmed (in place, for a
    `kept_json.CleanEvent`)."""
    resource, obj = state.resource, event["object"]
    obj.setdefault("kind", resource.kind)
    obj.setdefault("apiVersion", resource.api_version(state.version or ""))
    return listing.slimmed(obj, clean=type(event) is kept_json.CleanEvent)


def _older(rv: str, than: str | None) -> bool:
    """True if `rv` is known to be older than `than`. resourceVersions are opaque to clients,
    but every apiserver hands out etcd revisions (decimal integers); anything else is trusted."""
    return bool(than) and rv.isdigit() and than.isdigit() and int(rv) < int(than)


async def watch_once(
    client: ApiClient,
    path: str,
    *,
    resource_version: str | None,
    settings: WatchSettings,
    initial_events: bool = False,
    selection: Mapping[str, str] | None = None,
    decode: kept_json.Decode = json_input.loads,
) -> AsyncIterator[dict | Marker]:
    """One watch request (`selection`: its field selector): `Marker.OPENED`, then the raw events
    (`type`, `object`, each line decoded by `decode`) until it ends. `initial_events` makes it a
    streamed list (the current objects first, as of a consistent read: no resourceVersion)."""
    params: dict[str, str | int] = {
        **(selection or {}),
        "watch": "true",
        "allowWatchBookmarks": "true",
        "timeoutSeconds": settings.watch_timeout(),
    }
    if initial_events:
        params["sendInitialEvents"] = "true"
        params["resourceVersionMatch"] = "NotOlderThan"
    elif resource_version:
        params["resourceVersion"] = resource_version
    async with client.open_stream(path, params) as lines:
        yield Marker.OPENED
        async for line in lines:
            try:
                event = decode(line)
            except json_input.TooDeepError:
                raise errors.MalformedLineError(line, "JSON nested too deeply") from None
            except ValueError:
                raise errors.MalformedLineError(line) from None
            if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
                raise errors.MalformedLineError(line)
            if event.get("type") == "ERROR":
                status = event["object"]
                raise errors.api_error(int(status.get("code") or 500), status)
            yield event
