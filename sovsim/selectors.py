"""`labelSelector` and `fieldSelector` parsing and matching, with the apiserver's grammar and errors.

Label selectors support `=`, `==`, `!=`, `in`, `notin`, `key` (exists) and `!key`; field selectors
support `=`, `==` and `!=` on the fields each resource really makes selectable (metadata.name and
metadata.namespace everywhere, involvedObject.*, type, reason, source... on events, a few pod
fields). An unknown field is a 400, as on a real cluster, so clients cannot rely on fields that
would not work there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sovsim.objects import ResourceType


class SelectorError(ValueError):
    """A selector the apiserver would reject with 400 BadRequest; the message is what it says."""


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: str
    """One of exists, !, =, !=, in, notin."""
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "exists":
                return present
            case "!":
                return not present
            case "=" | "in":
                return present and value in self.values
            case _:  # != and notin also match objects without the label
                return not present or value not in self.values


_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ_RE = re.compile(rf"^\s*({_KEY})\s*(==|=|!=)\s*(.*?)\s*$")
_EXISTS_RE = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on commas outside parentheses: `a in (x,y),b` is two terms."""
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(selector):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return terms


def _check_value(value: str, term: str) -> str:
    if not re.fullmatch(_VALUE, value) or len(value) > 63:
        raise SelectorError(
            f'unable to parse requirement: invalid label value: "{value}" in "{term}"'
        )
    return value


def parse_label_selector(selector: str | None) -> tuple[LabelRequirement, ...]:
    """The requirements of a label selector (all must match); empty means everything."""
    if not selector or not selector.strip():
        return ()
    requirements = []
    for term in _split_terms(selector):
        if m := _SET_RE.match(term):
            values = frozenset(_check_value(v.strip(), term) for v in m.group(4).split(","))
            requirements.append(LabelRequirement(m.group(1), m.group(3), values))
        elif m := _EQ_RE.match(term):
            op = "=" if m.group(3) in ("=", "==") else "!="
            requirements.append(
                LabelRequirement(m.group(1), op, frozenset({_check_value(m.group(4), term)}))
            )
        elif m := _EXISTS_RE.match(term):
            requirements.append(LabelRequirement(m.group(2), "!" if m.group(1) else "exists"))
        else:
            raise SelectorError(
                f'unable to parse requirement: found "{term.strip()}", expected: key'
            )
    return tuple(requirements)


def _path(*keys: str) -> Callable[[dict], str]:
    def get(obj: dict) -> str:
        value: object = obj
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return ""
        return str(value).lower() if isinstance(value, bool) else str(value)

    return get


_COMMON_FIELDS = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}
_EVENT_FIELDS = {
    **{
        f"involvedObject.{k}": _path("involvedObject", k)
        for k in (
            "kind",
            "namespace",
            "name",
            "uid",
            "apiVersion",
            "resourceVersion",
            "fieldPath",
        )
    },
    "reason": _path("reason"),
    "reportingComponent": _path("reportingComponent"),
    "source": _path("source", "component"),
    "type": _path("type"),
}
_FIELDS_BY_RESOURCE: dict[str, dict[str, Callable[[dict], str]]] = {
    # Selection runs on the stored core/v1 shape; events.k8s.io also names involvedObject `regarding`.
    "events": _EVENT_FIELDS,
    "events.events.k8s.io": {
        **_EVENT_FIELDS,
        **{f"regarding.{k.split('.', 1)[1]}": f for k, f in _EVENT_FIELDS.items() if "." in k},
    },
    "pods": {
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
    },
    "namespaces": {"status.phase": _path("status", "phase")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    negate: bool
    value: str
    get: Callable[[dict], str]

    def matches(self, obj: dict) -> bool:
        return (self.get(obj) == self.value) != self.negate


def parse_field_selector(selector: str | None, rt: ResourceType) -> tuple[FieldRequirement, ...]:
    """The requirements of a field selector for `rt`; SelectorError for unknown fields or syntax."""
    if not selector or not selector.strip():
        return ()
    fields = {**_COMMON_FIELDS, **_FIELDS_BY_RESOURCE.get(rt.key, {})}
    requirements = []
    for term in selector.split(","):
        m = re.fullmatch(r"\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*", term)
        if not m:
            raise SelectorError(f"invalid selector: '{selector}'; can't understand '{term}'")
        field, op, value = m.groups()
        if field not in fields:
            if rt.crd:
                raise SelectorError(
                    f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
                )
            raise SelectorError(f"field label not supported: {field}")
        requirements.append(FieldRequirement(field, op == "!=", value, fields[field]))
    return tuple(requirements)


@dataclass(frozen=True)
class Filter:
    """Everything that decides whether a list or watch shows an object."""

    namespace: str | None = None
    labels: tuple[LabelRequirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: dict) -> bool:
        """`obj` in its stored shape (core/v1 for events, whatever version was requested)."""
        meta = obj.get("metadata", {})
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        labels = meta.get("labels") or {}
        return all(r.matches(labels) for r in self.labels) and all(
            f.matches(obj) for f in self.fields
        )
