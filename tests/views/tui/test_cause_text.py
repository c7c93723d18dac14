"""The short root cause in a narrow column: the blocker whole, then the reason, then the object."""

from __future__ import annotations

import pytest

from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.rootcause import Cause, RootCause
from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import ShortCause, cause_of, shared_prefix
from sovwatch.views.tui.glyphs import ASCII, UTF8
from tests.views.view_snapshots import HR
from tests.views.view_snapshots import release as view_release

LOKI = ShortCause(blocker="bp-loki", reason="Multi-Attach", subject="storage-loki-0")
RETRY = ShortCause(blocker="bp-cert-manager", reason="HR Ready, retry due")
VPA = ShortCause(reason="ImagePullBackOff", subject="vpa-recommender-jzb8qlgmwx-nxv9t")
SPIRE = ShortCause(
    reason="RetriesExceeded",
    subject="Failed to install after 4 attempt(s): Helm uninstall remediation succeeded",
    message=True,
)


@pytest.mark.parametrize(
    ("cause", "width", "expected"),
    [
        (LOKI, 60, "← bp-loki: Multi-Attach storage-loki-0"),
        (LOKI, 38, "← bp-loki: Multi-Attach storage-loki-0"),
        (LOKI, 31, "← bp-loki: Multi-Attach storag…"),
        (LOKI, 20, "← bp-loki: Multi-At…"),
        (VPA, 49, "ImagePullBackOff vpa-recommender-jzb8qlgmwx-nxv9t"),
        (VPA, 48, "ImagePull vpa-recommender-jzb8qlgmwx-nxv9t"),
        (VPA, 31, "ImagePull vpa-recommender-jzb8…"),
        (SPIRE, 31, "Retries: Failed to install aft…"),
        (ShortCause(blocker="bp-keycloak"), 31, "← bp-keycloak"),
        (RETRY, 40, "← bp-cert-manager: HR Ready, retry due"),
        (RETRY, 31, "← bp-cert-manager: retry due"),
        (ShortCause(), 31, ""),
        (LOKI, 0, ""),
    ],
    ids=[
        "fits",
        "exactly",
        "80-columns-cuts-the-object",
        "very-narrow",
        "own-trouble-fits",
        "short-reason-first",
        "then-the-object",
        "message",
        "blocker-only",
        "retry-due",
        "retry-due-80-columns",
        "nothing",
        "no-room",
    ],
)
def test_fit(cause, width, expected):
    text = cause.fit(width, UTF8)
    assert text == expected
    assert len(text) <= width


def test_ascii():
    assert LOKI.fit(31, ASCII) == "<- bp-loki: Multi-Attach stora~"


def release(
    state: str,
    *,
    cause: tuple[str, str, State, str] | None = None,
    chain: tuple[str, ...] = (),
    reason: str = "",
    message: str = "",
    blocked_by: tuple[str, ...] = (),
):
    """bp-x in `state`; `cause` is the root cause's (kind, name, state, reason)."""
    root = None
    if cause is not None:
        kind, name, cause_state, cause_reason = cause
        root = RootCause(
            Cause(
                kind,
                "loki" if kind != "HelmRelease" else "flux-system",
                name,
                cause_state,
                cause_reason,
                "",
            ),
            chain=chain,
            releases=((HR, "flux-system", "bp-x"),),
        )
    return view_release(
        "bp-x", state, reason=reason, message=message, blocked_by=blocked_by, root_cause=root
    )


NAMES = frozenset({"bp-x", "bp-loki", "bp-seaweedfs", "bp-flux"})


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (release("ready"), ShortCause()),
        (
            release(
                "waiting",
                cause=("PersistentVolumeClaim", "storage-loki-0", State.FAILED, "Multi-Attach"),
                chain=("bp-x", "bp-loki", "pod loki/loki-0 ContainerCreating", "Multi-Attach"),
                blocked_by=("bp-loki",),
            ),
            ShortCause(blocker="bp-loki", reason="Multi-Attach", subject="storage-loki-0"),
        ),
        (
            release(
                "waiting",
                reason="DependencyNotReady",
                cause=("HelmRelease", "bp-seaweedfs", State.WAITING, "DependencyNotReady"),
                chain=("bp-x", "bp-seaweedfs"),
            ),
            ShortCause(blocker="bp-seaweedfs"),
        ),
        (
            release(
                "waiting",
                reason="DependencyNotReady",
                cause=("Pod", "cilium-fzs69", State.PROGRESSING, "ContainerCreating"),
                chain=("bp-x", "bp-cilium", "pod kube-system/cilium-fzs69 ContainerCreating"),
                blocked_by=("bp-cilium",),
            ),
            ShortCause(blocker="bp-cilium"),
        ),
        (
            release(
                "waiting",
                reason="DependencyNotReady",
                cause=("HelmRelease", "bp-seaweedfs", State.STALLED, "RetriesExceeded"),
                chain=("bp-x", "bp-seaweedfs"),
            ),
            ShortCause(blocker="bp-seaweedfs", reason="RetriesExceeded"),
        ),
        (
            release(
                "waiting",
                reason="DependencyNotReady",
                message="dependency 'flux-system/bp-flux' is not ready",
                cause=("HelmRelease", "bp-x", State.WAITING, "RetryDue"),
                chain=("bp-x", "bp-flux"),
            ),
            ShortCause(blocker="bp-flux", reason="HR Ready, retry due"),
        ),
        (
            release(
                "stalled",
                reason="RetriesExceeded",
                message="Failed to install after 4 attempt(s)",
                cause=("HelmRelease", "bp-x", State.STALLED, "RetriesExceeded"),
                chain=("bp-x",),
            ),
            ShortCause(
                reason="RetriesExceeded",
                subject="Failed to install after 4 attempt(s)",
                message=True,
            ),
        ),
        (
            release(
                "progressing",
                reason="Progressing",
                cause=("HelmRelease", "bp-x", State.PROGRESSING, "Progressing"),
            ),
            ShortCause(),
        ),
    ],
    ids=[
        "ready",
        "blocked-by-a-volume",
        "blocked-by-a-waiting-release",
        "blocked-behind-a-progressing-pod",
        "blocked-by-a-stalled-release",
        "retry-due",
        "own",
        "busy",
    ],
)
def test_cause_of(obj, expected):
    assert cause_of(obj, NAMES) == expected


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["bp-cilium", "bp-loki"], "bp-"),
        (["bp-cert-manager", "bp-cert-issuer"], "bp-cert-"),
        (["bp-loki", "cilium"], ""),
        (["bp-loki"], ""),
    ],
)
def test_shared_prefix(names, expected):
    assert shared_prefix(names) == expected


SPIRE_LOG = ShortCause(
    blocker="bp-spire",
    reason="CrashLoopBackOff",
    subject="spire-server-0",
    log='unable to create controller: no matches for kind "ClusterSPIFFEID"',
)


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (
            120,
            "← bp-spire: CrashLoopBackOff spire-server-0: unable to create controller: "
            'no matches for kind "ClusterSPIFFEID"',
        ),
        (75, "← bp-spire: CrashLoopBackOff spire-server-0: unable to create controller: …"),
        (64, "← bp-spire: CrashLoop spire-server-0: unable to create controll…"),
        (57, "← bp-spire: CrashLoopBackOff spire-server-0"),
        (31, "← bp-spire: CrashLoop spire-se…"),
    ],
    ids=["whole", "log-cut", "short-reason-keeps-the-log", "log-dropped", "80-columns"],
)
def test_fit_with_the_decisive_log_line(width, expected):
    text = SPIRE_LOG.fit(width, UTF8)
    assert text == expected
    assert len(text) <= width


def test_cause_of_carries_the_decisive_line():
    root = RootCause(
        Cause("Pod", "spire-system", "spire-server-0", State.FAILED, "CrashLoopBackOff", ""),
        ("bp-spire", "pod spire-system/spire-server-0 CrashLoopBackOff"),
        ((HR, "flux-system", "bp-spire"),),
        LogExcerpt(container="c", previous=True, restarts=3, lines=("boom",), decisive="boom"),
    )
    spire = view_release(
        "bp-spire", "failed", reason="CrashLoopBackOff", message="", root_cause=root
    )
    assert cause_of(spire, frozenset({"bp-spire"})).log == "boom"
