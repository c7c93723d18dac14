"""What sovwatch is waiting for while no HelmRelease exists yet, in words (the snapshot's `waitingFor`).

Until the first HelmRelease appears the release table is empty and "0/0 ready" explains nothing; a
bootstrap spends its first minutes there (Flux installs its CRDs, then applies the kit). The
HelmRelease stream's health says why:
- not reported yet, or still listing: "waiting for the first list of HelmReleases";
- absent (the API group is not served): "waiting for Flux: HelmRelease CRD not installed yet";
- forbidden: "HelmReleases are not readable with these credentials (RBAC)";
- reconnecting, stale or in error: "HelmRelease stream <state>: <detail>";
- live: "no HelmReleases yet".
None as soon as a release exists.
"""

from __future__ import annotations

HELMRELEASES = "helmreleases.helm.toolkit.fluxcd.io"
"""The HelmRelease stream's resource name (`plural.group`)."""


def waiting_for(releases: int, stream_state: str | None, detail: str = "") -> str | None:
    """One line saying what sovwatch waits for, or None once a HelmRelease exists.

    Args:
        releases: HelmReleases seen.
        stream_state: the HelmRelease stream's state (`HealthState` value), None if not reported.
        detail: that stream's detail line.
    """
    if releases:
        return None
    if stream_state in (None, "connecting"):
        return "waiting for the first list of HelmReleases"
    if stream_state == "absent":
        return "waiting for Flux: HelmRelease CRD not installed yet"
    if stream_state == "forbidden":
        return "HelmReleases are not readable with these credentials (RBAC)"
    if stream_state == "live":
        return "no HelmReleases yet"
    return f"HelmRelease stream {stream_state}" + (f": {detail}" if detail else "")
