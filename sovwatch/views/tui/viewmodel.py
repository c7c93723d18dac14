"""The one place that reads the model's snapshot and turns it into what the widgets display.

Widgets never classify, join or order anything themselves: the model decides states, root causes,
waves and the critical path; this module only picks fields and formats them (durations, counts,
"2/3"; the short cause "← bp-loki: Multi-Attach storage-loki-0" is cause_text.py's). Durations
have minute granularity so that a calm rollout changes a row at most once a minute, and a release
ready for more than ten minutes shows a lower bound that rarely moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import ShortCause, cause_of, state_of
from sovwatch.views.tui.glyphs import Glyphs

FAILING = frozenset({State.FAILED, State.STALLED})
"""States the `f` toggle keeps and failed-first sorts to the top."""


def epoch(value: object) -> float | None:
    """Seconds since the epoch from a snapshot timestamp (a number or an RFC 3339 string)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


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


def eta_text(snapshot: dict) -> str:
    """The timeline's ETA line: the estimate and what it rests on, or why there is none
    ("" once every release is ready)."""
    if snapshot.get("outcome") == "ready":
        return ""
    detail = snapshot.get("etaDetail") or {}
    eta = snapshot.get("eta")
    if eta is None:
        because = detail.get("unknownBecause")
        return f"ETA unknown: {because}" if because else "ETA unknown"
    finished = int(detail.get("finished") or 0)
    step = detail.get("typicalStepSeconds")
    typical = f", typical step {age(step)}" if step is not None else ""
    return f"ETA {age(eta)} (from {finished} finished release{'s' * (finished != 1)}{typical})"


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


def release_key(release: dict) -> str:
    return f"{release.get('namespace', '')}/{release.get('name', '')}"


NO_WAVE = 1_000_000
"""Sorts releases without a wave (in a cycle, or with a missing dependency) last."""


def wave_of(release: dict) -> int:
    wave = release.get("wave")
    return NO_WAVE if wave is None else int(wave)


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


def workloads_text(release: dict, glyphs: Glyphs) -> str:
    workloads = release.get("workloads") or {}
    total = workloads.get("total") or 0
    return f"{workloads.get('ready', 0)}/{total}" if total else glyphs.dash


def probe_state(probe: object) -> str:
    """`passing | failing | none | unknown` from a snapshot probe (`{state, failures, lastMessage}`)."""
    if isinstance(probe, dict):
        return str(probe.get("state") or "unknown")
    return str(probe or "none")


def probes_text(release: dict, glyphs: Glyphs) -> str:
    """Probe summary: "ok" when all that exist pass, "2 fail" when two fail, "?" while unknown."""
    states = [
        probe_state(value)
        for pod in release.get("pods") or []
        for value in (pod.get("probes") or {}).values()
        if probe_state(value) != "none"
    ]
    if not states:
        return glyphs.dash
    failing = states.count("failing")
    if failing:
        return f"{failing} fail"
    return "?" if "unknown" in states else "ok"


def volumes_text(release: dict, glyphs: Glyphs) -> str:
    """ "2/2" bound, with " err" when a volume is failed or stalled (provisioning, attach, mount)."""
    volumes = release.get("volumes") or []
    if not volumes:
        return glyphs.dash
    ready = sum(1 for v in volumes if state_of(v) is State.READY)
    broken = any(state_of(v) in FAILING for v in volumes)
    return f"{ready}/{len(volumes)}" + (" err" if broken else "")


def chart_text(release: dict) -> str:
    chart = release.get("chart") or ""
    if isinstance(chart, dict):
        name, version = chart.get("name", ""), chart.get("version", "")
        return f"{name}@{version}" if version else name
    return str(chart)


def release_rows(snapshot: dict, glyphs: Glyphs) -> list[ReleaseRow]:
    """Every release in the snapshot, in the model's order."""
    names = frozenset(r.get("name", "") for r in snapshot.get("releases") or [])
    return [
        ReleaseRow(
            key=release_key(r),
            name=r.get("name", ""),
            state=state_of(r),
            chart=chart_text(r),
            since=epoch(r.get("since")),
            wave=wave_of(r),
            workloads=workloads_text(r, glyphs),
            probes=probes_text(r, glyphs),
            volumes=volumes_text(r, glyphs),
            cause=cause_of(r, names),
        )
        for r in snapshot.get("releases") or []
    ]


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


HEALTH_SEVERITY = {
    "live": 0,
    "absent": 0,
    "connecting": 1,
    "reconnecting": 2,
    "stale": 3,
    "forbidden": 4,
    "error": 5,
}
"""How much each stream state worries the badge; `absent` (CRD not installed yet) is normal."""
UNSETTLED = frozenset({"reconnecting", "stale", "error"})
"""Stream states in which what the store holds may be out of date."""


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

    @property
    def worst_stream(self) -> StreamRow | None:
        """The stream the badge talks about: the most worrying one."""
        return max(self.streams, key=lambda s: HEALTH_SEVERITY.get(s.state, 5), default=None)

    @property
    def stale(self) -> bool:
        """True while some stream has lost its connection: shown data may be old."""
        return any(s.state in UNSETTLED for s in self.streams)


def header_info(snapshot: dict, *, started_at: float | None = None) -> HeaderInfo:
    """Header fields; `started_at` is when the watch began (the snapshot does not carry it)."""
    cluster = snapshot.get("cluster") or {}
    progress = snapshot.get("progress") or {}
    return HeaderInfo(
        context=cluster.get("context", ""),
        server=cluster.get("server", ""),
        outcome=str(snapshot.get("outcome") or "in-progress"),
        ready=int(progress.get("ready") or 0),
        total=int(progress.get("total") or 0),
        expected=progress.get("expected"),
        expected_from=str(progress.get("expectedSource") or ""),
        started_at=started_at,
        eta_seconds=snapshot.get("eta"),
        streams=tuple(
            StreamRow(
                resource=s.get("resource", ""),
                state=str(s.get("state", "")),
                since=epoch(s.get("since")),
                attempt=int(s.get("attempt") or 0),
                detail=s.get("detail") or "",
            )
            for s in snapshot.get("streams") or []
        ),
        warnings=tuple(cluster.get("warnings") or ()),
        waiting_for=" ".join(str(snapshot.get("waitingFor") or "").split()),
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


def event_rows(snapshot: dict) -> list[EventRow]:
    """Recent events as the model ranked them (warnings first, deduplicated); one row per key."""
    rows: dict[str, EventRow] = {}
    for e in snapshot.get("events") or []:
        ref = e.get("involvedObject") or {}
        obj = f"{ref.get('kind', '').lower()}/{ref.get('namespace', '')}/{ref.get('name', '')}"
        key = e.get("key") or f"{obj}/{e.get('reason', '')}/{e.get('message', '')}"
        rows.setdefault(
            key,
            EventRow(
                key=key,
                warning=e.get("type") == "Warning",
                count=int(e.get("count") or 1),
                last_seen=epoch(e.get("lastSeen")),
                kind=ref.get("kind", ""),
                namespace=ref.get("namespace", ""),
                name=ref.get("name", ""),
                reason=e.get("reason", ""),
                message=" ".join(str(e.get("message", "")).split()),
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


def timeline_rows(snapshot: dict, *, now: float, started_at: float | None) -> list[TimelineRow]:
    """Per-release durations, slowest first (releases that have not started last)."""
    critical = set((snapshot.get("graph") or {}).get("criticalPath") or [])
    rows = []
    for release in snapshot.get("releases") or []:
        times = release.get("timeline") or {}
        key = release_key(release)
        start, ready = epoch(times.get("started")), epoch(times.get("ready"))
        rows.append(
            TimelineRow(
                key=key,
                name=release.get("name", ""),
                state=state_of(release),
                wave=wave_of(release),
                started=start - started_at if start is not None and started_at else None,
                took=((ready or now) - start) if start is not None else None,
                critical=key in critical,
            )
        )
    return sorted(rows, key=lambda r: (r.took is None, -(r.took or 0), r.wave))
