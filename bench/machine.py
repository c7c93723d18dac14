"""The machine the figures came from: cores, CPU model, Python, kubectl, load."""

from __future__ import annotations

import os
import platform
import subprocess

from bench.procs import KUBECTL


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _kubectl_version() -> str:
    try:
        out = subprocess.run(
            [KUBECTL, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    import json

    try:
        return json.loads(out)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        return "unknown"


def machine() -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "kubectl": _kubectl_version(),
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
    }
