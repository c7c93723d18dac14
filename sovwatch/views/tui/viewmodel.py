"""The one place that reads the model's typed snapshot and turns it into what the widgets display.

Widgets never classify, join or order anything themselves: the model decides states, root causes,
waves and the critical path; this module only picks fields and formats them (durations, counts,
"2/3"; the short cause "← bp-loki: Multi-Attach storage-loki-0" is cause_text.py's). Durations
have minute granularity so that a calm rollout changes a row at most once a minute, and a release
ready for more than ten minutes shows a lower bound that rarely moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sovwatch.model.snapshot import Key, ReleaseView, Snapshot
from sovwatch.model.states import State
from sovwatch.model.stream_health import HEALTH_SEVERITY, UNSETTLED
from sovwatch.views.tui.cause_text import ShortCause, cause_of
from sovwatch.views.tui.glyphs import Glyphs

FAILING = frozenset({State.FAILED, State.STALLED})
"""States the `f` toggle keeps and failed-first sorts to the top."""


def age(seconds: float | None) -> str:
    """A calm duration for tables: "<1m", "7m", "1h05m"; changes at most once a minute."""
    if seconds is None:
        return ""
    minutes = int(max(seconds, 0) // 60)
    if minutes == 0:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def rough_eta(seconds: float | None) -> str:
    """An estimate as a bound that holds while it wobbles: "<1m", "<5m", "<10m", "<15m" ... "<1h",
    then "~2h" (nearest hour); a fleet's ETAs change a few times an hour instead of every minute."""
    if seconds is None or seconds < 60:
        return age(seconds)  # "" or "<1m"
    minutes = int(seconds // 60)
    if minutes < 55:
        return f"<{(minutes // 5 + 1) * 5}m"
    if minutes < 60:
        return "<1h"
    return f"~{round(minutes / 60)}h"


def eta_text(snapshot: Snapshot) -> str:
    """The timeline's ETA line: the estimate and what it rests on, or why there is none
    ("" once every release is ready)."""
    if snapshot.outcome == "ready":
        return ""
    detail = snapshot.eta_detail
    if snapshot.eta is None:
        because = detail.unknown_because if detail else None
        return f"ETA unknown: {because}" if because else "ETA unknown"
    finished = detail.finished if detail else 0
    step = detail.typical if detail else None
    typical = f", typical step {age(step)}" if step is not None else ""
    return (
        f"ETA {age(snapshot.eta)} (from {finished} finished release{'s' * (finished != 1)}"
        f"{typical})"
    )


SETTLED_BOUNDS = (
    (8 * 3600, ">8h"),
    (2 * 3600, ">2h"),
    (3600, ">1h"),
    (1800, ">30m"),
    (600, ">10m"),
)
"""Lower bounds shown for a long-settled release, longest first."""


def settled_age(seconds: float | None) -> str:
    """Time a release has been ready: exact minutes for the first ten, then a lower bound that
    moves a handful of times a day (">10m", ">30m", ">1h", ">2h", ">8h"). How long a release has
    been fine needs no minute-by-minute update; an idle screen then stays still (the ages of
    38 ready releases were most of an idle screen's bytes)."""
    if seconds is not None:
        for bound, text in SETTLED_BOUNDS:
            if seconds >= bound:
                return text
    return age(seconds)


def clock(seconds: float | None) -> str:
    """An elapsed-time clock: "4:07", "1:02:03"."""
    if seconds is None:
        return "-"
    total = int(max(seconds, 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def truncate(text: str, width: int, glyphs: Glyphs) -> str:
    """Cut `text` to `width` cells, marking the cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + glyphs.ellipsis


def ref(key: Key) -> str:
    """`namespace/name`, how the snapshot and the operator refer to an object."""
    return f"{key[1]}/{key[2]}"


NO_WAVE = 1_000_000
"""Sorts releases without a wave (in a cycle, or with a missing dependency) last."""


def wave_of(release: ReleaseView) -> int:
    return NO_WAVE if release.wave is None else release.wave


@dataclass(frozen=True)
class ReleaseRow:
    """One release as the table shows it (the cells, before styling)."""

    key: str
    """`namespace/name`, the table's row key."""
    name: str
    state: State
    chart: str
    since: float | None
    wave: int
    workloads: str
    probes: str
    volumes: str
    cause: ShortCause


def workloads_text(release: ReleaseView, glyphs: Glyphs) -> str:
    workloads = release.core.workloads
    return f"{workloads.ready}/{workloads.total}" if workloads.total else glyphs.dash


def probes_text(release: ReleaseView, glyphs: Glyphs) -> str:
    """Probe summary: "ok" when all that exist pass, "2 fail" when two fail, "?" while unknown."""
    states = [
        probe.state
        for pod in release.core.pods
        for probe in pod.probes.values()
        if probe.state != "none"
    ]
    if not states:
        return glyphs.dash
    failing = states.count("failing")
    if failing:
        return f"{failing} fail"
    return "?" if "unknown" in states else "ok"


def volumes_text(release: ReleaseView, glyphs: Glyphs) -> str:
    """ "2/2" bound, with " err" when a volume is failed or stalled (provisioning, attach, mount)."""
    volumes = release.core.volumes
    if not volumes:
        return glyphs.dash
    ready = sum(1 for v in volumes if v.verdict.state is State.READY)
    broken = any(v.verdict.state in FAILING for v in volumes)
    return f"{ready}/{len(volumes)}" + (" err" if broken else "")


def _release_row(r: ReleaseView, names: frozenset[str], glyphs: Glyphs) -> ReleaseRow:
    return ReleaseRow(
        key=ref(r.key),
        name=r.key[2],
        state=r.verdict.state,
        chart=r.core.chart,
        since=r.core.since,
        wave=wave_of(r),
        workloads=workloads_text(r, glyphs),
        probes=probes_text(r, glyphs),
        volumes=volumes_text(r, glyphs),
        cause=cause_of(r, names),
    )


class ReleaseRows:
    """Every release in a snapshot as a row, in the model's order, for a screen that shows
    snapshot after snapshot: each row is kept with the view it was made from, and `snapshot_of`
    hands the same view for a release whose inputs did not change, so a refresh makes rows only
    for the releases that changed."""

    def __init__(self) -> None:
        self._made: dict[Key, tuple[ReleaseView, ReleaseRow]] = {}
        self._made_with: tuple[frozenset[str], Glyphs] | None = None

    def __call__(self, snapshot: Snapshot, glyphs: Glyphs) -> list[ReleaseRow]:
        names = frozenset(r.key[2] for r in snapshot.releases)
        made = self._made if self._made_with == (names, glyphs) else {}
        self._made, self._made_with = {}, (names, glyphs)
        rows = []
        for r in snapshot.releases:
            kept = made.get(r.key)
            row = kept[1] if kept is not None and kept[0] is r else _release_row(r, names, glyphs)
            self._made[r.key] = (r, row)
            rows.append(row)
        return rows


def arrange(
    rows: list[ReleaseRow],
    *,
    query: str = "",
    failures_only: bool = False,
    failed_first: bool = False,
) -> list[ReleaseRow]:
    """The rows to show, in display order: dependency waves (stable within a wave), optionally
    failed/stalled first; filtered by a name substring or an exact state word."""
    needle = query.strip().lower()
    shown = [
        row
        for row in rows
        if (not failures_only or row.state in FAILING)
        and (not needle or needle in row.name.lower() or needle == row.state.value)
    ]
    if failed_first:
        return sorted(shown, key=lambda row: (row.state not in FAILING, row.wave))
    return sorted(shown, key=lambda row: row.wave)


@dataclass(frozen=True)
class StreamRow:
    resource: str
    state: str
    since: float | None
    attempt: int = 0
    detail: str = ""


@dataclass(frozen=True)
class HeaderInfo:
    """What the header line shows, from the snapshot."""

    context: str
    server: str
    outcome: str
    ready: int
    total: int
    expected: int | None
    expected_from: str
    started_at: float | None
    eta_seconds: float | None
    streams: tuple[StreamRow, ...]
    warnings: tuple[str, ...] = ()
    """Connection warnings from the snapshot's cluster (insecure-skip-tls-verify)."""
    waiting_for: str = ""
    """What sovwatch waits for while there is no HelmRelease (the snapshot's `waitingFor`)."""
    cached_at: float | None = None
    """When the picture shown was kept on disk: it is not the cluster's own yet."""

    @property
    def worst_stream(self) -> StreamRow | None:
        """The stream the badge talks about: the most worrying one."""
        return max(self.streams, key=lambda s: HEALTH_SEVERITY.get(s.state, 5), default=None)

    @property
    def stale(self) -> bool:
        """True while the picture is a cached one, or some stream has lost its connection: shown
        data may be old."""
        return self.cached_at is not None or any(s.state in UNSETTLED for s in self.streams)


def header_info(snapshot: Snapshot | None, *, started_at: float | None = None) -> HeaderInfo:
    """Header fields; `started_at` is when the watch began (the snapshot does not carry it)."""
    if snapshot is None:
        return HeaderInfo("", "", "in-progress", 0, 0, None, "", started_at, None, ())
    cluster, progress = snapshot.cluster, snapshot.progress
    return HeaderInfo(
        context=cluster.context,
        server=cluster.server,
        outcome=snapshot.outcome or "in-progress",
        ready=progress.ready,
        total=progress.total,
        expected=progress.expected,
        expected_from=progress.expected_source,
        started_at=started_at,
        eta_seconds=snapshot.eta,
        streams=tuple(
            StreamRow(
                resource=h.resource,
                state=str(h.state),
                since=h.since,
                attempt=h.attempt,
                detail=h.detail,
            )
            for h in snapshot.streams
        ),
        warnings=cluster.warnings,
        waiting_for=" ".join((snapshot.waiting_for or "").split()),
        cached_at=snapshot.stale.since if snapshot.stale is not None else None,
    )


KIND_NOUN = {
    "Pod": "pod",
    "PersistentVolumeClaim": "pvc",
    "VolumeAttachment": "volumeattachment",
    "HelmRelease": "hr",
    "HelmChart": "hc",
    "HelmRepository": "helmrepo",
    "OCIRepository": "ocirepo",
    "GitRepository": "gitrepo",
    "Kustomization": "ks",
    "Deployment": "deploy",
    "StatefulSet": "sts",
    "DaemonSet": "ds",
    "ReplicaSet": "rs",
}
"""kubectl's short names (Flux's CRDs declare hr, hc, helmrepo, ocirepo, gitrepo, ks): short in a
narrow column and valid in a copy-pasted command."""


def kind_noun(kind: str) -> str:
    return KIND_NOUN.get(kind, kind.lower())


@dataclass(frozen=True)
class EventRow:
    key: str
    warning: bool
    count: int
    last_seen: float | None
    kind: str
    namespace: str
    name: str
    reason: str
    message: str

    def object(self, *, brief: bool = False) -> str:
        """ "pvc/loki/storage-loki-0", or "pvc/storage-loki-0" when `brief`."""
        noun = kind_noun(self.kind)
        if brief or not self.namespace:
            return f"{noun}/{self.name}"
        return f"{noun}/{self.namespace}/{self.name}"


def event_rows(snapshot: Snapshot) -> list[EventRow]:
    """Recent events as the model ranked them (warnings first, deduplicated); one row per key."""
    rows: dict[str, EventRow] = {}
    for e in snapshot.events:
        kind, namespace, name = e.involved
        key = f"{kind.lower()}/{namespace}/{name}/{e.reason}/{e.message}"
        rows.setdefault(
            key,
            EventRow(
                key=key,
                warning=e.type == "Warning",
                count=e.count or 1,
                last_seen=e.last,
                kind=kind,
                namespace=namespace,
                name=name,
                reason=e.reason,
                message=" ".join(e.message.split()),
            ),
        )
    return list(rows.values())


@dataclass(frozen=True)
class TimelineRow:
    key: str
    name: str
    state: State
    wave: int
    started: float | None
    """Seconds after the rollout started."""
    took: float | None
    """Seconds from start to ready, or so far while not ready."""
    critical: bool


def timeline_rows(snapshot: Snapshot, *, now: float, started_at: float | None) -> list[TimelineRow]:
    """Per-release durations, slowest first (releases that have not started last)."""
    critical = set(snapshot.critical_path)
    rows = []
    for release in snapshot.releases:
        times = release.timeline
        start = times.started if times else None
        ready = times.ready if times else None
        rows.append(
            TimelineRow(
                key=ref(release.key),
                name=release.key[2],
                state=release.verdict.state,
                wave=wave_of(release),
                started=start - started_at if start is not None and started_at else None,
                took=((ready or now) - start) if start is not None else None,
                critical=release.key in critical,
            )
        )
    return sorted(rows, key=lambda r: (r.took is None, -(r.took or 0), r.wave))
