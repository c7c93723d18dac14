"""The soak's yardsticks: the emulator's truth and sovwatch's view of it, made comparable.

sovwatch's store is rebuilt from its own recording (it holds exactly what the run applied); the
truth is a sovwatch store filled with the emulator's objects, slimmed as the engine slims them.
Snapshots are compared on what they say about the cluster, not on when they were taken.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path


def fingerprint_of_store(store) -> dict[tuple, str]:
    return {
        (kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj["metadata"].get(
            "resourceVersion", ""
        )
        for kind in store.kinds()
        for obj in store.objects(kind)
    }


def truth_store(emulator_store):
    """A sovwatch Store holding exactly the emulator's watched objects, slimmed as the engine does."""
    from sovwatch.kube.resources import WATCHED
    from sovwatch.sources.events import EventType, WatchEvent
    from sovwatch.sources.slimming import slim
    from sovwatch.store.store import Store

    store = Store()
    for resource in WATCHED:
        objects, _ = emulator_store.list(resource.key)
        for obj in objects:
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
        import json

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
