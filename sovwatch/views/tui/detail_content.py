"""The detail pane's text for one release: everything an operator needs to act on it.

Sections: the release line, the HelmRelease's own verdict and its conditions, dependsOn with each
dependency's state, the root-cause chain (ending with the culprit container's decisive log line),
pods with readiness/liveness/startup probe state and the last failure, PVCs with phase and attach
state, the culprit container's log and helm-controller's own lines about the release, recent
events and copy-pasteable next commands.
Everything except the raw conditions comes from the snapshot; the commands are written from the
names the model reports (the root-cause object first, then the release to reconcile).
"""

from __future__ import annotations

from textual.content import Content

from sovwatch.model.events import EventRecord
from sovwatch.model.pod import ContainerHealth, PodHealth
from sovwatch.model.probes import PROBE_KINDS, ProbeStatus
from sovwatch.model.snapshot import Key, ReleaseView
from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import culprit
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import STATE_STYLE
from sovwatch.views.tui.viewmodel import KIND_NOUN, age, kind_noun

PROBE_STYLE = {"failing": "bold $state-failed", "passing": "$state-ready", "unknown": "dim"}


def badge(state: State, glyphs: Glyphs) -> tuple[str, str]:
    return (f"{glyphs.state[state]} {state.value}", STATE_STYLE[state])


def heading(title: str) -> Content:
    return Content.assemble((title, "bold underline"))


def next_commands(release: ReleaseView, names: frozenset[str]) -> list[str]:
    """kubectl and flux commands for the object at the root of the trouble, then the release."""
    commands = []
    cause = release.root_cause.cause if release.root_cause else None
    if cause is not None and cause.kind in KIND_NOUN and cause.kind != "HelmRelease" and cause.name:
        commands.append(
            f"kubectl -n {cause.namespace} describe {kind_noun(cause.kind)} {cause.name}"
        )
    for pod in release.core.pods:
        if pod.restarts:
            commands.append(f"kubectl -n {pod.key[1]} logs {pod.key[2]} --previous")
            break
    target = culprit(release, names) if release.verdict.state is State.WAITING else ""
    hr_ns = release.key[1]
    hr_name = target or release.key[2]
    commands.append(f"flux reconcile hr {hr_name} -n {hr_ns}")
    commands.append(f"kubectl -n {hr_ns} describe hr {hr_name}")
    return commands


def render(
    release: ReleaseView,
    releases: dict[Key, ReleaseView],
    *,
    conditions: list[dict],
    events: tuple[EventRecord, ...],
    now: float,
    glyphs: Glyphs,
    width: int | None = None,
) -> Content:
    """The whole detail text for `release`.

    Args:
        releases: every release by key (for dependency states).
        conditions: the HelmRelease's `status.conditions`, as the API has them.
        events: the snapshot's recent events (those about this release's objects are shown).
        width: wrap long lines to this many cells under their own indent (None: no wrapping).
    """
    verdict, core = release.verdict, release.core
    since = core.since
    lines: list[Content] = [
        Content.assemble(
            (release.key[2], "bold"),
            f"  {release.key[1]}  ",
            badge(verdict.state, glyphs),
            f"  {verdict.reason}",
            f"  for {age(now - since)}" if since is not None else "",
        ),
        Content.assemble(
            ("chart ", "dim"),
            core.chart or glyphs.dash,
            ("  wave ", "dim"),
            str(release.wave if release.wave is not None else glyphs.dash),
            ("  HelmRelease ", "dim"),
            badge(core.helm.state, glyphs),
            f"  {core.helm.reason}",
        ),
    ]
    if verdict.message:
        lines.append(Content(f"  {verdict.message}"))
    names = frozenset(k[2] for k in releases)
    lines += _conditions(conditions)
    lines += _dependencies(release, releases, glyphs)
    lines += _root_cause(release)
    lines += _pods(release, glyphs, now=now)
    lines += _volumes(release, glyphs)
    lines += _log_excerpt(release)
    lines += _controller_log(release)
    lines += _events(release, events, now=now)
    lines.append(heading("Next"))
    lines += [Content(f"  {command}") for command in next_commands(release, names)]
    if width:
        lines = [piece for line in lines for piece in hang(line, width)]
    return Content("\n").join(lines)


def hang(line: Content, width: int) -> list[Content]:
    """`line` wrapped to `width` cells, continuation lines indented two cells past its own indent,
    so a long message stays under the item it belongs to."""
    if line.cell_length <= width:
        return [line]
    indent = len(line.plain) - len(line.plain.lstrip(" "))
    room = max(width - indent - 2, 10)
    pieces = line[indent:].wrap(room)
    return [
        pieces[0].pad_left(indent),
        *(piece.pad_left(indent + 2) for piece in pieces[1:]),
    ]


def _conditions(conditions: list[dict]) -> list[Content]:
    if not conditions:
        return []
    out = [heading("Conditions")]
    for c in conditions:
        status = c.get("status", "")
        style = {"True": "$state-ready", "False": "$state-failed"}.get(status, "dim")
        out.append(
            Content.assemble(
                f"  {c.get('type', '')}=",
                (status, style),
                f"  {c.get('reason', '')}  ",
                (" ".join(str(c.get("message", "")).split()), "dim"),
            )
        )
    return out


def _dependencies(
    release: ReleaseView, releases: dict[Key, ReleaseView], glyphs: Glyphs
) -> list[Content]:
    deps = release.core.depends_on
    if not deps:
        return []
    parts: list[str | tuple[str, str]] = ["  "]
    for dep in deps:
        found = releases.get(dep)
        dep_state = found.verdict.state if found else State.UNKNOWN
        parts += [
            (glyphs.state[dep_state], STATE_STYLE[dep_state]),
            f" {dep[2]}",
            ("" if found else " (missing)", "bold $state-failed"),
            "  ",
        ]
    return [heading("Depends on"), Content.assemble(*parts)]


def _root_cause(release: ReleaseView) -> list[Content]:
    root = release.root_cause
    if root is None or release.verdict.state is State.READY:
        return []
    cause = root.cause
    chain = root.text or " ".join(p for p in (cause.kind, cause.name, cause.message) if p)
    return [heading("Root cause"), Content.assemble(("  " + chain, "$state-waiting"))]


EXCERPT_LINES = 12
"""Newest lines of a log excerpt the pane shows under its decisive line (the snapshot has more)."""


def _log_excerpt(release: ReleaseView) -> list[Content]:
    """The culprit container's log (after the pods: the root cause's chain already ends with its
    decisive line): the decisive line in full, then the newest lines as read."""
    excerpt = release.root_cause.log_excerpt if release.root_cause else None
    if excerpt is None or not excerpt.lines or release.verdict.state is State.READY:
        return []
    lines = [
        heading(f"Log of {excerpt.container} ({excerpt.run} run, restarts {excerpt.restarts})")
    ]
    if excerpt.decisive:
        lines.append(Content.assemble(("  " + excerpt.decisive, "bold $state-failed")))
    lines += [Content.assemble(("  | ", "dim"), line) for line in excerpt.lines[-EXCERPT_LINES:]]
    return lines


CONTROLLER_LINES = 8
"""helm-controller's newest lines about the release the pane shows (the snapshot has more)."""


def _controller_log(release: ReleaseView) -> list[Content]:
    """helm-controller's own words about a release that is not ready (`flux logs` would show)."""
    entries = release.controller_log
    if not entries or release.verdict.state is State.READY:
        return []
    lines = [heading("helm-controller says")]
    for entry in entries[-CONTROLLER_LINES:]:
        text = entry.msg + (f": {entry.error}" if entry.error else "")
        style = "bold $state-failed" if entry.level == "error" else ""
        lines.append(Content.assemble((f"  {entry.ts} ", "dim"), (text, style) if style else text))
    return lines


POD_ORDER = {State.FAILED: 0, State.STALLED: 0, State.WAITING: 1, State.PROGRESSING: 1}
"""Troubled pods first (a DaemonSet's one broken pod among ten ready ones)."""


def _pods(release: ReleaseView, glyphs: Glyphs, *, now: float) -> list[Content]:
    pods = sorted(release.core.pods, key=lambda p: POD_ORDER.get(p.verdict.state, 2))
    if not pods:
        return []
    out = [heading("Pods")]
    for pod in pods:
        calm = _healthy(pod)
        out.append(
            Content.assemble(
                f"  {pod.key[2]}  ",
                badge(pod.verdict.state, glyphs),
                f"  {pod.status or pod.verdict.reason}",
                f"  ready {pod.ready}/{pod.total}",
                f"  restarts {pod.restarts}",
                ("  probes ok", "dim") if calm and _has_probes(pod.probes) else "",
            )
        )
        if calm:  # one line is enough for a pod with nothing to say
            continue
        if pod.verdict.message:
            out.append(Content.assemble(("    " + pod.verdict.message, "dim")))
        for container in pod.containers:
            out += _container(container, glyphs, now=now)
    return out


def _has_probes(probes: dict[str, ProbeStatus]) -> bool:
    return any(p.state != "none" for p in probes.values())


def _healthy(pod: PodHealth) -> bool:
    """Ready, never restarted, and no probe failing or failed lately."""
    probes = [p for c in pod.containers for p in c.probes.values()]
    return (
        pod.verdict.state is State.READY
        and not pod.restarts
        and all(c.ready or c.init for c in pod.containers)
        and all(p.state in ("passing", "none") and not p.failures for p in probes)
    )


def _container(c: ContainerHealth, glyphs: Glyphs, *, now: float) -> list[Content]:
    """One container: its state and waiting/terminated reason, readiness, restarts and how its
    previous run ended, its message, then its probes and their last failures."""
    state, reason = c.state or "pending", c.reason
    done = state == "terminated" and c.exit_code == 0
    if c.ready or done:
        style = "dim" if done else STATE_STYLE[State.READY]
    elif state in ("waiting", "terminated") and reason not in (
        "",
        "ContainerCreating",
        "PodInitializing",
    ):
        style = STATE_STYLE[State.FAILED]
    else:
        style = "dim" if state == "pending" else STATE_STYLE[State.PROGRESSING]
    parts: list[str | tuple[str, str]] = [
        f"    {glyphs.bullet} ",
        (c.name, "bold"),
        (" (init)" if c.init else "", "dim"),
        "  ",
        (" ".join(p for p in (state, reason) if p), style),
        f" exit {c.exit_code}" if c.exit_code is not None else "",
        "" if c.init else ("  ready" if c.ready else "  not ready"),
        f"  restarts {c.restarts}",
    ]
    last = c.last_termination
    if last is not None:
        finished = last.finished_at
        ago = f" {age(now - finished)} ago" if finished is not None else ""
        parts.append((f"  last run: {last.reason or 'ended'} exit {last.exit_code}{ago}", "dim"))
    out = [Content.assemble(*parts)]
    for text in (c.message, last.message if last is not None else None):
        # whole (bounded) messages: a Go panic or a stack trace keeps its lines
        out.extend(Content.assemble(("      " + line, "dim")) for line in _lines(text))
    return out + _probes(c.probes, indent="      ")


def _lines(text: str | None) -> list[str]:
    return [line for line in str(text or "").splitlines() if line.strip()]


def _probes(probes: dict[str, ProbeStatus], *, indent: str) -> list[Content]:
    """Each probe that exists, with its failures, then the last failure message of each."""
    kinds = [k for k in PROBE_KINDS if k in probes and probes[k].state != "none"]
    if not kinds:
        return []
    parts: list[str | tuple[str, str]] = [indent.removesuffix("  ") + "  probes:"]
    last = []
    for kind in kinds:
        probe = probes[kind]
        parts += [f" {kind} ", (probe.state, PROBE_STYLE.get(probe.state, "dim"))]
        if probe.failures:
            parts.append(f" ({probe.failures} failures)" if probe.failures > 1 else " (1 failure)")
        if probe.last_message:
            last.append(
                Content.assemble((f"{indent}  last {kind} failure: {probe.last_message}", "dim"))
            )
    return [Content.assemble(*parts), *last]


def _volumes(release: ReleaseView, glyphs: Glyphs) -> list[Content]:
    volumes = release.core.volumes
    if not volumes:
        return []
    out = [heading("Volumes")]
    for v in volumes:
        out.append(
            Content.assemble(
                f"  {v.key[2]}  ",
                badge(v.verdict.state, glyphs),
                f"  {v.phase}",
                f"  attach {v.attach or glyphs.dash}",
                f"  {v.verdict.reason}",
                f"  used by {', '.join(v.consumers)}" if v.consumers else "",
            )
        )
        if v.verdict.message:
            out.append(Content.assemble(("    " + v.verdict.message, "dim")))
    return out


def _events(release: ReleaseView, events: tuple[EventRecord, ...], *, now: float) -> list[Content]:
    """The snapshot's events about this release's HelmRelease, pods and volumes."""
    mine = {("HelmRelease", *release.key[1:])}
    mine |= {("Pod", *p.key[1:]) for p in release.core.pods}
    mine |= {("PersistentVolumeClaim", *v.key[1:]) for v in release.core.volumes}
    related = [e for e in events if e.involved in mine]
    if not related:
        return []
    out = [heading("Events")]
    for e in related[:8]:
        kind, _, name = e.involved
        out.append(
            Content.assemble(
                "  ",
                (e.type, "$state-waiting" if e.type == "Warning" else "dim"),
                f" {e.reason} x{e.count}",
                f" {age(now - e.last)} ago" if e.last is not None else "",
                f"  {kind_noun(kind)}/{name}  ",
                (" ".join(e.message.split()), "dim"),
            )
        )
    return out
