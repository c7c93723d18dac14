"""The fleet at a glance: one row per Sovereign from its latest snapshot (or its trouble), failing
first, and the totals ("7 Sovereigns: 4 ready, 1 failed, 2 in progress").

Pure: each member comes in as a `MemberState` (what its session published last, when its watch
began, its clock's reading), so the same rows come out for a live fleet, a demo and a replay.

A row's one-line cause is the fleet's version of the root-cause chain: of the releases that are
not ready, the culprit whose cause is worst (stalled before failed; among equals, the one that
holds back the most releases, then the earliest wave), read from the release closest behind it
that waits for it, so the line says what it blocks: "bp-grafana ← bp-loki ← Multi-Attach error
for volume …" (the releases of the chain, then its last link). A rollout in progress with nothing
broken has no cause line; one decided without a broken culprit (a timeout) names its first
release that is not ready. A member in trouble (unreachable, unauthorised, misconfigured) shows
its trouble instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sovwatch.model.outcome import Outcome
from sovwatch.model.snapshot import Key, ReleaseView, Snapshot
from sovwatch.model.states import BAD_STATES, State, severity
from sovwatch.model.stream_health import QUIET, worst_stream

CHAIN = " ← "
"""Joins the links of a cause, as the root-cause chain does."""
TROUBLE = "trouble"
"""A member whose cluster cannot be watched (its `trouble` says why)."""
CONNECTING = "connecting"
"""A member with nothing published yet."""

RANKS = {
    Outcome.FAILED: 0,
    Outcome.TIMEOUT: 0,
    Outcome.FLUX_NOT_RECONCILING: 0,
    TROUBLE: 1,
    Outcome.IN_PROGRESS: 3,
    CONNECTING: 4,
    Outcome.READY: 5,
}
"""Display order, failing first; a rollout in progress with failing releases ranks 2."""
FAILING_IN_PROGRESS = 2
HOLD = 300.0
"""Seconds a rollout in progress keeps its place among the failing ones after its last failed
release recovered (`steady_order`)."""
TOTALS_ORDER = (
    (Outcome.READY, "ready"),
    (Outcome.FAILED, "failed"),
    (Outcome.TIMEOUT, "timed out"),
    (Outcome.FLUX_NOT_RECONCILING, "Flux not reconciling"),
    (TROUBLE, "in trouble"),
    (Outcome.IN_PROGRESS, "in progress"),
    (CONNECTING, "connecting"),
)
"""How the header counts members, in this order (only outcomes that occur)."""
DECIDED = frozenset({Outcome.FAILED, Outcome.TIMEOUT, Outcome.FLUX_NOT_RECONCILING})
IN_PROGRESS = Outcome.IN_PROGRESS


@dataclass(frozen=True)
class MemberState:
    """One member of the fleet as its session left it."""

    context: str
    server: str
    snapshot: Snapshot | None
    """The latest published snapshot (None before the first)."""
    trouble: str | None = None
    """Why the cluster cannot be watched now, one line (None when it can)."""
    started_at: float | None = None
    """When its watch began."""
    now: float | None = None
    """Its clock's reading (source time), for the elapsed time."""
    warnings: tuple[str, ...] = ()
    """What the operator should know about it (a kubeconfig others may read, a server whose
    identity is not verified), one line each, through the untrusted-text gate and redaction."""


@dataclass(frozen=True)
class StreamSummary:
    """The most worrying stream of a member: its state, resource and how many others are not live."""

    state: str
    resource: str = ""
    others: int = 0
    every: bool = False
    """Every stream is in trouble (a server that went away)."""

    @property
    def quiet(self) -> bool:
        return self.state in QUIET

    @property
    def text(self) -> str:
        """ "live", "reconnecting pods +2", "reconnecting all", "trouble"."""
        if self.quiet or not self.resource:
            return "live" if self.quiet else self.state
        if self.every and self.others:
            return f"{self.state} all"
        more = f" +{self.others}" if self.others else ""
        return f"{self.state} {self.resource.split('.', 1)[0]}{more}"


@dataclass(frozen=True)
class FleetRow:
    """One Sovereign as the fleet screen shows it."""

    context: str
    server: str
    outcome: str
    """The model's outcome, `trouble` or `connecting`."""
    ready: int
    target: int
    """Releases expected (or seen, if more)."""
    failed: int
    """Failed or stalled releases."""
    waiting: int
    cause: tuple[str, ...]
    """The worst root cause's links (releases, then the last link), or the trouble or what
    sovwatch waits for as one link; empty when nothing is wrong."""
    streams: StreamSummary
    elapsed: float | None
    eta: float | None
    rank: int
    """Display order, failing first (`RANKS`)."""
    warnings: tuple[str, ...] = ()
    """The member's warnings (`MemberState.warnings`)."""
    held: bool = False
    """In progress with no failed release now, but kept among the failing ones because one failed
    less than `HOLD` seconds ago (`steady_order`)."""

    @property
    def place(self) -> int:
        """Where the row sorts: its rank, or among the failing ones while it is held there."""
        return FAILING_IN_PROGRESS if self.held else self.rank

    @property
    def cause_text(self) -> str:
        """The cause on one line: "bp-grafana ← bp-loki ← Multi-Attach error …"."""
        return CHAIN.join(self.cause)

    @property
    def progress(self) -> str:
        return f"{self.ready}/{self.target} ready"

    @property
    def fraction(self) -> float:
        """How full the progress bar is, 0 to 1."""
        return self.ready / self.target if self.target else 0.0

    @property
    def failing(self) -> bool:
        return self.rank < RANKS[Outcome.IN_PROGRESS]


def watched(snapshot: Snapshot | None) -> bool:
    """Whether a snapshot shows a cluster at all: one made before any stream reported (a replayed
    member that never connected, its source ended) says nothing about it."""
    return snapshot is not None and bool(snapshot.streams)


def fleet_row(member: MemberState) -> FleetRow:
    snapshot = member.snapshot if watched(member.snapshot) else None
    elapsed = (
        member.now - member.started_at
        if member.now is not None and member.started_at is not None
        else None
    )
    if snapshot is None:
        outcome = TROUBLE if member.trouble else CONNECTING
        return FleetRow(
            context=member.context,
            server=member.server,
            outcome=outcome,
            ready=0,
            target=0,
            failed=0,
            waiting=0,
            cause=_one(member.trouble),
            streams=StreamSummary(outcome),
            elapsed=elapsed,
            eta=None,
            rank=RANKS[outcome],
            warnings=member.warnings,
        )
    progress = snapshot.progress
    rank = RANKS.get(snapshot.outcome, RANKS[Outcome.IN_PROGRESS])
    if snapshot.outcome == Outcome.IN_PROGRESS and progress.failed:
        rank = FAILING_IN_PROGRESS
    return FleetRow(
        context=member.context,
        server=member.server,
        outcome=snapshot.outcome,
        ready=progress.ready,
        target=max(progress.expected, progress.total),
        failed=progress.failed,
        waiting=progress.waiting,
        cause=_one(member.trouble) or worst_cause(snapshot),
        streams=StreamSummary(TROUBLE) if member.trouble else stream_summary(snapshot),
        elapsed=elapsed,
        eta=snapshot.eta,
        rank=min(rank, RANKS[TROUBLE]) if member.trouble else rank,
        warnings=member.warnings,
    )


def stream_summary(snapshot: Snapshot) -> StreamSummary:
    worst = worst_stream(snapshot.streams)
    if worst is None:
        return StreamSummary(CONNECTING)
    troubled = sum(1 for s in snapshot.streams if str(s.state) not in QUIET)
    return StreamSummary(
        str(worst.state),
        worst.resource,
        max(troubled - 1, 0),
        every=troubled == len(snapshot.streams),
    )


def _one(line: str | None) -> tuple[str, ...]:
    return (" ".join(line.split()),) if line else ()


def worst_cause(snapshot: Snapshot) -> tuple[str, ...]:
    """The worst root cause's links (see the module docstring), empty when nothing is wrong."""
    if not snapshot.releases:
        return _one(snapshot.waiting_for)
    troubled = [
        r
        for r in snapshot.releases
        if r.root_cause is not None and r.verdict.state is not State.READY
    ]
    broken = [r for r in troubled if r.root_cause.cause.state in BAD_STATES]
    pool = broken or (troubled if snapshot.outcome in DECIDED else [])
    if not pool:
        return ()
    held = Counter(_culprit(r) for r in pool)
    worst = min(
        pool,
        key=lambda r: (
            -severity(r.root_cause.cause.state),
            -held[_culprit(r)],
            _wave(r),
            r.key,
        ),
    )
    behind = [r for r in pool if _culprit(r) == _culprit(worst) and len(r.root_cause.releases) > 1]
    shown = min(behind, key=lambda r: (len(r.root_cause.releases), _wave(r), r.key), default=worst)
    return cause_links(shown)


def cause_links(release: ReleaseView) -> tuple[str, ...]:
    """The releases of a root-cause chain, then its last link: ("bp-grafana", "bp-loki", …)."""
    cause = release.root_cause
    assert cause is not None
    names = cause.chain[: len(cause.releases)]
    last = cause.chain[len(names) :][-1:]
    return tuple(" ".join(link.split()) for link in (*names, *last))


def _culprit(release: ReleaseView) -> Key:
    assert release.root_cause is not None
    return release.root_cause.releases[-1] if release.root_cause.releases else release.key


def _wave(release: ReleaseView) -> int:
    return release.wave if release.wave is not None else 1_000_000


def fleet_rows(members: list[MemberState]) -> list[FleetRow]:
    """Every member's row, failing first, then by context."""
    return sorted((fleet_row(m) for m in members), key=lambda r: (r.rank, r.context))


@dataclass(frozen=True)
class FleetOrder:
    """The rows in display order and, per member held among the failing ones, until when."""

    rows: list[FleetRow]
    held_until: dict[str, float]


def steady_order(
    rows: list[FleetRow], *, now: float, held_until: Mapping[str, float]
) -> FleetOrder:
    """The rows failing first, then by context, with the order steady while rollouts retry.

    A release of a rollout in progress often fails and recovers on its own (Helm's install
    retries, a Secret that arrives later); ranking on its failed count alone would move the row
    to the failing ones and back at each retry, and every move shifts all the rows between.
    Once a rollout in progress has a failed release it stays among the failing ones (`held`)
    until `HOLD` seconds after the last one recovered; any other change of outcome (decided,
    in trouble, ready) moves it at once. `now` and `held_until` are the caller's (the previous
    call's `held_until`)."""
    kept: dict[str, float] = {}
    placed: list[FleetRow] = []
    for row in rows:
        if row.outcome == IN_PROGRESS and row.rank == FAILING_IN_PROGRESS:
            kept[row.context] = now + HOLD
        elif row.outcome == IN_PROGRESS and held_until.get(row.context, now) > now:
            kept[row.context] = held_until[row.context]
            if row.rank > FAILING_IN_PROGRESS:
                row = replace(row, held=True)
        placed.append(row)
    return FleetOrder(sorted(placed, key=lambda r: (r.place, r.context)), kept)


@dataclass(frozen=True)
class FleetTotals:
    members: int
    by_outcome: tuple[tuple[str, int], ...]
    """(outcome, how many) for the outcomes that occur, in `TOTALS_ORDER`."""
    warned: int = 0
    """Members with a warning."""
    notice: str = ""
    """What the fleet as a whole says (a kubeconfig directory that cannot be listed), or ""."""

    @property
    def text(self) -> str:
        """ "7 Sovereigns: 4 ready, 1 failed, 2 in progress"."""
        counts = counts_text(self.by_outcome)
        noun = "Sovereign" if self.members == 1 else "Sovereigns"
        return f"{self.members} {noun}: {counts}" if counts else f"{self.members} {noun}"


def outcome_counts(outcomes: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """(outcome, how many) for the outcomes that occur, in `TOTALS_ORDER`, others after."""
    counts = Counter(outcomes)
    order = [o for o, _ in TOTALS_ORDER]
    known = [(o, counts[o]) for o in order if counts[o]]
    other = sorted((o, n) for o, n in counts.items() if o not in order)
    return tuple(known + other)


def counts_text(by_outcome: Iterable[tuple[str, int]]) -> str:
    """ "4 ready, 1 failed, 2 in trouble": the words every fleet view counts members in."""
    words = dict(TOTALS_ORDER)
    return ", ".join(f"{n} {words.get(o, o)}" for o, n in by_outcome)


def fleet_totals(rows: list[FleetRow], *, notice: str = "") -> FleetTotals:
    return FleetTotals(
        len(rows),
        outcome_counts(r.outcome for r in rows),
        sum(1 for r in rows if r.warnings),
        notice,
    )
