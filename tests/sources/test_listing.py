"""The relist diff: what a reflector emits when a fresh list replaces what it had."""

from __future__ import annotations

import pytest

from sovwatch.sources.events import EventType
from sovwatch.sources.listing import changes, deletions, identity, object_key


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
    "missing-is-deleted-with-its-last-identity": (
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


def _relist(known: dict, listed: list[dict]) -> list:
    """What a reflector emits for a complete list: each object's changes, then the deletions."""
    out = [change for obj in listed for change in changes(known, obj)]
    seen = {object_key(o) for o in listed}
    return out + deletions(known, seen, kind="Pod", api_version="v1")


@pytest.mark.parametrize(("known", "listed", "expected"), CASES.values(), ids=CASES.keys())
def test_relist(known, listed, expected):
    emitted = _relist({object_key(o): identity(o) for o in known}, listed)
    assert [
        (t.value, o["metadata"]["name"], o["metadata"]["resourceVersion"]) for t, o in emitted
    ] == expected
    assert all(isinstance(t, EventType) for t, _ in emitted)


def test_a_deletion_found_by_relisting_carries_the_last_identity():
    known = {object_key(o): identity(o) for o in (_pod("a", "1"), _pod("b", "2", uid="u-b"))}
    [(type_, gone)] = deletions(known, {("loki", "a")}, kind="Pod", api_version="v1")
    assert type_ is EventType.DELETED
    assert gone == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "b", "namespace": "loki", "uid": "u-b", "resourceVersion": "2"},
    }


def test_relist_can_be_applied_to_what_it_was_computed_from():
    known = {object_key(o): identity(o) for o in (_pod("a", "1"), _pod("b", "2"))}
    for type_, obj in _relist(known, [_pod("c", "3")]):
        if type_ is EventType.DELETED:
            del known[object_key(obj)]
        else:
            known[object_key(obj)] = identity(obj)
    assert known == {("loki", "c"): ("uid-c", "3")}
