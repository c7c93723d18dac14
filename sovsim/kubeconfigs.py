"""Kubeconfig documents that point kubectl, sovwatch or the kubernetes client at an emulator.

The file holds a token or a client key, so it is written with mode 0600 from the start, never
chmod-ed after the fact, and never through a symbolic link.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_document(
    *,
    server: str,
    context: str,
    namespace: str | None,
    ca_pem: bytes | None,
    user: dict,
) -> dict:
    cluster: dict = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = _b64(ca_pem)
    ctx: dict = {"cluster": context, "user": context}
    if namespace:
        ctx["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": context, "user": user}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
    }


def token_user(token: str) -> dict:
    return {"token": token}


def cert_user(cert_pem: bytes, key_pem: bytes) -> dict:
    return {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)}


def write_private(path: str | os.PathLike[str], document: dict) -> Path:
    """Write YAML readable by the owner only (0600 even if the file existed with wider rights),
    never through a symbolic link (`OSError` ELOOP; `sovwatch sim` words that for the user)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT keeps an existing file's mode
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(document, f, sort_keys=False)
    return path


MERGED_KEYS = ("clusters", "users", "contexts")
"""The lists a merge concatenates."""


def merged(documents: list[dict]) -> dict:
    """One kubeconfig holding every cluster, user and context of `documents` (their names must
    differ), current context the first one's, as `KUBECONFIG=a:b kubectl config view --flatten`."""
    first = documents[0]
    return {
        **first,
        **{key: [entry for d in documents for entry in d[key]] for key in MERGED_KEYS},
        "current-context": first["current-context"],
    }
