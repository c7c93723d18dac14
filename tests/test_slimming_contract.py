"""Slimming keeps everything the model reads: the contract behind `sources/slimming.py`'s allow-lists.

Three checks over realistic full objects (the `stuck`, `bootstrap-kit` and `day2` scenarios played
instantly, at several moments of their story):
- the model's snapshot from full objects and from slim ones is identical;
- the snapshot is the same again from only the Events sovwatch asks for and keeps (the server's
  field selector, then `wanted_event`), so leaving the others out changes nothing the model shows;
- every field the model touches while building that snapshot from full objects (recorded by
  wrapping the objects) is present in their slim copies, so a model change that starts reading a
  dropped field fails here even when the scenarios do not make the field change the outcome.
"""

from __future__ import annotations

import functools

import pytest

from sovsim.objects import CATALOGUE, ObjectStore, resource_type
from sovsim.scenario import ScenarioRunner, load_scenario
from sovsim.selectors import Filter, parse_field_selector
from sovwatch.kube.resources import EVENT_FIELD_SELECTOR, READ_EVENT_REASONS, wanted_event
from sovwatch.model import pod, volumes, workloads
from sovwatch.model.snapshot import build_snapshot
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store

START = 1_777_543_200.0
MOMENTS = {
    "stuck": (300, 600, 2700, 3600),  # Multi-Attach, crash loop, stalled after retries
    "bootstrap-kit": (600, 900, 2700),  # early waves, first failures, converged
    "day2": (300, 1200),  # upgrades failing and rolling back
}
CASES = [(name, at) for name, moments in MOMENTS.items() for at in moments]
UNWATCHED_KINDS = {"Namespace", "CustomResourceDefinition"}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@functools.cache
def _objects(scenario: str, at: float) -> tuple[tuple[str, dict], ...]:
    """(resource key, full object) of everything sovwatch watches, at `at` simulated seconds."""
    store = ObjectStore(history_limit=10)
    runner = ScenarioRunner(store, load_scenario(scenario), seed=0, start=START)
    runner.run_until(at)
    return tuple(
        (rt.key, obj)
        for rt in CATALOGUE
        if not rt.view_of and rt.kind not in UNWATCHED_KINDS
        for obj in store.list(rt.key)[0]
    )


def _snapshot(objects, transform, at: float) -> dict:
    store = Store()
    for resource, obj in objects:
        store.apply(WatchEvent(resource, EventType.ADDED, transform(obj), START + at))
    return build_snapshot(store, now=START + at, started_at=START).to_dict()


@pytest.mark.parametrize(("scenario", "at"), CASES, ids=[f"{n}-{t}s" for n, t in CASES])
def test_model_sees_the_same_cluster_in_slim_objects(scenario: str, at: float):
    objects = _objects(scenario, at)
    full = _snapshot(objects, lambda obj: obj, at)
    assert full["releases"], "the scenario has releases at this moment"
    assert _snapshot(objects, slim, at) == full


SERVED = Filter(fields=parse_field_selector(EVENT_FIELD_SELECTOR, resource_type("events")))
"""What the emulator (as an apiserver) serves for sovwatch's Events field selector."""


@pytest.mark.parametrize(("scenario", "at"), CASES, ids=[f"{n}-{t}s" for n, t in CASES])
def test_model_sees_the_same_cluster_in_the_events_it_asks_for(scenario: str, at: float):
    objects = _objects(scenario, at)
    selected = tuple(
        (resource, obj)
        for resource, obj in objects
        if obj["kind"] != "Event" or (SERVED.matches(obj) and wanted_event(obj))
    )
    events = sum(obj["kind"] == "Event" for _, obj in objects)
    kept = sum(obj["kind"] == "Event" for _, obj in selected)
    assert 0 < kept < events, "the scenario has Events to keep and Events to leave out"
    assert _snapshot(selected, slim, at) == _snapshot(objects, slim, at)


def test_every_normal_reason_the_model_names_is_read():
    named = {*volumes.PENDING_REASONS, "ClaimLost", *pod.VOLUME_EVENT_REASONS, "Killing"}
    assert named <= READ_EVENT_REASONS
    assert all(SERVED.matches({"reason": reason}) for reason in READ_EVENT_REASONS)


class _Tracked(dict):
    """A dict that records the path of every key the model looks up (through nested values)."""

    def __init__(self, value: dict, path: str, seen: set[str]) -> None:
        super().__init__(value)
        self._path, self._seen = path, seen

    def _touch(self, key):
        path = f"{self._path}.{key}"
        if dict.get(self, key) not in (None, "", {}, []):  # absent and empty read the same
            self._seen.add(path)
        return path

    def get(self, key, default=None):
        path = self._touch(key)
        return _track(dict.get(self, key, default), path, self._seen)

    def __getitem__(self, key):
        path = self._touch(key)
        return _track(dict.__getitem__(self, key), path, self._seen)

    def __contains__(self, key) -> bool:
        self._touch(key)
        return dict.__contains__(self, key)


def _track(value, path: str, seen: set[str]):
    if isinstance(value, dict) and not isinstance(value, _Tracked):
        return _Tracked(value, path, seen)
    if isinstance(value, list):
        return [_track(item, f"{path}[]", seen) for item in value]
    return value


def _paths(value, path: str = "") -> set[str]:
    """Every key path present in a JSON value, list indices collapsed to `[]`."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in {f"{path}.{k}"} | _paths(v, f"{path}.{k}")}
    if isinstance(value, list):
        return {p for item in value for p in _paths(item, f"{path}[]")}
    return set()


@pytest.mark.parametrize(("scenario", "at"), CASES, ids=[f"{n}-{t}s" for n, t in CASES])
def test_every_field_the_model_reads_is_kept(scenario: str, at: float):
    reads: list[tuple[dict, set[str]]] = []

    def tracked(obj: dict) -> dict:
        reads.append((obj, set()))
        return _track(obj, "", reads[-1][1])

    _snapshot(_objects(scenario, at), tracked, at)
    dropped = set()
    for obj, seen in reads:
        for path in seen - _paths(slim(obj)):
            if not _left_out_on_purpose(obj["kind"], path):
                dropped.add(f"{obj['kind']}{path}")
    assert not dropped, f"the model reads fields slimming drops: {sorted(dropped)}"
    assert {"Pod", "HelmRelease", "Event"} <= {obj["kind"] for obj, seen in reads if seen}


def _left_out_on_purpose(kind: str, path: str) -> bool:
    """Reads that slimming answers by leaving the field out: label and annotation maps without
    a key the model looks up (each key it reads is checked on its own), and pod conditions
    other than PodScheduled and Ready (the model reads each condition's type to find those)."""
    if path in (".metadata.labels", ".metadata.annotations"):
        return True
    return kind == "Pod" and path == ".status.conditions[].type"


def test_labels_and_annotations_keep_exactly_the_keys_the_model_reads():
    labels = {workloads.HR_NAME: "bp-loki", workloads.HR_NAMESPACE: "flux-system"}
    labels |= {workloads.INSTANCE: "loki", "pod-template-hash": "6d9f7c8b5"}
    annotations = {workloads.RELEASE_NAME: "loki", workloads.RELEASE_NAMESPACE: "loki"}
    annotations |= {volumes.SELECTED_NODE: "worker-1", LAST_APPLIED: '{"kind": "Pod"}'}
    meta = {"name": "loki-0", "namespace": "loki", "labels": labels, "annotations": annotations}
    out = slim({"apiVersion": "v1", "kind": "Pod", "metadata": meta})["metadata"]
    assert out["labels"] == {k: v for k, v in labels.items() if k != "pod-template-hash"}
    assert out["annotations"] == {k: v for k, v in annotations.items() if k != LAST_APPLIED}
