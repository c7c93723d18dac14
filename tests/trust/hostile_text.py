"""Hostile text, as a workload (or a shared recording, or a server's error body) can write it.

The same payloads as `sovsim/scenarios/hostile.yaml` (test_untrusted.py checks that the
scenario still carries each of them), and what may never reach a terminal from cluster text.
"""

from __future__ import annotations

import re

OSC52 = "\x1b]52;c;ZXZpbA==\x1b\\"
"""Writes "evil" into the terminal's clipboard (tmux with set-clipboard on passes it on)."""
OSC0 = "\x1b]0;pwned\x07"
"""Sets the window (pane) title to "pwned"."""
CSI_COLOUR = "\x1b[31;1m"
CSI_RESET = "\x1b[0m"
C1_CSI = "\x9b7m"
"""The 8-bit CSI (U+009B): reverse video on terminals that honour C1 controls."""
BIDI = "\u202ereversed\u202c"
"""A right-to-left override: the text after it is drawn backwards."""
MARKUP = "[@click=app.quit]markup[/]"
"""Rich/Textual markup: must be shown literally, never run."""

PAYLOAD = f"{OSC52} {OSC0} {CSI_COLOUR}red{CSI_RESET} {C1_CSI} {BIDI} {MARKUP}"
"""Everything at once, as the scenario's install and attach errors carry it."""

SEEN = "␛]52;c;ZXZpbA==␛\\ ␛]0;pwned␇ ␛[31;1mred␛[0m \\x9b7m \\u202ereversed\\u202c " + MARKUP
"""`PAYLOAD` as every view shows it: the same text with each control made visible."""

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What text from the cluster may never put on a terminal (tab and newline are fine), nor on any
output (a lone surrogate cannot be written as UTF-8)."""

HOSTILE_SEQUENCES = (
    b"\x1b]52;",
    b"\x1b]0;pwned",
    b"\x1b[31;1m",
    C1_CSI.encode(),
    "\u202e".encode(),
    "\u202c".encode(),
)
"""The payload's own sequences, as bytes on the wire (a TUI emits ESC for its own drawing, so
its output is checked for these rather than for every ESC)."""


def strings_in(value: object) -> list[str]:
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings_in(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def hostile_recording_lines(started: float = 1_795_781_071.0) -> list[dict]:
    """A hand-written recording whose every string can carry a payload, names and header
    included (a recording is not validated by any apiserver: anyone can write one)."""
    hr_name = f"bp-hostile{CSI_COLOUR}"
    pod_name = f"hostile-0{C1_CSI}"
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {
            "name": hr_name,
            "namespace": "flux-system",
            "generation": 1,
            "resourceVersion": f"7{OSC0}",
            "annotations": {"meta.helm.sh/release-name": PAYLOAD, OSC52: PAYLOAD},
        },
        "spec": {
            "releaseName": "hostile",
            "targetNamespace": "hostile",
            "chart": {"spec": {"chart": f"chart{OSC52}", "version": f"1.0.0{BIDI}"}},
        },
        "status": {
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": f"InstallFailed{OSC0}",
                    "message": f"Helm install failed for release hostile/hostile: {PAYLOAD}",
                    "lastTransitionTime": "2026-11-27T12:04:40Z",
                    "observedGeneration": 1,
                },
                {
                    "type": "Stalled",
                    "status": "True",
                    "reason": "RetriesExceeded",
                    "message": f"Failed to install after 1 attempt(s) {OSC52}",
                    "lastTransitionTime": "2026-11-27T12:04:40Z",
                    "observedGeneration": 1,
                },
            ],
        },
    }
    victim = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "bp-victim", "namespace": "flux-system", "generation": 1},
        "spec": {"dependsOn": [{"name": hr_name}], "chart": {"spec": {"chart": "victim"}}},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "DependencyNotReady",
                    "message": f"dependency 'flux-system/{hr_name}' is not ready",
                    "lastTransitionTime": "2026-11-27T12:04:41Z",
                }
            ]
        },
    }
    terminated = {
        "exitCode": 2,
        "reason": f"Error{BIDI}",
        "message": f"line one {OSC52}\nline two {OSC0}\nline three {MARKUP}",
        "startedAt": "2026-11-27T12:04:35Z",
        "finishedAt": "2026-11-27T12:04:40Z",
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name,
            "namespace": "hostile",
            "labels": {"app.kubernetes.io/instance": "hostile"},
            "annotations": {"meta.helm.sh/release-name": "hostile"},
            "creationTimestamp": "2026-11-27T12:04:31Z",
        },
        "spec": {"nodeName": f"worker-1{OSC0}", "containers": [{"name": f"crasher{OSC52}"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": f"crasher{OSC52}",
                    "ready": False,
                    "restartCount": 3,
                    "state": {
                        "waiting": {"reason": f"CrashLoopBackOff{CSI_COLOUR}", "message": PAYLOAD}
                    },
                    "lastState": {"terminated": terminated},
                }
            ],
        },
    }
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod_name}.18b2c3d4e5f6a7b8", "namespace": "hostile"},
        "involvedObject": {"kind": "Pod", "namespace": "hostile", "name": pod_name},
        "type": "Warning",
        "reason": f"BackOff{BIDI}",
        "message": f"Back-off restarting failed container: {PAYLOAD}",
        "count": 4,
        "firstTimestamp": "2026-11-27T12:04:36Z",
        "lastTimestamp": "2026-11-27T12:04:41Z",
        "source": {"component": f"kubelet{OSC0}"},
    }
    t = started
    return [
        {
            "schema": "sovwatch.recording/v1",
            "sovwatch": f"0.1.0{OSC0}",
            "context": f"sov-prod{OSC52}",
            "server": f"https://10.0.0.1:6443/{OSC0}{BIDI}",
            "started": t,
        },
        {
            "t": t,
            "stream": "pods",
            "state": "reconnecting",
            "since": t,
            "attempt": 1,
            "detail": f"500 InternalError: {PAYLOAD}",
        },
        {
            "t": t + 0.1,
            "event": "ADDED",
            "resource": "helmreleases.helm.toolkit.fluxcd.io",
            "object": hr,
        },
        {
            "t": t + 0.2,
            "event": "ADDED",
            "resource": "helmreleases.helm.toolkit.fluxcd.io",
            "object": victim,
        },
        {"t": t + 0.3, "event": "ADDED", "resource": "pods", "object": pod},
        {"t": t + 0.4, "event": "ADDED", "resource": "events", "object": event},
        {
            "t": t + 0.5,
            "stream": "pods",
            "state": "live",
            "since": t + 0.5,
            "attempt": 0,
            "detail": f"v1{OSC52}",
        },
        {
            "t": t + 0.6,
            "stream": f"pods{OSC0}",
            "state": "error",
            "since": t + 0.6,
            "attempt": 0,
            "detail": PAYLOAD,
        },
        {"t": t + 0.7, "event": f"NOT-AN-EVENT{OSC52}", "resource": "pods", "object": pod},
    ]
