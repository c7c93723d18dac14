"""The relist diff: what a reflector emits when a fresh list replaces what it had."""

from __future__ import annotations

import pytest

from sovwatch.sources.events import EventType
from sovwatch.sources.listing import diff, object_key


def _pod(name: str, rv: str, uid: str | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "loki",
            "resourceVersion": rv,
            "uid": uid or f"uid-{name}",
        },
    }


CASES = {
    "first-list-adds-everything": (
        [],
        [_pod("a", "1"), _pod("b", "2")],
        [("ADDED", "a", "1"), ("ADDED", "b", "2")],
    ),
    "unchanged-emits-nothing": ([_pod("a", "1")], [_pod("a", "1")], []),
    "changed-rv-is-modified": ([_pod("a", "1")], [_pod("a", "5")], [("MODIFIED", "a", "5")]),
    "missing-is-deleted-with-last-known-object": (
        [_pod("a", "1"), _pod("b", "2")],
        [_pod("a", "1")],
        [("DELETED", "b", "2")],
    ),
    "recreated-same-name-is-deleted-then-added": (
        [_pod("a", "1")],
        [_pod("a", "7", uid="uid-a-2")],
        [("DELETED", "a", "1"), ("ADDED", "a", "7")],
    ),
    "everything-gone": ([_pod("a", "1")], [], [("DELETED", "a", "1")]),
}


@pytest.mark.parametrize(("known", "listed", "expected"), CASES.values(), ids=CASES.keys())
def test_diff(known, listed, expected):
    changes = diff({object_key(o): o for o in known}, listed)
    assert [
        (t.value, o["metadata"]["name"], o["metadata"]["resourceVersion"]) for t, o in changes
    ] == expected
    assert all(isinstance(t, EventType) for t, _ in changes)


def test_diff_can_be_applied_to_what_it_was_computed_from():
    known = {object_key(o): o for o in (_pod("a", "1"), _pod("b", "2"))}
    for type_, obj in diff(known, [_pod("c", "3")]):
        if type_ is EventType.DELETED:
            del known[object_key(obj)]
        else:
            known[object_key(obj)] = obj
    assert sorted(known) == [("loki", "c")]
