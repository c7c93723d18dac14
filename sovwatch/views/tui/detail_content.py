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

from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import culprit, short, state_of
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import STATE_STYLE
from sovwatch.views.tui.viewmodel import KIND_NOUN, age, chart_text, epoch, kind_noun, probe_state

PROBE_STYLE = {"failing": "bold $state-failed", "passing": "$state-ready", "unknown": "dim"}


def badge(state: State, glyphs: Glyphs) -> tuple[str, str]:
    return (f"{glyphs.state[state]} {state.value}", STATE_STYLE[state])


def heading(title: str) -> Content:
    return Content.assemble((title, "bold underline"))


def next_commands(release: dict, names: frozenset[str]) -> list[str]:
    """kubectl and flux commands for the object at the root of the trouble, then the release."""
    commands = []
    cause = release.get("rootCause") or {}
    kind, ns, name = cause.get("kind", ""), cause.get("namespace", ""), cause.get("name", "")
    if kind in KIND_NOUN and kind != "HelmRelease" and name:
        commands.append(f"kubectl -n {ns} describe {kind_noun(kind)} {name}")
    for pod in release.get("pods") or []:
        if pod.get("restarts"):
            commands.append(f"kubectl -n {pod['namespace']} logs {pod['name']} --previous")
            break
    target = culprit(release, names) if state_of(release) is State.WAITING else ""
    hr_ns = release.get("namespace", "")
    hr_name = target or release.get("name", "")
    commands.append(f"flux reconcile hr {hr_name} -n {hr_ns}")
    commands.append(f"kubectl -n {hr_ns} describe hr {hr_name}")
    return commands


def render(
    release: dict,
    releases: dict[str, dict],
    *,
    conditions: list[dict],
    events: list[dict],
    now: float,
    glyphs: Glyphs,
    width: int | None = None,
) -> Content:
    """The whole detail text for `release`.

    Args:
        releases: every release by `namespace/name` (for dependency states).
        conditions: the HelmRelease's `status.conditions`, as the API has them.
        events: the snapshot's recent events (those about this release's objects are shown).
        width: wrap long lines to this many cells under their own indent (None: no wrapping).
    """
    state = state_of(release)
    since = epoch(release.get("since"))
    helm = release.get("helm") or {}
    lines: list[Content] = [
        Content.assemble(
            (release.get("name", ""), "bold"),
            f"  {release.get('namespace', '')}  ",
            badge(state, glyphs),
            f"  {release.get('reason', '')}",
            f"  for {age(now - since)}" if since is not None else "",
        ),
        Content.assemble(
            ("chart ", "dim"),
            chart_text(release) or glyphs.dash,
            ("  wave ", "dim"),
            str(release.get("wave") if release.get("wave") is not None else glyphs.dash),
            ("  HelmRelease ", "dim"),
            badge(state_of(helm), glyphs) if helm else glyphs.dash,
            f"  {helm.get('reason', '')}",
        ),
    ]
    if release.get("message"):
        lines.append(Content(f"  {release['message']}"))
    names = frozenset(short(k) for k in releases)
    lines += _conditions(conditions)
    lines += _dependencies(release, releases, glyphs)
    lines += _root_cause(release)
    lines += _pods(release, glyphs, now=now)
    lines += _volumes(release, glyphs)
    lines += _log_excerpt((release.get("rootCause") or {}).get("logExcerpt"), release)
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


def _dependencies(release: dict, releases: dict[str, dict], glyphs: Glyphs) -> list[Content]:
    deps = release.get("dependsOn") or []
    if not deps:
        return []
    parts: list[str | tuple[str, str]] = ["  "]
    for dep in deps:
        found = releases.get(dep)
        dep_state = state_of(found) if found else State.UNKNOWN
        parts += [
            (glyphs.state[dep_state], STATE_STYLE[dep_state]),
            f" {short(dep)}",
            ("" if found else " (missing)", "bold $state-failed"),
            "  ",
        ]
    return [heading("Depends on"), Content.assemble(*parts)]


def _root_cause(release: dict) -> list[Content]:
    cause = release.get("rootCause")
    if not cause or state_of(release) is State.READY:
        return []
    chain = cause.get("chain") or " ".join(
        p for p in (cause.get("kind", ""), cause.get("name", ""), cause.get("message", "")) if p
    )
    return [heading("Root cause"), Content.assemble(("  " + chain, "$state-waiting"))]


EXCERPT_LINES = 12
"""Newest lines of a log excerpt the pane shows under its decisive line (the snapshot has more)."""


def _log_excerpt(excerpt: dict | None, release: dict) -> list[Content]:
    """The culprit container's log (after the pods: the root cause's chain already ends with its
    decisive line): the decisive line in full, then the newest lines as read."""
    if not excerpt or not excerpt.get("lines") or state_of(release) is State.READY:
        return []
    run = "previous run" if excerpt.get("run") == "previous" else "current run"
    lines = [
        heading(
            f"Log of {excerpt.get('container', '')} ({run}, restarts {excerpt.get('restartCount', 0)})"
        )
    ]
    if excerpt.get("decisive"):
        lines.append(Content.assemble(("  " + excerpt["decisive"], "bold $state-failed")))
    lines += [
        Content.assemble(("  | ", "dim"), line)
        for line in (excerpt.get("lines") or [])[-EXCERPT_LINES:]
    ]
    return lines


CONTROLLER_LINES = 8
"""helm-controller's newest lines about the release the pane shows (the snapshot has more)."""


def _controller_log(release: dict) -> list[Content]:
    """helm-controller's own words about a release that is not ready (`flux logs` would show)."""
    entries = release.get("helmControllerLog") or []
    if not entries or state_of(release) is State.READY:
        return []
    lines = [heading("helm-controller says")]
    for entry in entries[-CONTROLLER_LINES:]:
        text = entry.get("msg", "") + (f": {entry['error']}" if entry.get("error") else "")
        style = "bold $state-failed" if entry.get("level") == "error" else ""
        lines.append(
            Content.assemble((f"  {entry.get('ts', '')} ", "dim"), (text, style) if style else text)
        )
    return lines


POD_ORDER = {State.FAILED: 0, State.STALLED: 0, State.WAITING: 1, State.PROGRESSING: 1}
"""Troubled pods first (a DaemonSet's one broken pod among ten ready ones)."""


def _pods(release: dict, glyphs: Glyphs, *, now: float) -> list[Content]:
    pods = sorted(release.get("pods") or [], key=lambda p: POD_ORDER.get(state_of(p), 2))
    if not pods:
        return []
    out = [heading("Pods")]
    for pod in pods:
        containers = pod.get("containerStatuses")
        calm = containers is not None and _healthy(pod, containers)
        out.append(
            Content.assemble(
                f"  {pod.get('name', '')}  ",
                badge(state_of(pod), glyphs),
                f"  {pod.get('status') or pod.get('reason', '')}",
                f"  ready {pod.get('ready', 0)}/{pod.get('containers', 0)}",
                f"  restarts {pod.get('restarts', 0)}",
                ("  probes ok", "dim") if calm and _has_probes(pod.get("probes")) else "",
            )
        )
        if calm:  # one line is enough for a pod with nothing to say
            continue
        if pod.get("message"):
            out.append(Content.assemble(("    " + pod["message"], "dim")))
        if containers is None:  # a snapshot from before per-container detail: the pod's worst
            out += _probes(pod.get("probes") or {}, indent="    ")
        for container in containers or []:
            out += _container(container, glyphs, now=now)
    return out


def _has_probes(probes: dict | None) -> bool:
    return any(probe_state(p) != "none" for p in (probes or {}).values())


def _healthy(pod: dict, containers: list[dict]) -> bool:
    """Ready, never restarted, and no probe failing or failed lately."""
    probes = [p for c in containers for p in (c.get("probes") or {}).values()]
    return (
        state_of(pod) is State.READY
        and not pod.get("restarts")
        and all(c.get("ready") or c.get("init") for c in containers)
        and all(probe_state(p) in ("passing", "none") and not p.get("failures") for p in probes)
    )


def _container(c: dict, glyphs: Glyphs, *, now: float) -> list[Content]:
    """One container: its state and waiting/terminated reason, readiness, restarts and how its
    previous run ended, its message, then its probes and their last failures."""
    state, reason = str(c.get("state") or "pending"), str(c.get("reason") or "")
    done = state == "terminated" and c.get("exitCode") == 0
    if c.get("ready") or done:
        style = "dim" if done else STATE_STYLE[State.READY]
    elif state in ("waiting", "terminated") and reason not in (
        "",
        "ContainerCreating",
        "PodInitializing",
    ):
        style = STATE_STYLE[State.FAILED]
    else:
        style = "dim" if state == "pending" else STATE_STYLE[State.PROGRESSING]
    exit_code = c.get("exitCode")
    parts: list[str | tuple[str, str]] = [
        f"    {glyphs.bullet} ",
        (c.get("name", ""), "bold"),
        (" (init)" if c.get("init") else "", "dim"),
        "  ",
        (" ".join(p for p in (state, reason) if p), style),
        f" exit {exit_code}" if exit_code is not None else "",
        "" if c.get("init") else ("  ready" if c.get("ready") else "  not ready"),
        f"  restarts {c.get('restarts', 0)}",
    ]
    last = c.get("lastTermination")
    if last:
        finished = epoch(last.get("finishedAt"))
        ago = f" {age(now - finished)} ago" if finished is not None else ""
        parts.append(
            (f"  last run: {last.get('reason') or 'ended'} exit {last.get('exitCode')}{ago}", "dim")
        )
    out = [Content.assemble(*parts)]
    for text in (c.get("message"), (last or {}).get("message")):
        # whole (bounded) messages: a Go panic or a stack trace keeps its lines
        out.extend(Content.assemble(("      " + line, "dim")) for line in _lines(text))
    return out + _probes(c.get("probes") or {}, indent="      ")


def _lines(text: str | None) -> list[str]:
    return [line for line in str(text or "").splitlines() if line.strip()]


def _probes(probes: dict, *, indent: str) -> list[Content]:
    """Each probe that exists, with its failures, then the last failure message of each."""
    kinds = [
        k for k in ("readiness", "liveness", "startup") if probe_state(probes.get(k)) != "none"
    ]
    if not kinds:
        return []
    parts: list[str | tuple[str, str]] = [indent.removesuffix("  ") + "  probes:"]
    last = []
    for kind in kinds:
        probe = probes[kind]
        state = probe_state(probe)
        failures = probe.get("failures", 0) if isinstance(probe, dict) else 0
        parts += [f" {kind} ", (state, PROBE_STYLE.get(state, "dim"))]
        if failures:
            parts.append(f" ({failures} failures)" if failures > 1 else " (1 failure)")
        if isinstance(probe, dict) and probe.get("lastMessage"):
            last.append(
                Content.assemble((f"{indent}  last {kind} failure: {probe['lastMessage']}", "dim"))
            )
    return [Content.assemble(*parts), *last]


def _volumes(release: dict, glyphs: Glyphs) -> list[Content]:
    volumes = release.get("volumes") or []
    if not volumes:
        return []
    out = [heading("Volumes")]
    for v in volumes:
        out.append(
            Content.assemble(
                f"  {v.get('name', '')}  ",
                badge(state_of(v), glyphs),
                f"  {v.get('phase', '')}",
                f"  attach {v.get('attach') or glyphs.dash}",
                f"  {v.get('reason', '')}",
                f"  used by {', '.join(v['consumers'])}" if v.get("consumers") else "",
            )
        )
        if v.get("message"):
            out.append(Content.assemble(("    " + v["message"], "dim")))
    return out


def _events(release: dict, events: list[dict], *, now: float) -> list[Content]:
    """The snapshot's events about this release's HelmRelease, pods and volumes."""
    mine = {("HelmRelease", release.get("namespace", ""), release.get("name", ""))}
    mine |= {("Pod", p.get("namespace", ""), p.get("name", "")) for p in release.get("pods") or []}
    mine |= {
        ("PersistentVolumeClaim", v.get("namespace", ""), v.get("name", ""))
        for v in release.get("volumes") or []
    }
    related = [
        e
        for e in events
        if tuple((e.get("involvedObject") or {}).get(f, "") for f in ("kind", "namespace", "name"))
        in mine
    ]
    if not related:
        return []
    out = [heading("Events")]
    for e in related[:8]:
        seen = epoch(e.get("lastSeen"))
        ref = e.get("involvedObject") or {}
        out.append(
            Content.assemble(
                "  ",
                (e.get("type", ""), "$state-waiting" if e.get("type") == "Warning" else "dim"),
                f" {e.get('reason', '')} x{e.get('count', 1)}",
                f" {age(now - seen)} ago" if seen is not None else "",
                f"  {kind_noun(ref.get('kind', ''))}/{ref.get('name', '')}  ",
                (" ".join(str(e.get("message", "")).split()), "dim"),
            )
        )
    return out
