"""The detail pane's text for one release: everything an operator needs to act on it.

Sections: the release line, conditions, dependsOn with each dependency's state, the root-cause
chain, pods with per-container probe states and the last failure, PVCs with attach state, recent
events and copy-pasteable next commands. Everything shown comes from the snapshot; the commands are
written from the names the model reports (root-cause object first, then the release to reconcile).
"""

from __future__ import annotations

from textual.content import Content

from sovwatch.model.states import State
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.viewmodel import age, chart_text, epoch, state_of

STATE_STYLE = {
    State.READY: "$text-success",
    State.PROGRESSING: "$text-primary",
    State.WAITING: "$text-warning",
    State.FAILED: "bold $text-error",
    State.STALLED: "bold $text-error",
    State.SUSPENDED: "$text-secondary",
    State.UNKNOWN: "dim",
}
PROBE_STYLE = {"failing": "bold $text-error", "passing": "$text-success", "unknown": "dim"}
KIND_NOUN = {"Pod": "pod", "PersistentVolumeClaim": "pvc", "HelmRelease": "hr"}


def badge(state: State, glyphs: Glyphs) -> tuple[str, str]:
    return (f"{glyphs.state[state]} {state.value}", STATE_STYLE[state])


def heading(title: str) -> Content:
    return Content.assemble((title, "bold underline"))


def next_commands(release: dict) -> list[str]:
    """kubectl and flux commands for the object at the root of the trouble, then the release."""
    commands = []
    cause = release.get("rootCause") or {}
    kind, ns, name = cause.get("kind", ""), cause.get("namespace", ""), cause.get("name", "")
    if kind in ("Pod", "PersistentVolumeClaim") and name:
        commands.append(f"kubectl -n {ns} describe {KIND_NOUN[kind]} {name}")
    for pod in release.get("pods") or []:
        if pod.get("restarts"):
            commands.append(f"kubectl -n {pod['namespace']} logs {pod['name']} --previous")
            break
    culprit = next(iter(reversed(release.get("blockedBy") or [])), "")
    hr_ns, _, hr_name = culprit.rpartition("/")
    if not hr_name:
        hr_ns, hr_name = release.get("namespace", ""), release.get("name", "")
    commands.append(f"flux reconcile hr {hr_name} -n {hr_ns or release.get('namespace', '')}")
    if kind == "HelmRelease" or not kind:
        commands.append(f"kubectl -n {hr_ns or release.get('namespace', '')} describe hr {hr_name}")
    return commands


def render(release: dict, releases: dict[str, dict], *, now: float, glyphs: Glyphs) -> Content:
    """The whole detail text for `release`; `releases` maps `namespace/name` to every release."""
    state = state_of(release)
    since = epoch(release.get("since"))
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
            str(release.get("wave", glyphs.dash)),
        ),
    ]
    if release.get("message"):
        lines.append(Content(f"  {release['message']}"))
    lines += _conditions(release)
    lines += _dependencies(release, releases, glyphs)
    lines += _root_cause(release, glyphs)
    lines += _pods(release, glyphs)
    lines += _volumes(release, glyphs)
    lines += _events(release, now=now)
    lines.append(heading("Next"))
    lines += [Content(f"  {command}") for command in next_commands(release)]
    return Content("\n").join(lines)


def _conditions(release: dict) -> list[Content]:
    conditions = release.get("conditions") or []
    if not conditions:
        return []
    out = [heading("Conditions")]
    for c in conditions:
        status = c.get("status", "")
        style = {"True": "$text-success", "False": "$text-error"}.get(status, "dim")
        out.append(
            Content.assemble(
                f"  {c.get('type', '')}=",
                (status, style),
                f"  {c.get('reason', '')}  ",
                (c.get("message", ""), "dim"),
            )
        )
    return out


def _dependencies(release: dict, releases: dict[str, dict], glyphs: Glyphs) -> list[Content]:
    deps = release.get("dependsOn") or []
    if not deps:
        return []
    parts: list[str | tuple[str, str]] = ["  "]
    for dep in deps:
        key = dep if "/" in dep else f"{release.get('namespace', '')}/{dep}"
        found = releases.get(key)
        dep_state = state_of(found) if found else State.UNKNOWN
        parts += [
            (glyphs.state[dep_state], STATE_STYLE[dep_state]),
            f" {key.rsplit('/', 1)[-1]}",
            ("" if found else " (missing)", "bold $text-error"),
            "  ",
        ]
    return [heading("Depends on"), Content.assemble(*parts)]


def _root_cause(release: dict, glyphs: Glyphs) -> list[Content]:
    cause = release.get("rootCause")
    if not cause or state_of(release) is State.READY:
        return []
    links = [release.get("name", "")] + [
        b.rsplit("/", 1)[-1] for b in release.get("blockedBy") or []
    ]
    links = list(dict.fromkeys(links))
    noun = KIND_NOUN.get(cause.get("kind", ""), cause.get("kind", "").lower())
    target = f"{noun} {cause.get('namespace', '')}/{cause.get('name', '')}"
    if cause.get("kind") != "HelmRelease":
        links.append(target)
    tail = " ".join(p for p in (cause.get("reason", ""), cause.get("message", "")) if p)
    chain = glyphs.chain.join(links + ([tail] if tail else []))
    return [heading("Root cause"), Content.assemble(("  " + chain, "$text-warning"))]


def _pods(release: dict, glyphs: Glyphs) -> list[Content]:
    pods = release.get("pods") or []
    if not pods:
        return []
    out = [heading("Pods")]
    for pod in pods:
        out.append(
            Content.assemble(
                f"  {pod.get('name', '')}  ",
                badge(state_of(pod), glyphs),
                f"  {pod.get('reason', '')}",
                f"  ready {pod.get('ready', glyphs.dash)}",
                f"  restarts {pod.get('restarts', 0)}",
            )
        )
        # the snapshot contract gives `containers` as a count and the probes per pod; a list of
        # per-container dicts is shown one by one
        containers = pod.get("containers")
        for container in containers if isinstance(containers, list) else [{**pod, "name": ""}]:
            out += _probes(container)
    return out


def _probes(container: dict) -> list[Content]:
    probes = container.get("probes") or {}
    if not probes:
        return []
    parts: list[str | tuple[str, str]] = [f"    {container.get('name') or 'probes'}:"]
    last = container.get("lastProbeFailure") or ""
    for kind in ("readiness", "liveness", "startup"):
        value = probes.get(kind, "none")
        if isinstance(value, dict):  # the snapshot contract: {state, failures, lastMessage}
            last = last or value.get("lastMessage") or ""
            value = str(value.get("state") or "none")
        parts += [f" {kind} ", (value, PROBE_STYLE.get(value, "dim"))]
    if isinstance(container.get("waiting"), str):
        parts.append(("  waiting " + container["waiting"], "$text-warning"))
    out = [Content.assemble(*parts)]
    if last:
        out.append(Content.assemble(("      last: " + last, "dim")))
    return out


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
            )
        )
        if v.get("message"):
            out.append(Content.assemble(("    " + v["message"], "dim")))
    return out


def _events(release: dict, *, now: float) -> list[Content]:
    events = release.get("events") or []
    if not events:
        return []
    out = [heading("Events")]
    for e in events[:8]:
        seen = epoch(e.get("lastSeen"))
        out.append(
            Content.assemble(
                "  ",
                (e.get("type", ""), "$text-warning" if e.get("type") == "Warning" else "dim"),
                f" {e.get('reason', '')} x{e.get('count', 1)}",
                f" {age(now - seen)} ago" if seen is not None else "",
                f"  {e.get('kind', '').lower()}/{e.get('name', '')}  ",
                (e.get("message", ""), "dim"),
            )
        )
    return out
