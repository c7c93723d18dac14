"""The culprit containers of a finished run: each one's log excerpt once, with the releases it
holds back (for the plain failure summary and the JSON outcome)."""

from __future__ import annotations


def culprit_logs(snapshot: dict) -> list[dict]:
    """`[{kind, namespace, name, container, run, decisive, lines, releases}]`, one per culprit
    container, in release order, for releases that are not ready."""
    found: dict[tuple, dict] = {}
    for release in snapshot.get("releases") or ():
        cause = release.get("rootCause") or {}
        excerpt = cause.get("logExcerpt")
        if not excerpt or release.get("state") == "ready":
            continue
        key = (cause.get("namespace"), cause.get("name"), excerpt.get("container"))
        entry = found.setdefault(
            key,
            {
                "kind": cause.get("kind", ""),
                "namespace": cause.get("namespace", ""),
                "name": cause.get("name", ""),
                "container": excerpt.get("container", ""),
                "run": excerpt.get("run", ""),
                "decisive": excerpt.get("decisive", ""),
                "lines": excerpt.get("lines") or [],
                "releases": [],
            },
        )
        entry["releases"].append(release.get("name", ""))
    return list(found.values())
