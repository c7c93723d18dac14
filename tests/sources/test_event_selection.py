"""Only the Events the model reads are listed, watched and stored: the server is asked to leave out
the noisy Normal reasons (a field selector on every list and watch), and any other Normal Event it
still sends is dropped on arrival, an update that stops selecting one deleting it, as a selector's
watch does."""

from __future__ import annotations

from sovwatch.kube.resources import EVENT_FIELD_SELECTOR
from tests.sources.engine_harness import requests_for
from tests.sources.engine_objects import pod, warning_event


def kubelet_event(name: str, reason: str, message: str, *, type_: str = "Normal") -> dict:
    """An Event as the kubelet records it about container `loki` of pod loki-0."""
    event = warning_event(name, "loki-0")
    event["involvedObject"]["fieldPath"] = "spec.containers{loki}"
    event.update(
        reason=reason, message=message, type=type_, source={"component": "kubelet", "host": "n1"}
    )
    return event


PULLED = kubelet_event(
    "loki-0.pulled",
    "Pulled",
    'Successfully pulled image "grafana/loki:3.1.0" in 1.2s (1.2s including waiting)',
)
KILLING = kubelet_event(
    "loki-0.killing",
    "Killing",
    "Container loki failed liveness probe, will be restarted",
)
SANDBOX = kubelet_event(
    "loki-0.sandbox", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created."
)


def _names(h) -> set[str]:
    return {e["metadata"]["name"] for e in h.store.objects("Event")}


async def test_only_the_events_the_model_reads_are_listed_and_watched(
    emulator, harness, server_lists
):
    emulator.store.put(pod("loki-0", "loki"))
    for event in (warning_event("loki-0.attach", "loki-0"), PULLED, KILLING, SANDBOX):
        emulator.store.put(event)
    h = await harness(emulator).start(["events"])
    await h.until_all_live(["events"])
    assert _names(h) == {"loki-0.attach", "loki-0.killing"}
    asked = requests_for(emulator, "events")
    # a streamed list is a watch too; an older server is listed in pages, then watched
    assert {r.watch for r in asked} == ({True} if server_lists == "watch-list" else {False, True})
    assert all(r.query.get("fieldSelector") == EVENT_FIELD_SELECTOR for r in asked)

    emulator.store.put(kubelet_event("loki-0.started", "Started", "Started container loki"))
    emulator.store.put(SANDBOX | {"count": 2})  # sent (not left out by the server), dropped
    await h.put_and_see(
        kubelet_event(
            "loki-0.unhealthy",
            "Unhealthy",
            "Liveness probe failed: HTTP probe failed with statuscode: 503",
            type_="Warning",
        )
    )
    assert _names(h) == {"loki-0.attach", "loki-0.killing", "loki-0.unhealthy"}

    emulator.store.put(KILLING | {"reason": "SandboxChanged"})  # no longer read: deleted
    await h.until(lambda: "loki-0.killing" not in _names(h), "the unselected Event gone")
    h.assert_matches_truth(["events"])
