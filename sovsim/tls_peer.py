"""Who a verified client certificate names (no cryptography needed: `ssl` has parsed it)."""

from __future__ import annotations


def peer_common_name(peercert: dict | None) -> str | None:
    """The CN of a verified client certificate (as `ssl` reports it), None when there is none."""
    for rdn in (peercert or {}).get("subject", ()):
        for attr, value in rdn:
            if attr == "commonName":
                return value
    return None
