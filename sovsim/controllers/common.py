"""Small helpers every simulated controller needs: conditions, timestamps and stable digests."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime

FLUX_NS = "flux-system"
"""Where Flux and its kit live."""


def rfc3339(epoch: float) -> str:
    """Second-precision UTC time, as Kubernetes writes metav1.Time."""
    return _rfc3339_second(int(epoch))


@functools.lru_cache(maxsize=256)
def _rfc3339_second(second: int) -> str:
    # Cached: a scenario stamps thousands of writes within the same simulated second.
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(epoch: float) -> str:
    """Microsecond-precision UTC time (metav1.MicroTime), as in Event.eventTime."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=4096)
def digest(*parts: object) -> str:
    """A stable sha256 hex digest of the parts, for artifact digests and config digests (cached:
    pod statuses recompute container and image IDs on every write)."""
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()


_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of k8s.io/apimachinery/pkg/util/rand
_PAIRS = tuple(b + a for a in _ALPHABET for b in _ALPHABET)
"""Two suffix characters per base-27 digit pair, so a 16-character name takes 8 divisions."""


def short_hash(*parts: object, length: int = 5) -> str:
    """A stable lowercase alphanumeric suffix, like the ones controllers append to pod names."""
    data = "\x00".join(str(p) for p in parts).encode()
    number = int.from_bytes(hashlib.sha256(data).digest(), "big")
    out = []
    for _ in range(length // 2):
        number, index = divmod(number, len(_PAIRS))
        out.append(_PAIRS[index])
    if length % 2:
        out.append(_ALPHABET[number % len(_ALPHABET)])
    return "".join(out)


def set_condition(
    status: dict,
    type_: str,
    value: str,
    reason: str,
    message: str,
    now: str,
    *,
    observed_generation: int | None = None,
) -> None:
    """Set one condition in `status.conditions`; lastTransitionTime moves only when the status does."""
    conditions = status.setdefault("conditions", [])
    for cond in conditions:
        if cond["type"] == type_:
            if cond["status"] != value:
                cond["lastTransitionTime"] = now
            cond.update(status=value, reason=reason, message=message)
            if observed_generation is not None:
                cond["observedGeneration"] = observed_generation
            return
    cond = {"type": type_, "status": value}
    if observed_generation is not None:
        cond["observedGeneration"] = observed_generation
    cond.update(lastTransitionTime=now, reason=reason, message=message)
    conditions.append(cond)


def delete_condition(status: dict, type_: str) -> None:
    status["conditions"] = [c for c in status.get("conditions", []) if c["type"] != type_]


def get_condition(obj: dict | None, type_: str) -> dict | None:
    if not obj:
        return None
    for cond in obj.get("status", {}).get("conditions", []):
        if cond["type"] == type_:
            return cond
    return None


def is_ready(obj: dict | None) -> bool:
    """Ready=True at the object's current generation, the test Flux's dependsOn applies."""
    cond = get_condition(obj, "Ready")
    if cond is None or cond["status"] != "True":
        return False
    return obj.get("status", {}).get("observedGeneration") == obj["metadata"].get("generation")


def go_duration(seconds: float) -> str:
    """A duration as Go's time.Duration.String() prints it: 5m0s, 15m0s, 1h0m0s, 30s."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
