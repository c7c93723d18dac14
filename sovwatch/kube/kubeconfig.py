"""Merging kubeconfig documents and reading the selected context's entries, as kubectl does.

sovwatch reads kubeconfigs itself rather than through the `kubernetes` package: that package's
loader imports the whole generated API client (~20 MiB resident, a third of an idle sovwatch)
to read a few YAML fields. The rules are client-go's: with several files (`KUBECONFIG=a:b`) the
first file that defines a cluster, context or user by a name wins, and so does the first
`current-context`; a relative path in an entry is relative to the file that defined the entry.
`config` turns problems into one line for the operator; this module only says what is wrong.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SECTIONS = ("clusters", "contexts", "users")
_FIELD = {"clusters": "cluster", "contexts": "context", "users": "user"}


class KubeconfigError(Exception):
    """What is wrong with the kubeconfig (the tail of one line; `config` adds where)."""


@dataclass(frozen=True)
class Entry:
    """One named cluster, context or user, with the directory its relative paths start from."""

    name: str
    body: Mapping
    """The `cluster:` / `context:` / `user:` mapping."""
    base: Path

    def path(self, key: str) -> Path | None:
        """The file named by `key` (e.g. `certificate-authority`), resolved as client-go does."""
        value = self.body.get(key)
        return self.base / Path(str(value)).expanduser() if value else None


@dataclass(frozen=True)
class Merged:
    """Every file's entries merged (first definition of a name wins)."""

    clusters: dict[str, Entry]
    contexts: dict[str, Entry]
    users: dict[str, Entry]
    current_context: str | None


def merge(documents: list[tuple[Path, Mapping]]) -> Merged:
    """Merge parsed kubeconfig documents in order; raises `KubeconfigError` for an entry that is
    not a mapping with a name and a mapping body."""
    sections: dict[str, dict[str, Entry]] = {s: {} for s in SECTIONS}
    current = None
    for path, document in documents:
        base = path.parent.absolute()
        for section in SECTIONS:
            items = document.get(section) or []
            if not isinstance(items, list):
                raise KubeconfigError(f"{section} is not a list")
            for item in items:
                field = _FIELD[section]
                if not isinstance(item, Mapping) or "name" not in item:
                    raise KubeconfigError(f"an entry of {section} has no name")
                body = item.get(field) or {}
                if not isinstance(body, Mapping):
                    raise KubeconfigError(
                        f"{section}[name={item['name']}].{field} is not a mapping"
                    )
                sections[section].setdefault(
                    str(item["name"]), Entry(str(item["name"]), body, base)
                )
        current = current or document.get("current-context") or None
    return Merged(**sections, current_context=str(current) if current else None)


def read_data(entry: Entry, key: str, *, data_key: str | None = None) -> bytes | None:
    """The bytes of `<key>-data` (base64) or else of the file `<key>`; None if neither is set.
    A missing file raises `FileNotFoundError` (with its name)."""
    data = entry.body.get(data_key or f"{key}-data")
    if data:
        return base64.b64decode("".join(str(data).split()))
    path = entry.path(key)
    return path.read_bytes() if path else None


def skips_tls_verify(cluster: Mapping) -> bool:
    """`insecure-skip-tls-verify` of a cluster entry, read strictly: a YAML boolean, or the string
    "true"/"false" (any case); absent or null is false. Anything else raises `KubeconfigError`
    (the string "false" must never switch verification off)."""
    value = cluster.get("insecure-skip-tls-verify")
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise KubeconfigError(f"insecure-skip-tls-verify is {value!r}, not true or false")


def jwt_expired(token: str, *, skew: float, now: float | None = None) -> bool:
    """Whether an OIDC id-token's `exp` is within `skew` seconds (False if it has none);
    raises `KubeconfigError` if it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        raise KubeconfigError("oidc id-token is not a JWT (3 period-separated parts)")
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError as e:
        raise KubeconfigError(f"oidc id-token is not a JWT ({e})") from e
    expires = claims.get("exp") if isinstance(claims, dict) else None
    return isinstance(expires, int | float) and expires - skew <= (now or time.time())
