"""Root causes and container logs: which logs the current root causes want, and the excerpts
joined to them (`RootCause.log_excerpt`, the decisive line as the chain's last link)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from sovwatch.model.log_excerpts import LogExcerpt, excerpt_for, log_target
from sovwatch.model.pod import PodHealth
from sovwatch.model.rootcause import RootCause
from sovwatch.sources.events import LogTarget

Key = tuple[str, str, str]


def log_targets(
    root_causes: Iterable[RootCause],
    pods: Mapping[Key, PodHealth],
    uid_of: Callable[[Key], str],
) -> list[LogTarget]:
    """One target per pod that is some release's root cause (several releases may share one)."""
    seen: set[Key] = set()
    out = []
    for rc in root_causes:
        key = (rc.cause.kind, rc.cause.namespace, rc.cause.name)
        if key[0] != "Pod" or key in seen:
            continue
        seen.add(key)
        pod = pods.get(key)
        target = log_target(pod, uid_of(key)) if pod is not None else None
        if target is not None:
            out.append(target)
    return out


def with_excerpt(
    rc: RootCause, pods: Mapping[Key, PodHealth], excerpts: Mapping[Key, Mapping[str, LogExcerpt]]
) -> RootCause:
    """The root cause with its culprit container's excerpt joined, and the excerpt's decisive line
    as the chain's last link ("... ← log: mkdir /var/loki/chunks: permission denied")."""
    key = (rc.cause.kind, rc.cause.namespace, rc.cause.name)
    pod = pods.get(key) if key[0] == "Pod" else None
    found = excerpts.get(key)
    excerpt = excerpt_for(pod, found) if pod is not None and found else None
    if excerpt is None:
        return rc
    chain = (*rc.chain, f"log: {excerpt.decisive}") if excerpt.decisive else rc.chain
    return replace(rc, log_excerpt=excerpt, chain=chain)
