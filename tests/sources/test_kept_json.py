"""`kept_json` decodes only what slimming keeps, and slimming what it decodes gives exactly what
slimming the whole JSON gives: over every watched object of the slimming contract's scenarios (as
a watch line and as a list page), and for JSON its schema does not fit (then decoded whole)."""

from __future__ import annotations

import json

import pytest

from sovwatch import json_input
from sovwatch.sources import kept_json
from sovwatch.sources.slimming import slim, slim_clean
from tests.test_slimming_contract import CASES, _objects


def _size(value) -> int:
    """How many values a decoded document holds (containers and scalars)."""
    if isinstance(value, dict):
        return 1 + sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(v) for v in value)
    return 1


@pytest.mark.parametrize(("scenario", "at"), CASES[:3])
def test_a_watch_line_and_a_list_page_slim_as_the_whole_json_does(scenario, at):
    objects = [obj for _, obj in _objects(scenario, at)]
    kinds = {obj["kind"] for obj in objects}
    assert {"Pod", "HelmRelease", "Event", "ReplicaSet"} <= kinds
    decoded_size = whole_size = 0
    for obj in objects:
        line = json.dumps({"type": "MODIFIED", "object": obj}).encode()
        event = kept_json.watch_event(obj["kind"])(line)
        assert event["type"] == "MODIFIED"
        assert slim(event["object"]) == slim(obj), obj["metadata"]["name"]
        decoded_size += _size(event["object"])
        whole_size += _size(obj)
        # nothing in these objects for the untrusted gate: slimmed in place, to the same
        assert type(event) is kept_json.CleanEvent
        assert slim_clean(event["object"]) == slim(obj), obj["metadata"]["name"]
    # the fields no allow-list names were skipped, not decoded (pods carry env, volumes, ...)
    assert decoded_size < 0.8 * whole_size
    for kind in kinds:
        items = [obj for obj in objects if obj["kind"] == kind]
        page = {"kind": f"{kind}List", "metadata": {"resourceVersion": "7"}, "items": items}
        decoded = kept_json.list_page(kind)(json.dumps(page).encode())
        assert decoded["metadata"] == {"resourceVersion": "7"}
        assert [slim(o) for o in decoded["items"]] == [slim(o) for o in items]


POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "n"}}


@pytest.mark.parametrize(
    "line",
    [
        # the schema does not fit: a mapping where a list is kept, a number where a mapping is
        {"type": "ADDED", "object": {**POD, "spec": {"containers": {"name": "app"}}}},
        {"type": "ADDED", "object": {**POD, "status": 3}},
        {"type": "ADDED", "object": {**POD, "metadata": {**POD["metadata"], "uid": "\ud800"}}},
        # a BOOKMARK: its annotation ends a streamed list's initial events (no allow-list keeps it)
        {
            "type": "BOOKMARK",
            "object": {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {
                    "resourceVersion": "12345",
                    "annotations": {"k8s.io/initial-events-end": "true"},
                },
            },
        },
        # an ERROR event: its Status is no pod
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": "too old resource version: 1 (2)",
                "reason": "Expired",
                "code": 410,
            },
        },
    ],
)
def test_json_the_schema_does_not_fit_is_decoded_whole(line):
    data = json.dumps(line).encode()
    assert kept_json.watch_event("Pod")(data) == json.loads(data)


def test_bad_json_fails_as_json_input_fails():
    decode = kept_json.watch_event("Pod")
    with pytest.raises(json.JSONDecodeError):
        decode(b'{"type":"ADDED","object":{"kind":"Pod",')
    deep = b'{"type":"ADDED","object":{"metadata":{"labels":' + b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(json_input.TooDeepError):
        decode(deep + b"}}}")
    assert decode(b'{"type":"ADDED","object":{"kind":"Pod","status":{"x":NaN}}}')["object"] == {
        "kind": "Pod",
        "status": {"x": pytest.approx(float("nan"), nan_ok=True)},
    }


def test_a_clean_line_of_another_kind_is_slimmed_the_usual_way():
    """A pods watch line whose object says it is a Secret: not a `CleanEvent` (the in-place walk
    is the Pod's), and slimmed as any unknown kind is, to its metadata."""
    secret = {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "ghcr-pull", "namespace": "flux-system"},
        "data": {".dockerconfigjson": "eyJhdXRocyI6e319"},
    }
    event = kept_json.watch_event("Pod")(json.dumps({"type": "ADDED", "object": secret}).encode())
    assert type(event) is not kept_json.CleanEvent
    assert (
        slim(event["object"])
        == slim(secret)
        == {
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {"name": "ghcr-pull", "namespace": "flux-system"},
        }
    )


def test_a_clean_line_that_names_no_kind_is_the_watched_kind():
    pod = {"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "node-1"}}
    event = kept_json.watch_event("Pod")(json.dumps({"type": "ADDED", "object": pod}).encode())
    assert type(event) is kept_json.CleanEvent
    event["object"].setdefault("kind", "Pod")  # as the reflector completes it
    assert slim_clean(event["object"]) == slim({**pod, "kind": "Pod"})
