"""The soak's yardsticks: the emulator's truth and sovwatch's view of it, made comparable.

sovwatch's store is rebuilt from its own recording (it holds exactly what the run applied); the
truth is a sovwatch store filled with the emulator's objects, slimmed as the engine slims them.
Snapshots are compared on what they say about the cluster, not on when they were taken.

Events are a window on both sides, and the same window. sovwatch keeps the newest `max_events`
(20,000) Events by resourceVersion while the emulator keeps every one (36,000+ in `large`), so the
truth store, a `Store` with the same bound, is fed all of the emulator's Events and keeps exactly
the newest 20,000 by resourceVersion too: the same rule on the same objects (those sovwatch asks
for: the Events the model reads). A genuinely lost
Event is still caught: any of the newest 20,000 that sovwatch never received, or holds at an older
resourceVersion (a missed count bump), is missing or stale, and one the emulator never had is
extra. The one thing a window cannot get back is an Event it already forgot; the emulator's
controllers never delete Events, so no deletion inside the window can make the truth reach below
what sovwatch forgot.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fingerprint_of_store(store) -> dict[tuple, str]:
    """(kind, namespace, name) -> resourceVersion of every cluster object in `store` (not the log
    excerpts sovwatch read itself: the emulator has no such objects)."""
    from sovwatch.sources.events import EXCERPT_KIND

    return {
        (kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj["metadata"].get(
            "resourceVersion", ""
        )
        for kind in store.kinds()
        if kind != EXCERPT_KIND
        for obj in store.objects(kind)
    }


def truth_store(emulator_store, *, max_events: int | None = None):
    """A sovwatch Store holding exactly the emulator's watched objects that sovwatch selects
    (`WatchedResource.wanted`), slimmed as the engine does (Events: the newest `max_events`, by
    default the Store's window, as sovwatch keeps them)."""
    from sovwatch.kube.resources import WATCHED
    from sovwatch.sources.events import EventType, WatchEvent
    from sovwatch.sources.slimming import slim
    from sovwatch.store.store import Store

    store = Store() if max_events is None else Store(max_events=max_events)
    for resource in WATCHED:
        objects, _ = emulator_store.list(resource.key)
        for obj in objects:
            if resource.wanted is not None and not resource.wanted(obj):
                continue
            store.apply(WatchEvent(resource.key, EventType.ADDED, slim(obj), time.time()))
    return store


class RecordingTail:
    """A sovwatch store that follows a growing plain (not gzip) recording: each `catch_up()`
    applies the complete lines written since the last one, so polling a long run stays cheap."""

    def __init__(self, path: Path) -> None:
        from sovwatch.store.store import Store

        self.path = path
        self.store = Store()
        self._offset = 0
        self._header_seen = False

    def catch_up(self):
        from sovwatch.sources.recording import decode_item

        with self.path.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            if not self._header_seen:
                self._header_seen = True
                continue
            self.store.apply(decode_item(json.loads(line)))
        return self.store


def comparable(snapshot: dict) -> dict:
    """The parts of a snapshot that say what the cluster is, not when it was looked at."""
    progress = {k: v for k, v in snapshot["progress"].items() if "eta" not in k.lower()}
    return {
        "outcome": snapshot["outcome"],
        "progress": progress,
        "graph": snapshot["graph"],
        "releases": [
            (r["namespace"], r["name"], r["state"], r["reason"], r["message"])
            for r in snapshot["releases"]
        ],
        "objects": [
            (o["kind"], o["namespace"], o["name"], o["state"], o["reason"], o["message"])
            for o in snapshot["objects"]
        ],
    }


def snapshot_of_store(store, now: float) -> dict:
    from sovwatch.model.snapshot import build_snapshot

    return build_snapshot(store, now=now).to_dict()


def epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def differences(a: dict, b: dict) -> list[str]:
    return [k for k in a if a[k] != b.get(k)]


async def converge(streams: dict[str, str], store, record: Path, *, within: float) -> str:
    """Wait until every stream is live and the recorded store equals the emulator's; "" if so.

    The heavy parts (the truth, replaying the recording's tail) run in a thread: this event loop
    serves the emulator, and blocking it for seconds would make every watch look dead."""
    truth = await asyncio.to_thread(lambda: fingerprint_of_store(truth_store(store)))
    tail = RecordingTail(record)
    deadline = time.monotonic() + within
    why = ""
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        not_live = {r: s for r, s in streams.items() if s != "live"}
        seen = await asyncio.to_thread(lambda: fingerprint_of_store(tail.catch_up()))
        if not not_live and seen == truth:
            return ""
        missing = len(truth.keys() - seen.keys())
        extra = len(seen.keys() - truth.keys())
        stale = sum(1 for k in truth.keys() & seen.keys() if truth[k] != seen[k])
        why = f"streams not live: {not_live}; store vs truth: {missing} missing, {extra} extra, {stale} stale"
    return f"did not converge within {within:g} s: {why}"


def check_snapshots(final: dict | None, store, record: Path) -> list[str]:
    """The final live snapshot == one computed from the emulator == the replay's last one."""
    failures = []
    if final is None:
        return ["no final snapshot"]
    now = epoch(final["observedAt"])
    truth = comparable(snapshot_of_store(truth_store(store), now))
    live = comparable(final)
    if live != truth:
        failures.append(
            f"final snapshot differs from the emulator's truth in {differences(live, truth)}"
        )
    replay = subprocess.run(
        [sys.executable, "-m", "sovwatch", "replay", str(record), "--speed", "instant", "-o", "json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    snapshots = [
        json.loads(line)["snapshot"]
        for line in replay.stdout.splitlines()
        if line.startswith('{"type":"snapshot"')
    ]
    if replay.returncode != 0 or not snapshots:
        failures.append(f"replay failed ({replay.returncode}): {replay.stderr[-300:]}")
    elif comparable(snapshots[-1]) != live:
        failures.append(
            f"the replay's snapshot differs in {differences(comparable(snapshots[-1]), live)}"
        )
    return failures
