"""Facts: the final snapshot and the run's history turned into the typed values a report shows.

Pure: no I/O, no formatting. It reads the typed `Snapshot` (never its JSON document). Times are
epoch seconds in the source's clock (the recording's), in whole seconds as the snapshot's JSON
writes them, so a report says what `-o json` said.

Per release, on the instants the model derives (`releases[].timeline`): *first seen*, *could start*
(the later of first seen and every dependency's ready instant; None while a dependency is not
ready; never after it started), *started* (the current Helm action episode) and *ready*. Its *step*
is ready minus could start: the time it added to its dependency chain, as `model/eta.py` defines
it. The critical path is what the time to the last ready release was made of: that release, the
dependency that became ready last before it, and so on back (what never became ready is the
failures' business). Failures and retries come from the history of state changes: spans spent `failed`
or `stalled`, and each return from one of them to `progressing`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sovwatch.exitcodes import ExitCode
from sovwatch.model.events import EventRecord
from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.progress import Progress
from sovwatch.model.snapshot import ReleaseView, Snapshot
from sovwatch.sources.events import HealthState, StreamHealth
from sovwatch.views.report.history import History
from sovwatch.views.transitions import BAD, Transition
from sovwatch.views.verdict import explain

Key = tuple[str, str, str]
INCIDENT_STATES = (
    HealthState.RECONNECTING,
    HealthState.STALE,
    HealthState.FORBIDDEN,
    HealthState.ERROR,
)
"""Stream states worth a line in a post-mortem (`absent` is normal before Flux's CRDs exist)."""
FLUX_GROUP = ".toolkit.fluxcd.io"
DEPENDENCY_NOT_READY = "DependencyNotReady"
SLOWEST = 8
"""How many of the slowest releases the report lists."""
EVENTS_PER_FAILURE = 5


@dataclass(frozen=True)
class RunInfo:
    """What the recording's header and the run itself say."""

    context: str
    server: str
    started: float
    recorded_with: str
    """The sovwatch version that wrote the recording."""
    sovwatch: str
    """The sovwatch version writing the report."""
    exit_code: int | None = None
    """The exit code of the run that wrote the recording, when it is this run (`--report`)."""


@dataclass(frozen=True)
class Unreached:
    """A run that never reached its cluster (its start-up check failed): there is nothing to
    report but where it looked and why it could not watch."""

    context: str
    server: str
    started: float
    why: str
    """The one line the run ended with (`FatalError`), through the untrusted-text gate."""
    code: int
    """The run's exit code."""
    sovwatch: str


@dataclass(frozen=True)
class Cluster:
    context: str
    server: str
    flux_apis: tuple[str, ...]
    """The Flux API versions served (`helm.toolkit.fluxcd.io/v2`, ...): the recording holds no
    Flux version, the APIs it watched are what is known."""
    recorded_with: str
    sovwatch: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    outcome: str
    """The model's outcome at the end (`ready`, `failed`, ..., `in-progress`)."""
    code: int
    """The exit code: the run's own, else what `--exit-on-done` gives for this verdict."""
    code_of_run: bool
    """Whether `code` is the run's own."""
    why: str
    started: float
    decided: float | None
    """When the verdict was reached (None: the run ended undecided)."""
    ended: float

    @property
    def duration(self) -> float:
        return max((self.decided if self.decided is not None else self.ended) - self.started, 0.0)


@dataclass(frozen=True)
class Span:
    state: str
    start: float
    end: float


@dataclass(frozen=True)
class ReleaseRun:
    """One release's way through the run: one row of the timeline."""

    namespace: str
    name: str
    wave: int | None
    state: str
    reason: str
    depends_on: tuple[str, ...]
    first_seen: float | None
    could_start: float | None
    started: float | None
    ready: float | None
    installed: float | None
    """HelmRelease Ready=True since (the Helm action finished); pods may still be starting."""
    troubles: tuple[Span, ...]
    """Spans spent failed or stalled."""
    retries: tuple[float, ...]
    """When it went back to progressing after a failure."""
    critical: bool

    @property
    def waited_on_dependencies(self) -> float | None:
        if self.first_seen is None or self.could_start is None:
            return None
        return max(self.could_start - self.first_seen, 0.0)

    @property
    def waited_to_start(self) -> float | None:
        if self.could_start is None or self.started is None:
            return None
        return max(self.started - self.could_start, 0.0)

    @property
    def step(self) -> float | None:
        if self.could_start is None or self.ready is None:
            return None
        return max(self.ready - self.could_start, 0.0)


@dataclass(frozen=True)
class EventLine:
    last_seen: float | None
    type: str
    reason: str
    subject: str
    message: str
    count: int


@dataclass(frozen=True)
class Failure:
    """A release that was not ready at the end, and why."""

    namespace: str
    name: str
    state: str
    reason: str
    message: str
    since: float | None
    chain: str
    log_excerpt: LogExcerpt | None
    """The root cause's log tail, when the model read one."""
    events: tuple[EventLine, ...]

    @property
    def blocked(self) -> bool:
        """Only waiting behind another release (its chain leads to that release's failure)."""
        return self.state == "waiting" and self.reason == DEPENDENCY_NOT_READY


@dataclass(frozen=True)
class StreamTrouble:
    """One stream's incidents, counted."""

    resource: str
    reconnects: int
    gone: int
    """Relists after 410 Gone."""
    stale: int
    forbidden: int
    errors: int
    last_detail: str


@dataclass(frozen=True)
class Report:
    cluster: Cluster
    verdict: Verdict
    progress: Progress
    waves: tuple[tuple[ReleaseRun, ...], ...]
    unplaced: tuple[ReleaseRun, ...]
    """Releases with no wave (in or behind a dependency cycle)."""
    critical_path: tuple[str, ...]
    """Names of the releases on the critical path, in wave order."""
    failures: tuple[Failure, ...]
    incidents: tuple[StreamHealth, ...]
    stream_troubles: tuple[StreamTrouble, ...]
    slowest: tuple[ReleaseRun, ...]

    @property
    def releases(self) -> tuple[ReleaseRun, ...]:
        return tuple(r for wave in self.waves for r in wave) + self.unplaced


def build(history: History, run: RunInfo) -> Report:
    """The report of a run from its history (which must have seen at least one snapshot)."""
    snapshot, ended = history.snapshot, history.ended
    assert snapshot is not None
    assert ended is not None
    releases = snapshot.releases
    runs = _release_runs(releases, history.transitions, ended)
    waves: dict[int, list[ReleaseRun]] = {}
    for r in runs:
        if r.wave is not None:
            waves.setdefault(r.wave, []).append(r)
    bad = sorted((r for r in releases if r.verdict.state != "ready"), key=_failure_rank)
    incidents = tuple(h for h in history.streams if h.state in INCIDENT_STATES)
    return Report(
        cluster=_cluster(snapshot, run),
        verdict=_verdict(history, run, ended),
        progress=snapshot.progress,
        waves=tuple(tuple(waves[w]) for w in sorted(waves)),
        unplaced=tuple(r for r in runs if r.wave is None),
        critical_path=tuple(r.name for r in runs if r.critical),
        failures=tuple(_failure(r, snapshot.events) for r in bad),
        incidents=incidents,
        stream_troubles=_stream_troubles(incidents),
        slowest=tuple(
            sorted((r for r in runs if r.step is not None), key=lambda r: (-(r.step or 0), r.name))[
                :SLOWEST
            ]
        ),
    )


# -- the verdict and the cluster -------------------------------------------------------------------


def _verdict(history: History, run: RunInfo, ended: float) -> Verdict:
    snapshot = history.snapshot
    assert snapshot is not None
    decided = history.decided
    if decided is not None:
        code = decided.code if run.exit_code is None else run.exit_code
        return Verdict(
            decided.outcome,
            code,
            run.exit_code is not None,
            explain(snapshot, decided.code),
            run.started,
            decided.since,
            ended,
        )
    code = ExitCode.TIMEOUT if run.exit_code is None else run.exit_code
    why = "the run ended before the rollout was decided"
    pending = explain(snapshot, ExitCode.TIMEOUT)
    return Verdict(
        snapshot.outcome or "in-progress",
        code,
        run.exit_code is not None,
        f"{why}; {pending}" if pending else why,
        run.started,
        None,
        ended,
    )


def _cluster(snapshot: Snapshot, run: RunInfo) -> Cluster:
    apis = sorted(
        {s.detail for s in snapshot.streams if s.resource.endswith(FLUX_GROUP) and s.detail}
    )
    return Cluster(
        context=run.context,
        server=run.server,
        flux_apis=tuple(a for a in apis if FLUX_GROUP[1:] in a),
        recorded_with=run.recorded_with,
        sovwatch=run.sovwatch,
        warnings=snapshot.cluster.warnings,
    )


# -- releases ----------------------------------------------------------------------------------


def _second(epoch: float | None) -> float | None:
    """`epoch` to the whole second (as `format_time` writes it), None for None."""
    return None if epoch is None else float(math.floor(epoch))


def _ref(key: Key) -> str:
    return f"{key[1]}/{key[2]}"


def _release_runs(
    releases: Iterable[ReleaseView], transitions: list[Transition], ended: float
) -> list[ReleaseRun]:
    first_seen = {r.key: _second(r.timeline.first_seen if r.timeline else None) for r in releases}
    ready = {r.key: _second(r.timeline.ready if r.timeline else None) for r in releases}
    started = {r.key: _second(r.timeline.started if r.timeline else None) for r in releases}
    deps = {r.key: list(r.core.depends_on) for r in releases}
    could = {k: _could_start(first_seen[k], deps[k], ready, started[k]) for k in deps}

    critical = set(_critical_path(deps, ready, first_seen))
    by_release: dict[Key, list[Transition]] = {}
    for t in transitions:
        by_release.setdefault((t.kind, t.namespace, t.name), []).append(t)
    runs = []
    for r in releases:
        key = r.key
        troubles, retries = _troubles(by_release.get(key, []), ended)
        runs.append(
            ReleaseRun(
                namespace=key[1],
                name=key[2],
                wave=r.wave,
                state=str(r.verdict.state),
                reason=r.verdict.reason,
                depends_on=tuple(_ref(d) for d in r.core.depends_on),
                first_seen=first_seen[key],
                could_start=could[key],
                started=started[key],
                ready=ready[key],
                installed=_second(r.timeline.installed if r.timeline else None),
                troubles=troubles,
                retries=retries,
                critical=key in critical,
            )
        )
    return runs


def _critical_path(
    deps: Mapping[Key, list[Key]],
    ready: Mapping[Key, float | None],
    first_seen: Mapping[Key, float | None],
) -> list[Key]:
    """From the release that became ready last back through, at each step, the dependency that
    became ready last, as long as that dependency was still not ready when the release appeared
    (it held the release back)."""
    done = [k for k, at in ready.items() if at is not None]
    if not done:
        return []
    node = max(done, key=lambda k: (ready[k], k))
    path = [node]
    while True:
        gating = [d for d in deps.get(node, ()) if ready.get(d) is not None and d not in path]
        if not gating:
            return path
        dep = max(gating, key=lambda d: (ready[d], d))
        appeared = first_seen[node]
        if appeared is not None and (ready[dep] or 0.0) <= appeared:
            return path
        path.append(dep)
        node = dep


def _could_start(
    first_seen: float | None,
    deps: Iterable[Key],
    ready: Mapping[Key, float | None],
    started: float | None,
) -> float | None:
    """The later of first seen and every dependency's ready instant (None while one is not ready
    or does not exist), but never after the release started: helm-controller let it start, and a
    dependency's ready instant can come later (its pods became ready again after a restart)."""
    if first_seen is None:
        return started
    instants = [first_seen]
    for dep in deps:
        at = ready.get(dep)
        if at is None:
            return started
        instants.append(at)
    could = max(instants)
    return could if started is None else min(could, started)


def _troubles(
    changes: list[Transition], ended: float
) -> tuple[tuple[Span, ...], tuple[float, ...]]:
    """Spans in a bad state, and the instants of each retry (bad -> progressing)."""
    spans: list[Span] = []
    retries: list[float] = []
    open_state: str | None = None
    open_at = 0.0
    for t in changes:
        if open_state is not None and t.after != open_state:
            spans.append(Span(open_state, open_at, t.ts))
            open_state = None
        if t.after in BAD and open_state is None:
            open_state, open_at = t.after, t.ts
        if t.before in BAD and t.after == "progressing":
            retries.append(t.ts)
    if open_state is not None:
        spans.append(Span(open_state, open_at, ended))
    return tuple(spans), tuple(retries)


# -- failures, events and streams --------------------------------------------------------------------


def _failure_rank(release: ReleaseView) -> tuple[int, int, str]:
    order = {"stalled": 0, "failed": 1, "progressing": 2, "waiting": 3}
    return (order.get(release.verdict.state, 4), release.wave or 0, release.key[2])


def _failure(release: ReleaseView, events: Iterable[EventRecord]) -> Failure:
    cause = release.root_cause
    core = release.core
    subjects = {core.key, *(p.key for p in core.pods), *(v.key for v in core.volumes)}
    if cause is not None:
        subjects.add((cause.cause.kind, cause.cause.namespace, cause.cause.name))
    mine = [e for e in events if e.involved in subjects][:EVENTS_PER_FAILURE]
    return Failure(
        namespace=core.key[1],
        name=core.key[2],
        state=str(release.verdict.state),
        reason=release.verdict.reason,
        message=release.verdict.message,
        since=_second(core.since),
        chain=cause.text if cause is not None else "",
        log_excerpt=cause.log_excerpt if cause is not None else None,
        events=tuple(_event_line(e) for e in mine),
    )


def _event_line(event: EventRecord) -> EventLine:
    kind, namespace, name = event.involved
    return EventLine(
        last_seen=_second(event.last),
        type=event.type,
        reason=event.reason,
        subject=f"{kind.lower()}/{namespace or '-'}/{name}",
        message=event.message,
        count=event.count or 1,
    )


def _stream_troubles(incidents: tuple[StreamHealth, ...]) -> tuple[StreamTrouble, ...]:
    per: dict[str, list[StreamHealth]] = {}
    for h in incidents:
        per.setdefault(h.resource, []).append(h)
    return tuple(
        StreamTrouble(
            resource=resource,
            reconnects=sum(h.state == HealthState.RECONNECTING for h in hs),
            gone=sum("410" in h.detail for h in hs),
            stale=sum(h.state == HealthState.STALE for h in hs),
            forbidden=sum(h.state == HealthState.FORBIDDEN for h in hs),
            errors=sum(h.state == HealthState.ERROR for h in hs),
            last_detail=hs[-1].detail,
        )
        for resource, hs in sorted(per.items())
    )
