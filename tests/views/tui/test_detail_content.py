"""The detail text from snapshot documents that the stuck scenario does not produce."""

from __future__ import annotations

from sovwatch.views.tui import detail_content
from sovwatch.views.tui.glyphs import UTF8

PROBES = {
    "readiness": {
        "state": "failing",
        "failures": 4,
        "lastMessage": 'Get "http://10.0.0.7:3100/ready": connection refused',
    },
    "liveness": {"state": "passing", "failures": 0, "lastMessage": ""},
    "startup": {"state": "none", "failures": 0, "lastMessage": ""},
}


def pod(**fields) -> dict:
    return {
        "namespace": "loki",
        "name": "loki-0",
        "state": "progressing",
        "status": "Running",
        "ready": 0,
        "containers": 1,
        "restarts": 0,
        "probes": PROBES,
        **fields,
    }


def text(pods: list[dict]) -> str:
    release = {"name": "bp-loki", "namespace": "flux-system", "state": "progressing", "pods": pods}
    content = detail_content.render(
        release, {"flux-system/bp-loki": release}, conditions=[], events=[], now=0.0, glyphs=UTF8
    )
    return content.plain


def test_snapshot_without_container_detail_shows_the_pods_probes():
    shown = text([pod()])
    assert "    probes: readiness failing (4 failures) liveness passing" in shown
    assert 'last readiness failure: Get "http://10.0.0.7:3100/ready": connection refused' in shown
    assert "•" not in shown


def test_init_container_and_oom_kill():
    containers = [
        {
            "name": "wait-for-db",
            "init": True,
            "ready": False,
            "started": False,
            "restarts": 0,
            "state": "terminated",
            "reason": "Completed",
            "message": "",
            "exitCode": 0,
            "lastTermination": None,
            "probes": {},
        },
        {
            "name": "loki",
            "init": False,
            "ready": False,
            "started": True,
            "restarts": 3,
            "state": "running",
            "reason": "",
            "message": "",
            "exitCode": None,
            "lastTermination": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": 0.0 - 120},
            "probes": PROBES,
        },
    ]
    shown = text([pod(containerStatuses=containers, restarts=3)])
    assert "• wait-for-db (init)  terminated Completed exit 0  restarts 0" in shown
    assert "• loki  running  not ready  restarts 3  last run: OOMKilled exit 137 2m ago" in shown
    assert "      probes: readiness failing (4 failures) liveness passing" in shown


def test_long_lines_wrap_under_their_own_indent():
    message = "Multi-Attach error for volume pvc-3ef42110 Volume is already used by pod(s) loki-0"
    release = {
        "name": "bp-loki",
        "namespace": "flux-system",
        "state": "progressing",
        "pods": [pod(message=message, containerStatuses=[])],
    }
    content = detail_content.render(
        release, {}, conditions=[], events=[], now=0.0, glyphs=UTF8, width=40
    )
    lines = content.plain.splitlines()
    assert all(len(line) <= 40 for line in lines)
    start = lines.index("    Multi-Attach error for volume")
    assert lines[start + 1].startswith("      pvc-3ef42110")  # two past the item's indent
    assert " ".join(line.strip() for line in lines[start : start + 4]).startswith(message)


def test_root_cause_shows_the_container_log_with_its_decisive_line_in_full():
    lines = [f'level=info msg="step {i}"' for i in range(20)] + [
        'level=error msg="error running loki" err="mkdir /var/loki/chunks: permission denied"'
    ]
    release = {
        "name": "bp-loki",
        "namespace": "flux-system",
        "state": "failed",
        "rootCause": {
            "kind": "Pod",
            "namespace": "loki",
            "name": "loki-0",
            "chain": "bp-loki ← pod loki/loki-0 CrashLoopBackOff ← container loki exited 1 "
            "(Error), restarted 12 times ← log: error running loki: mkdir /var/loki/chunks: "
            "permission denied",
            "logExcerpt": {
                "container": "loki",
                "run": "previous",
                "restartCount": 12,
                "lines": lines,
                "decisive": "error running loki: mkdir /var/loki/chunks: permission denied",
            },
        },
    }
    plain = detail_content.render(
        release, {"flux-system/bp-loki": release}, conditions=[], events=[], now=0.0, glyphs=UTF8
    ).plain.splitlines()
    at = plain.index("Log of loki (previous run, restarts 12)")
    assert plain[at + 1] == "  error running loki: mkdir /var/loki/chunks: permission denied"
    shown = plain[at + 2 : at + 2 + detail_content.EXCERPT_LINES]
    assert shown == [f"  | {line}" for line in lines[-detail_content.EXCERPT_LINES :]]
    assert '  | level=info msg="step 8"' not in plain  # older lines stay in the snapshot


def test_helm_controllers_lines_about_a_failing_release():
    entries = [
        {"ts": f"2026-12-06T09:{i:02d}:00.000Z", "level": "info", "msg": f"step {i}", "error": ""}
        for i in range(10)
    ] + [
        {
            "ts": "2026-12-06T09:45:00.000Z",
            "level": "error",
            "msg": "Reconciler error",
            "error": "Failed to install after 4 attempt(s)",
        }
    ]
    release = {
        "name": "bp-spire",
        "namespace": "flux-system",
        "state": "stalled",
        "helmControllerLog": entries,
    }
    plain = detail_content.render(
        release, {"flux-system/bp-spire": release}, conditions=[], events=[], now=0.0, glyphs=UTF8
    ).plain.splitlines()
    at = plain.index("helm-controller says")
    shown = plain[at + 1 : at + 1 + detail_content.CONTROLLER_LINES]
    assert shown[-1] == (
        "  2026-12-06T09:45:00.000Z Reconciler error: Failed to install after 4 attempt(s)"
    )
    assert shown[0] == "  2026-12-06T09:03:00.000Z step 3"
    assert "step 2" not in "\n".join(plain)
    ready = {**release, "state": "ready"}
    assert (
        "helm-controller says"
        not in detail_content.render(
            ready, {"flux-system/bp-spire": ready}, conditions=[], events=[], now=0.0, glyphs=UTF8
        ).plain
    )
