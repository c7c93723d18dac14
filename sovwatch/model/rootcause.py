"""Root cause: for a release that is not ready, the first thing down the chain that is not just waiting.

Walk (bounded by the number of releases; cycles and missing releases end the walk and are the cause):
1. A release waiting on dependencies (helm-controller `DependencyNotReady`) → follow one of its
   dependencies that Flux does not consider ready (HelmRelease not Ready=True at its generation),
   preferring a missing one, then one that is not itself waiting, in `dependsOn` order. When every
   dependency is ready by now, the cause is `RetryDue`: helm-controller re-checks dependencies on
   its own interval (`--requeue-dependency`, 5 s by default), and the chain ends with the
   dependency its message still names.
2. A release waiting on its source → the HelmChart / OCIRepository, and from a HelmChart that waits
   (`NoSourceArtifact`) on to its HelmRepository: the cause is the repository with its own reason
   (`AuthenticationFailed`) while that is the one failing.
3. Any other release is the culprit: descend into its worst pod (failed/stalled first, then one
   waiting on its volumes, then one not ready) and from the pod to the volume that holds it
   (Multi-Attach, attach/mount errors; a claim still Pending adds its own link, "pvc ns/name Pending",
   then its reason: ProvisioningFailed, a missing StorageClass, a slow provisioner). When the pod's
   own words are generic, its decisive Warning Event is the last link (`PodHealth.decisive_event`:
   "Unable to retrieve some image pull secrets (ghcr-pull); ..."). When nothing below explains it,
   the HelmRelease's own verdict is the cause.
The chain reads like "bp-grafana ← bp-loki ← pod loki/loki-0 ContainerCreating ← Multi-Attach error
for volume "pvc-…" Volume is already used by pod(s) loki-0-old".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sovwatch.model.conditions import DEPENDENCY_MESSAGE, DEPENDENCY_NOT_READY
from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.pod import PodHealth
from sovwatch.model.release import ReleaseCore
from sovwatch.model.states import BAD_STATES, State, Verdict, severity
from sovwatch.model.volumes import VolumeHealth

Key = tuple[str, str, str]

RETRY_DUE = "RetryDue"
"""sovwatch's reason (not Flux's) for a release that still says `DependencyNotReady` although every
dependency is Ready as Flux sees it: nothing is wrong, helm-controller has not re-checked yet."""


@dataclass(frozen=True, slots=True)
class Cause:
    kind: str
    namespace: str
    name: str
    state: State
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class RootCause:
    cause: Cause
    chain: tuple[str, ...]
    """Steps from the release down to the cause, for "a ← b ← pod ... ← message"."""
    releases: tuple[Key, ...]
    """The releases walked through, starting with the release itself."""
    log_excerpt: LogExcerpt | None = None
    """The tail of the culprit container's log, when the cause is such a pod and it was fetched
    (joined by the rollout, `log_excerpts.with_excerpt`)."""

    @property
    def text(self) -> str:
        return " ← ".join(self.chain)

    @property
    def hopeless(self) -> bool:
        """True when nothing will change on its own: a stalled/suspended cause, a cycle, a missing dependency."""
        return self.cause.state in (State.STALLED, State.SUSPENDED) or self.cause.reason in (
            "DependencyCycle",
            "NotFound",
        )

    def to_dict(self) -> dict:
        c = self.cause
        return {
            "kind": c.kind,
            "namespace": c.namespace,
            "name": c.name,
            "state": str(c.state),
            "reason": c.reason,
            "message": c.message,
            "chain": self.text,
            "logExcerpt": self.log_excerpt.to_dict() if self.log_excerpt is not None else None,
        }


def blocked_by(core: ReleaseCore, release: Callable[[Key], ReleaseCore | None]) -> tuple[Key, ...]:
    """Direct dependencies Flux does not consider ready (missing ones included)."""
    out = []
    for dep in core.depends_on:
        found = release(dep)
        if found is None or found.helm.state is not State.READY:
            out.append(dep)
    return tuple(out)


def find_root_cause(
    key: Key,
    *,
    release: Callable[[Key], ReleaseCore | None],
    source: Callable[[Key], tuple[Verdict, Key | None] | None],
) -> RootCause | None:
    """The root cause of a release that is not ready; None for a ready (or unknown) release.

    Args:
        key: the release.
        release: the assembled release for a key (None when there is no such HelmRelease).
        source: a source object's verdict and its own upstream (HelmChart → HelmRepository).
    """
    start = release(key)
    if start is None or start.verdict.state in (State.READY, State.UNKNOWN):
        return None
    chain = [_label(key, key)]
    walked = [key]
    core = start
    while True:
        if core.helm.state is State.WAITING and (
            core.helm.reason == DEPENDENCY_NOT_READY or core.helm.message.startswith("dependency '")
        ):
            blockers = blocked_by(core, release)
            if not blockers:
                return _retry_due(core, key, chain, walked)
            nxt = min(blockers, key=lambda d: _preference(release(d)))
            chain.append(_label(key, nxt))
            if nxt in walked:
                cycle = " ← ".join(k[2] for k in [*walked[walked.index(nxt) :], nxt])
                return _done(
                    Cause(*nxt, State.STALLED, "DependencyCycle", f"dependency cycle: {cycle}"),
                    chain,
                    walked,
                )
            found = release(nxt)
            if found is None:
                chain[-1] += " (missing)"
                return _done(
                    Cause(
                        *nxt,
                        State.STALLED,
                        "NotFound",
                        f"dependency '{nxt[1]}/{nxt[2]}' does not exist",
                    ),
                    chain,
                    walked,
                )
            walked.append(nxt)
            core = found
            continue
        if core.helm.state is State.WAITING and core.source is not None:
            return _source_cause(core, chain, walked, source)
        return _done(_culprit(core, chain), chain, walked)


def _retry_due(core: ReleaseCore, origin: Key, chain: list[str], walked: list[Key]) -> RootCause:
    named = DEPENDENCY_MESSAGE.fullmatch(core.helm.message)
    if named is None:
        message = "every dependency is ready; helm-controller has not re-checked yet"
    else:
        dep = ("HelmRelease", named.group(1) or core.key[1], named.group(2))
        chain.append(_label(origin, dep))
        message = f"{dep[2]} is ready; helm-controller has not re-checked it yet"
    return _done(Cause(*core.key, State.WAITING, RETRY_DUE, message), chain, walked)


def _preference(core: ReleaseCore | None) -> tuple[int, int]:
    if core is None:
        return (0, 0)
    return (1 if core.helm.state is not State.WAITING else 2, -severity(core.helm.state))


def _label(origin: Key, key: Key) -> str:
    return key[2] if key[1] == origin[1] else f"{key[1]}/{key[2]}"


def _done(cause: Cause, chain: list[str], walked: list[Key]) -> RootCause:
    return RootCause(cause, tuple(chain), tuple(walked))


def _source_cause(core: ReleaseCore, chain: list[str], walked: list[Key], source) -> RootCause:
    key = core.source
    for _ in range(3):
        found = source(key)
        chain.append(f"{key[0]} {key[1]}/{key[2]}")
        if found is None:
            return _done(
                Cause(
                    *key,
                    State.WAITING,
                    "NotFound",
                    f"{key[0]} {key[1]}/{key[2]} does not exist yet",
                ),
                chain,
                walked,
            )
        verdict, upstream = found
        if verdict.state is State.WAITING and upstream is not None:
            key = upstream
            continue
        if verdict.state is State.READY:
            chain.pop()
            return _done(
                Cause(*core.key, core.helm.state, core.helm.reason, core.helm.message),
                chain,
                walked,
            )
        chain.append(verdict.message or verdict.reason)
        return _done(Cause(*key, verdict.state, verdict.reason, verdict.message), chain, walked)
    return _done(
        Cause(*key, State.WAITING, "SourceNotReady", "source chain too deep"), chain, walked
    )


def _culprit(core: ReleaseCore, chain: list[str]) -> Cause:
    """The deepest explanation inside a release that is not just waiting."""
    pod = _worst_pod(core.pods)
    if pod is not None:
        ns, name = pod.key[1], pod.key[2]
        chain.append(f"pod {ns}/{name} {pod.status}")
        volume = _volume_for(pod, core.volumes)
        if volume is not None:
            v = volume.verdict
            if volume.phase == "Pending":
                chain.append(f"pvc {volume.key[1]}/{volume.key[2]} Pending")
                chain.append(f"{v.reason}: {v.message}" if v.message else v.reason)
            else:
                chain.append(v.message or v.reason)
            return Cause(*volume.key, v.state, v.reason, v.message)
        event = pod.decisive_event
        if event is not None:
            chain.append(event.message)
            return Cause(*pod.key, pod.verdict.state, pod.verdict.reason, event.message)
        chain.append(pod.verdict.message or pod.verdict.reason)
        return Cause(*pod.key, pod.verdict.state, pod.verdict.reason, pod.verdict.message)
    helm = core.helm if core.helm.state is not State.READY else core.verdict
    chain.append(f"{helm.reason}: {helm.message}" if helm.message else helm.reason)
    return Cause(*core.key, helm.state, helm.reason, helm.message)


def _worst_pod(pods: tuple[PodHealth, ...]) -> PodHealth | None:
    bad = [p for p in pods if p.verdict.state in BAD_STATES]
    if bad:
        return max(bad, key=lambda p: severity(p.verdict.state))
    waiting = next((p for p in pods if p.verdict.state is State.WAITING), None)
    if waiting is not None:
        return waiting
    return next(
        (p for p in pods if p.verdict.state is State.PROGRESSING and p.status != "Terminating"),
        None,
    )


def _volume_for(pod: PodHealth, volumes: tuple[VolumeHealth, ...]) -> VolumeHealth | None:
    """The pod's claim that is not ready, when the pod is held by volumes (creating, or pending
    until its claims are bound; not a pod unschedulable for CPU, memory or taints)."""
    if pod.status != "ContainerCreating" and (
        pod.status != "Pending" or pod.verdict.state is State.FAILED
    ):
        return None
    mine = [
        v
        for v in volumes
        if v.key[1] == pod.key[1] and v.key[2] in pod.claims and v.verdict.state is not State.READY
    ]
    return max(mine, key=lambda v: severity(v.verdict.state), default=None)
