"""The short root cause a release row shows, kept in parts so a narrow column shortens it smartly.

"← bp-loki: Multi-Attach storage-loki-0" is the blocking release, the reason and the object at the
root. At 80 columns the cause column has about 31 cells, so cutting the whole text at the end
would lose the object and often the reason. `ShortCause.fit()` shortens the least useful part
first: well-known reasons get their short names (CrashLoop, ImagePull), and only then is the
object cut, at its end. The blocker, a name the operator types into `/` or `flux reconcile`, is
never shortened. The decisive line of the culprit container's log follows where at least 20 cells
of it fit ("← bp-spire: CrashLoop spire-server-0: unable to create controller: no m…"). A release
waiting behind one where nothing has failed shows just "← bp-cilium":
the blocker's own row carries the detail, which changes every few seconds while it installs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sovwatch.model.rootcause import RETRY_DUE
from sovwatch.model.snapshot import ReleaseView
from sovwatch.model.states import BAD_STATES, State
from sovwatch.views.tui.glyphs import Glyphs

RETRY_PENDING = "HR Ready, retry due"
"""Shown for the model's `RetryDue`: the dependency a release waits for is Ready as Flux sees it
(its HelmRelease; its pods may still fail) and helm-controller has not re-checked yet."""

SHORT_REASONS = {
    "ArtifactFailed": "ArtifactFail",
    "AuthenticationFailed": "AuthFailed",
    "ContainerCreating": "Creating",
    "ContainersNotReady": "NotReady",
    "CrashLoopBackOff": "CrashLoop",
    "CreateContainerConfigError": "ConfigError",
    "CreateContainerError": "CreateError",
    "DependencyNotReady": "DepNotReady",
    "ErrImagePull": "ImagePull",
    "ExternalProvisioning": "Provisioning",
    "FailedAttachVolume": "AttachFailed",
    "FailedBinding": "BindFailed",
    "FailedMount": "MountFailed",
    "FailedScheduling": "Unschedulable",
    "HealthCheckFailed": "HealthCheck",
    "HelmChartNotReady": "ChartNotReady",
    "ImagePullBackOff": "ImagePull",
    "InstallFailed": "InstallFail",
    "LivenessProbeFailed": "LivenessFail",
    "NoSourceArtifact": "NoArtifact",
    "ProgressDeadlineExceeded": "Deadline",
    "ProvisioningFailed": "ProvisionFail",
    "RetriesExceeded": "Retries",
    RETRY_PENDING: "retry due",
    "RunContainerError": "RunError",
    "SourceNotReady": "SourceNotReady",
    "StartupProbeFailed": "StartupFail",
    "UpgradeFailed": "UpgradeFail",
}
"""Short names for the kubelet's, controllers' and Flux's reasons an operator knows by sight."""

LOG_ROOM = 20
"""Cells of a decisive log line worth showing in the cause column (less says nothing)."""

EXPLAINED = frozenset({State.WAITING, State.FAILED, State.STALLED, State.PROGRESSING})
"""States whose rows show a short root cause."""


def shared_prefix(names: list[str]) -> str:
    """The dash-ended prefix every release name shares ("bp-"), or "" when there is none."""
    if len(names) < 2:
        return ""
    common = os.path.commonprefix(names)
    return common[: common.rfind("-") + 1]


def culprit(release: ReleaseView, names: frozenset[str]) -> str:
    """The release that blocks this one: the last release named in its root-cause chain."""
    chain = release.root_cause.chain if release.root_cause else ()
    blockers = [link.strip() for link in chain[1:] if link.strip() in names]
    if blockers:
        return blockers[-1]
    return release.blocked_by[0][2] if release.blocked_by else ""


@dataclass(frozen=True)
class ShortCause:
    """A row's cause in parts: "← {blocker}: {reason} {subject}"."""

    blocker: str = ""
    """The release this one waits for ("" when the trouble is its own)."""
    reason: str = ""
    subject: str = ""
    """The object at the root (pod, claim, chart) or, for a release's own verdict, its message."""
    message: bool = False
    """True when `subject` is a message (joined with ": ") rather than an object name."""
    log: str = ""
    """The decisive line of the culprit container's log, shown after the rest where it fits."""

    def __bool__(self) -> bool:
        return bool(self.blocker or self.reason or self.subject)

    def text(self, glyphs: Glyphs, *, short_reason: bool = False) -> str:
        reason = SHORT_REASONS.get(self.reason, self.reason) if short_reason else self.reason
        what = (": " if self.message else " ").join(p for p in (reason, self.subject) if p)
        if not self.blocker:
            return what
        lead = f"{glyphs.blocked_by} {self.blocker}"
        return f"{lead}: {what}" if what else lead

    def fit(self, width: int, glyphs: Glyphs) -> str:
        """The most complete form that fits `width` cells: in full, else with a short reason; the
        log line, cut at its end, while at least `LOG_ROOM` cells of it show; else without it, cut
        at its end if need be (which cuts the subject first)."""
        if width <= 0:
            return ""
        if self.log:
            for short_reason in (False, True):
                lead = self.text(glyphs, short_reason=short_reason) + ": "
                if len(lead) + len(self.log) <= width:
                    return lead + self.log
                if len(lead) + LOG_ROOM <= width:
                    return (lead + self.log)[: width - 1] + glyphs.ellipsis
        text = self.text(glyphs)
        if len(text) <= width:
            return text
        text = self.text(glyphs, short_reason=True)
        return text if len(text) <= width else text[: width - 1] + glyphs.ellipsis


def cause_of(release: ReleaseView, names: frozenset[str]) -> ShortCause:
    """The short root cause of a waiting, failing or progressing release (empty otherwise)."""
    state = release.verdict.state
    if state not in EXPLAINED:
        return ShortCause()
    cause = release.root_cause.cause if release.root_cause else None
    blocker = culprit(release, names) if state is State.WAITING else ""
    if (cause is None or cause.kind == "HelmRelease") and not blocker:
        if state is State.PROGRESSING:
            return ShortCause()
        verdict = release.verdict
        return ShortCause(reason=verdict.reason, subject=verdict.message, message=True)
    if cause is not None and cause.reason == RETRY_DUE:
        return ShortCause(blocker=blocker, reason=RETRY_PENDING)
    if cause is None or (blocker and cause.state not in BAD_STATES):
        # Nothing has failed behind the blocker: its own row says what it is doing (its pod's
        # phase moves every few seconds; repeated on every release waiting behind it, that
        # rewrote dozens of rows a time).
        return ShortCause(blocker=blocker)
    own = cause.kind == "HelmRelease"  # a waiting release: the blocker names it already
    excerpt = release.root_cause.log_excerpt if release.root_cause else None
    return ShortCause(
        blocker=blocker,
        reason=cause.reason,
        subject="" if own else cause.name,
        log=excerpt.decisive if excerpt is not None else "",
    )
