"""The README's snapshot table, the typed `Snapshot` and its JSON document cannot drift apart.

The README ("The snapshot contract") lists every field of `sovwatch.snapshot/v1`, with the keys of
each nested object in braces. The document checked against it is a real one: the `stuck` scenario
at minute 40 (pods crash-looping with probes and previous terminations, a Multi-Attach volume,
root causes with their containers' log tails, helm-controller's lines about a stalled release,
warnings), every stream live. The typed side: each field of
`Snapshot`, `Progress` and `ClusterInfo` appears in the document under its camelCase name.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from sovwatch.model.progress import Progress
from sovwatch.model.snapshot import ClusterInfo, Snapshot, build_snapshot
from sovwatch.sources.events import HealthState, StreamHealth
from tests.model.scenario_feed import START, store_at

README = Path(__file__).resolve().parents[2] / "README.md"
AT = 2400.0


def contract_rows() -> list[tuple[list[str], str]]:
    """(field paths, content) for each row of the README's snapshot table; a row's later paths
    are siblings of its first (`releases[].helm` / `workloads`)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The snapshot contract", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first, content = line[2:].split(" | ", 1)
        paths = re.findall(r"`([^`]+)`", first)
        parent = paths[0].rsplit(".", 1)[0] + "." if "." in paths[0] else ""
        rows.append(([paths[0], *(parent + p for p in paths[1:])], content))
    return rows


def brace_groups(text: str) -> list[str]:
    """The top-level `{...}` groups in `text`, outermost braces stripped."""
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                groups.append(text[start:i])
    return groups


def shape(group: str) -> dict[str, str | None]:
    """`a, b {x, y}, c: {z}` -> {"a": None, "b": "x, y", "c": "z"} (nested groups kept as text)."""
    keys: dict[str, str | None] = {}
    depth, token = 0, ""
    for ch in [*group, ","]:
        if ch == "," and depth == 0:
            name, _, nested = token.partition("{")
            name = name.strip().rstrip(":").strip()
            if name:
                keys[name] = nested.rsplit("}", 1)[0] if nested else None
            token = ""
            continue
        depth += (ch == "{") - (ch == "}")
        token += ch
    return keys


def values_at(document: dict, path: str) -> list:
    """Every value at `releases[].pods`-style `path` (lists are walked, nulls skipped)."""
    found: list = [document]
    for part in path.split("."):
        name = part.removesuffix("[]")
        found = [v[name] for v in found if isinstance(v, dict) and v.get(name) is not None]
        if part.endswith("[]") or (found and all(isinstance(v, list) for v in found)):
            found = [item for v in found for item in (v if isinstance(v, list) else [v])]
    return found


def check(values: list, keys: dict[str, str | None], where: str) -> list[str]:
    """Differences between the README's keys and the documents' keys at one place."""
    objects = [v for v in values if isinstance(v, dict)]
    if not objects:
        return [f"{where}: the document has no object here to check"]
    problems = []
    for obj in objects:
        if set(obj) != set(keys):
            problems.append(f"{where}: README {sorted(keys)} != document {sorted(obj)}")
            break
    for name, nested in keys.items():
        if nested is not None:
            inner = [o[name] for o in objects if o.get(name) is not None]
            if inner and all(isinstance(v, dict) for v in inner) and ":" not in nested:
                problems += check(inner, shape(nested), f"{where}.{name}")
    return problems


@pytest.fixture(scope="module")
def document() -> dict:
    store = store_at("stuck", AT, logs=True)
    for resource in ("pods", "helmreleases.helm.toolkit.fluxcd.io"):
        store.apply(StreamHealth(resource, HealthState.LIVE, since=START + 1))
    return build_snapshot(store, now=START + AT).to_dict()


def test_the_readme_table_names_every_top_level_field(document):
    documented = {
        path.split(".")[0].removesuffix("[]") for paths, _ in contract_rows() for path in paths
    }
    assert documented == set(document)


def test_the_readme_braces_list_exactly_the_documents_keys(document):
    problems = []
    checked = 0
    for paths, content in contract_rows():
        groups = brace_groups(content)
        if not groups:
            continue
        for path, group in zip(paths, groups, strict=False):
            problems += check(values_at(document, path), shape(group), path)
            checked += 1
    assert checked >= 10  # the table really was read
    assert problems == []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


RENAMED = {"waves": "graph", "critical_path": "graph", "cycles": "graph", "missing": "graph"}
"""Snapshot fields serialised inside another key."""


@pytest.mark.parametrize(
    ("cls", "path"), [(Snapshot, ""), (Progress, "progress"), (ClusterInfo, "cluster")]
)
def test_every_typed_field_is_in_the_document(document, cls, path):
    obj = document[path] if path else document
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if _camel(f.name) not in obj and RENAMED.get(f.name) not in obj
    ]
    assert missing == []
    if cls is Snapshot:
        assert {_camel(f) for f, where in RENAMED.items()} <= set(document["graph"])


def test_the_contract_checker_can_fail(document):
    assert check([document["progress"]], shape("ready, total"), "progress")
    assert check(values_at(document, "releases[].pods"), shape("namespace, name"), "pods")
    assert not check([document["progress"]], dict.fromkeys(document["progress"]), "progress")
