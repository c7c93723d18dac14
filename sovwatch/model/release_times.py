"""The instants of a release's rollout as the API records them, not as sovwatch happened to see them.

A timeline built from observation time is wrong whenever sovwatch was not watching from the start
(started mid-bootstrap, `--once`, a replay at instant speed): everything that happened before looks
like it happened at the first observation. These are read from the objects instead, so a cold start,
a live watch and a replay agree. Which field gives which instant:

- first seen: the HelmRelease's `metadata.creationTimestamp` (when the Kustomization applied it).
- started (the current Helm action episode began), first match wins:
  1. `status.history` (helm-controller v2): Helm stamps `lastDeployed` (and, for an install,
     `firstDeployed`, which it copies unchanged into every later version) when an install or
     upgrade action *begins* (Helm's createRelease/prepareUpgrade), not when it ends. The episode is
     the newest entry plus the failed/uninstalled attempts right before it (remediation retries),
     stopping at an earlier `deployed`/`superseded` version: started = the earliest of their
     `lastDeployed` (`firstDeployed` when absent). A day-2 upgrade therefore starts a new episode.
  2. the Ready condition's `lastTransitionTime` while Ready=Unknown: helm-controller flips Ready to
     Unknown ("Running 'install' action with timeout of 5m0s") when it begins acting, so this is the
     start of an action still running that history does not record yet (or of a new episode, when
     history's newest version is a finished `deployed` one older than it).
  3. the earliest `status.startTime` of the release's pods (v2beta1 keeps no history): an upper
     bound, the pods start after the manifests are applied.
- installed: the Ready condition's `lastTransitionTime` while Ready=True (helm-controller: the
  action succeeded; with `disableWait` only "manifests applied").
- workloads ready: when every pod is ready, the latest of the pods' ready instants (the Ready
  condition's `lastTransitionTime` while True, or `finishedAt` of a Succeeded pod).
- ready (the release's combined state is ready): the later of installed and workloads ready.

Every instant carries its `basis` (the field it came from); the timeline falls back to observation
time, with basis "observed", only when none of these is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sovwatch.model import conditions
from sovwatch.model.pod import PodHealth
from sovwatch.model.states import State
from sovwatch.model.times import parse_time

CREATED = "metadata.creationTimestamp"
HISTORY = "status.history.lastDeployed"
READY_UNKNOWN = "Ready(Unknown).lastTransitionTime"
POD_START = "pods.status.startTime"
READY_TRUE = "Ready(True).lastTransitionTime"
PODS_READY = "pods.Ready.lastTransitionTime"
OBSERVED = "observed"
_EPISODE_END = ("deployed", "superseded")
"""History statuses of a version that finished successfully: an earlier episode."""


@dataclass(frozen=True, slots=True)
class Instant:
    at: float
    basis: str
    """The field it was read from (the constants above), or "observed"."""


@dataclass(frozen=True, slots=True)
class RecordedTimes:
    created: Instant | None = None
    started: Instant | None = None
    installed: Instant | None = None
    workloads_ready: Instant | None = None
    ready: Instant | None = None
    """When the release (combined state) became ready, if it is: installed, and, when it has
    pods, the later of that and workloads ready."""


def recorded_times(hr: dict, pods: Iterable[PodHealth]) -> RecordedTimes:
    """The recorded instants of one release (see the module docstring)."""
    pods = [p for p in pods if p.status != "Terminating"]
    created = parse_time((hr.get("metadata") or {}).get("creationTimestamp"))
    ready = conditions.find(hr, conditions.READY) or {}
    ready_since = parse_time(ready.get("lastTransitionTime"))
    installed = (
        Instant(ready_since, READY_TRUE)
        if ready.get("status") == "True" and ready_since is not None
        else None
    )
    workloads = _workloads_ready(pods)
    if pods:
        both = (installed, workloads)
        became_ready = max(both, key=lambda i: i.at) if installed and workloads else None
    else:
        became_ready = installed
    return RecordedTimes(
        created=Instant(created, CREATED) if created is not None else None,
        started=_started(hr, ready, ready_since, pods),
        installed=installed,
        workloads_ready=workloads,
        ready=became_ready,
    )


def _started(
    hr: dict, ready: dict, ready_since: float | None, pods: list[PodHealth]
) -> Instant | None:
    history = (hr.get("status") or {}).get("history") or []
    episode: list[float] = []
    for i, entry in enumerate(history):  # newest first
        if i and entry.get("status") in _EPISODE_END:
            break
        at = parse_time(entry.get("lastDeployed")) or parse_time(entry.get("firstDeployed"))
        if at is not None:
            episode.append(at)
    running = ready.get("status") == "Unknown" and ready_since is not None
    if episode:
        newest_finished = history[0].get("status") in _EPISODE_END
        if running and newest_finished and ready_since > max(episode):
            return Instant(ready_since, READY_UNKNOWN)  # a new action after a finished version
        return Instant(min(episode), HISTORY)
    if running:
        return Instant(ready_since, READY_UNKNOWN)
    starts = [p.started_at for p in pods if p.started_at is not None]
    return Instant(min(starts), POD_START) if starts else None


def _workloads_ready(pods: list[PodHealth]) -> Instant | None:
    if not pods or any(p.verdict.state is not State.READY for p in pods):
        return None
    if any(p.ready_at is None for p in pods):
        return None
    return Instant(max(p.ready_at for p in pods if p.ready_at is not None), PODS_READY)
