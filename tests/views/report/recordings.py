"""A small recorded rollout with a known story, written through the real `Recorder`.

bp-a installs, fails once, retries and becomes ready at +200 s; bp-b (after bp-a) installs from +220 s
and stalls at +400 s (RetriesExceeded); bp-c waits behind bp-b. The pods stream relists once after
410 Gone and the events stream turns forbidden. `message` is put into bp-b's install error and its
Event, so a test can pass hostile text through the whole path (slimming, gate, model, templates).
"""

from __future__ import annotations

from pathlib import Path

from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.sources.recording import Recorder
from sovwatch.sources.slimming import slim
from tests.model.builders.common import T0_EPOCH, cond, ts
from tests.model.builders.core import event
from tests.model.builders.flux import (
    helmrelease,
    hr_install_failed,
    hr_installing,
    hr_waiting,
)

HR = "helmreleases.helm.toolkit.fluxcd.io"
GONE = "resourceVersion expired (410 Gone): relisting"
FORBIDDEN = (
    'events is forbidden: User "system:serviceaccount:ci:sovwatch" cannot watch resource '
    '"events" in API group "" at the cluster scope'
)


def _installing(name: str, at: float, **kw) -> dict:
    msg = "Running 'install' action with timeout of 5m0s"
    return helmrelease(
        name,
        conditions=[
            cond("Reconciling", "True", "Progressing", msg, gen=1, at=at),
            cond("Ready", "Unknown", "Progressing", msg, gen=1, at=at),
        ],
        **kw,
    )


def _ready(name: str, at: float, started: float) -> dict:
    msg = f"Helm install succeeded for release a/a.v1 with chart {name}@1.0.0"
    return helmrelease(
        name,
        conditions=[
            cond("Ready", "True", "InstallSucceeded", msg, gen=1, at=at),
            cond("Released", "True", "InstallSucceeded", msg, gen=1, at=at),
        ],
        status={
            "history": [
                {
                    "chartName": name,
                    "chartVersion": "1.0.0",
                    "status": "deployed",
                    "firstDeployed": ts(started),
                    "lastDeployed": ts(started),
                }
            ]
        },
    )


def write_rollout(path: Path, *, message: str = "context deadline exceeded", context: str = "sov"):
    """Write the recording (see the module docstring) to `path`."""
    with Recorder(
        path, context=context, server="https://sov.example:6443", started=T0_EPOCH
    ) as rec:
        for item in rollout_items(message):
            rec.write(item)


def rollout_items(message: str) -> list:
    """The recording's items (see the module docstring), `message` in bp-b's install error."""
    t = T0_EPOCH
    hr_b_failed = hr_install_failed(
        "bp-b", message, failures=4, retries=3, stalled=True, depends_on=["bp-a"]
    )
    items = [
        StreamHealth(HR, HealthState.LIVE, t, detail="helm.toolkit.fluxcd.io/v2"),
        StreamHealth("events", HealthState.LIVE, t, detail="v1"),
        StreamHealth("pods", HealthState.LIVE, t, detail="v1"),
        WatchEvent(HR, EventType.ADDED, hr_installing("bp-a"), t + 1),
        WatchEvent(HR, EventType.ADDED, hr_waiting("bp-b", "bp-a"), t + 1),
        WatchEvent(HR, EventType.ADDED, hr_waiting("bp-c", "bp-b"), t + 1),
        WatchEvent(
            HR, EventType.MODIFIED, hr_install_failed("bp-a", "timed out", failures=1), t + 60
        ),
        WatchEvent(HR, EventType.MODIFIED, _installing("bp-a", 120), t + 120),
        WatchEvent(HR, EventType.MODIFIED, _ready("bp-a", 200, 120), t + 200),
        StreamHealth("pods", HealthState.RECONNECTING, t + 210, attempt=1, detail=GONE),
        StreamHealth("pods", HealthState.LIVE, t + 212, detail="v1"),
        StreamHealth("events", HealthState.FORBIDDEN, t + 215, detail=FORBIDDEN),
        WatchEvent(HR, EventType.MODIFIED, _installing("bp-b", 220, depends_on=["bp-a"]), t + 220),
        WatchEvent(
            "events",
            EventType.ADDED,
            slim(
                event(
                    ("HelmRelease", "flux-system", "bp-b"),
                    "InstallFailed",
                    message,
                    count=4,
                    first=230,
                    last=390,
                    component="helm-controller",
                    name="bp-b.18a2b3c4d5e6f701",
                )
            ),
            t + 390,
        ),
        WatchEvent(HR, EventType.MODIFIED, hr_b_failed, t + 400),
    ]
    return items
