"""No path around the untrusted-text gate: the real CLI, in a real terminal, over the `hostile`
scenario (and a hostile recording, and hostile servers), never passes cluster text's escape
sequences, C1 controls or bidi overrides to the terminal, and still shows that text, made visible.

Headless output and diagnostics are checked byte for byte in a pty (sovwatch writes no ESC of its
own there). The TUI writes ESC for its own drawing, so its bytes (tmux's pipe-pane) are checked for
the payloads' own sequences, its screen (tmux's capture-pane) for the visible escapes, and tmux,
with set-clipboard on, for the canary: no paste buffer appeared and the pane title is unchanged.
A control run first shows that the same payload printed raw does reach both.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import ssl
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.cli.cli_helpers import ROOT, env
from tests.trust import hostile_text as h
from tests.trust.terminal import (
    assert_no_cluster_controls,
    assert_no_hostile_sequences,
    run_in_pty,
    sovwatch_command,
    tmux_server,
)

INSTALL_ERROR = "install-error " + h.SEEN
"""The install error as every view shows it (the HelmRelease's Ready message carries it)."""
TERMINATION = "termination-message line one ␛]52;c;ZXZpbA==␛\\"
"""The first line of the crashing container's termination message, made visible."""
IMAGE = "image-ref:1.0␛]52;c;ZXZpbA==␛\\␛]0;pwned␇␛[31;1m\\x9b7m\\u202e[@click=app.quit]"
"""The hostile image reference, made visible (in pull errors)."""

DEMO = ("demo", "--scenario", "hostile", "--speed", "20")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[object, Path]:
    """`demo --scenario hostile -o plain --exit-on-done --record` in a pty: its output and file."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.ndjson"
    run = run_in_pty(*DEMO, "-o", "plain", "--exit-on-done", "--record", str(path))
    return run, path


def _assert_shown_made_visible(text: str) -> None:
    """Every payload the scenario carries shows in plain output, made visible."""
    assert f"Helm install failed for release hostile/hostile with chart bp-hostile@1.0.0: {INSTALL_ERROR[:30]}" in text  # fmt: skip
    assert f"(CrashLoopBackOff: container crasher exited 2 (Error), restarted 1 times: {TERMINATION})" in text  # fmt: skip
    puller = re.search(r"pod/hostile/puller-\S+ \w+ -> failed \((ErrImagePull|ImagePullBackOff): container puller: .*", text)  # fmt: skip
    assert puller, "the puller pod never failed"
    assert f'image "ghcr.io/openova-io/{IMAGE[:40]}' in puller[0]
    assert f"(AttachError: attach-error {h.SEEN})" in text
    summary = text[text.index("NAME ") :]
    assert f"bp-volume   failed   0/1   FailedAttachVolume  <- pod volume/volume-0 ContainerCreating <- attach-error {h.SEEN}" in summary  # fmt: skip
    assert summary.rstrip().splitlines()[-1].split(" ", 1)[1].startswith("outcome failed (exit 1)")


def test_plain_live_and_summary(recorded):
    run, _ = recorded
    assert run.code == 1  # bp-hostile stalled, bp-victim waits on it
    assert_no_cluster_controls(run.text)
    _assert_shown_made_visible(run.text)


def test_the_recording_holds_only_neutralised_text(recorded):
    """What --record writes is what the views saw: a recording shared on is no attack vector."""
    _, path = recorded
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    strings = h.strings_in(lines)
    assert any(INSTALL_ERROR in s for s in strings)
    assert [s for s in strings if h.FORBIDDEN.search(s)] == []


def test_replay_of_the_recording(recorded):
    _, path = recorded
    run = run_in_pty("replay", str(path), "-o", "plain", "--speed", "instant", "--exit-on-done")
    assert run.code == 1
    assert_no_cluster_controls(run.text)
    _assert_shown_made_visible(run.text)


@pytest.fixture
def hand_written(tmp_path: Path) -> Path:
    """A recording written by hand: payloads in names, reasons, the header, stream lines."""
    path = tmp_path / "hand-written.ndjson"
    text = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in h.hostile_recording_lines())
    path.write_text(text)
    return path


def test_replay_of_a_hand_written_hostile_recording(hand_written: Path):
    run = run_in_pty("replay", str(hand_written), "-o", "plain", "--speed", "instant")
    assert run.code == 0  # played to where it broke
    assert_no_cluster_controls(run.text)
    assert f"stream pods reconnecting (attempt 1): 500 InternalError: {h.SEEN}" in run.text
    assert f"stream pods␛]0;pwned␇ error: {h.SEEN}" in run.text
    assert "bp-hostile␛[31;1m" in run.text
    # the damage line quotes the bad value as Python's repr writes it (already escaped)
    assert "recording is damaged at line 9 (not a valid item: 'NOT-AN-EVENT\\x1b]52;c;ZXZpbA==" in run.text  # fmt: skip


def _with_lone_surrogates(lines: list[dict]) -> list[dict]:
    """The recording's objects, each named and failing with half a UTF-16 pair."""
    for line in lines:
        if "object" in line:
            obj = line["object"]
            obj["metadata"]["name"] += "\udc01"
            obj.setdefault("status", {})["message"] = "half \ud800 a pair"
    return lines


@pytest.mark.parametrize("output", ["plain", "json"])
def test_replay_of_a_recording_with_lone_surrogates(tmp_path: Path, output: str):
    """JSON can escape a lone surrogate, but no UTF-8 output can write one: every view would
    stop with a traceback at the first it printed. The gate shows each as an escape instead."""
    path = tmp_path / "surrogates.ndjson"
    lines = _with_lone_surrogates(h.hostile_recording_lines())
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))  # escaped: valid UTF-8
    run = subprocess.run(
        [sys.executable, "-m", "sovwatch", "replay", str(path), "-o", output, "--speed", "instant"],
        capture_output=True, env=env(), cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    assert b"Traceback" not in run.stderr
    text = run.stdout.decode()  # valid UTF-8
    if output == "json":
        text = "\n".join(map(str, h.strings_in([json.loads(line) for line in text.splitlines()])))
    assert "bp-hostile␛[31;1m\\udc01" in text  # the release's name, made visible


WATCH_TIMEOUT = 60.0


def _stalled(release: dict) -> bool:
    conditions = release.get("status", {}).get("conditions", [])
    return any(c["type"] == "Stalled" and c["status"] == "True" for c in conditions)


def _wait_until_stalled(kubeconfig: Path, namespace: str, name: str) -> None:
    """Block until the simulator's API shows HelmRelease `name` Stalled: watch the CRDs until
    HelmReleases are served, then the release until its Stalled condition is True (the test
    fails if a watch sees nothing for WATCH_TIMEOUT seconds)."""
    config = yaml.safe_load(kubeconfig.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    server = urllib.parse.urlsplit(cluster["server"])
    ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
    tls = ssl.create_default_context(cadata=ca)

    def watch_until(path: str, done: Callable[[dict], bool]) -> None:
        api = http.client.HTTPSConnection(
            server.hostname, server.port, timeout=WATCH_TIMEOUT, context=tls
        )
        try:
            api.request("GET", path, headers={"Authorization": f"Bearer {user['token']}"})
            response = api.getresponse()
            assert response.status == 200, response.read()
            if not any(done(json.loads(line)["object"]) for line in response):
                raise AssertionError(f"the watch {path} ended first")
        except TimeoutError:
            raise AssertionError(
                f"nothing awaited came on {path} within {WATCH_TIMEOUT} s"
            ) from None
        finally:
            api.close()

    watch_until(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=1"
        "&fieldSelector=metadata.name%3Dhelmreleases.helm.toolkit.fluxcd.io",
        lambda crd: True,
    )
    watch_until(
        f"/apis/helm.toolkit.fluxcd.io/v2/namespaces/{namespace}/helmreleases?watch=1"
        f"&fieldSelector=metadata.name%3D{name}",
        _stalled,
    )


def test_once_and_json_against_the_simulator(tmp_path: Path):
    """`--once` (plain) in a pty, and `-o json`: the same text, made visible, in both."""
    kubeconfig = tmp_path / "sim.yaml"
    sim = subprocess.Popen(
        [sys.executable, "-m", "sovwatch", "sim", "--scenario", "hostile", "--speed", "20",
         "--write-kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env(), cwd=ROOT,
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        assert sim.stdout.readline().startswith(b"serving ")  # then the kubeconfig is written
        _wait_until_stalled(kubeconfig, "flux-system", "bp-hostile")
        run = run_in_pty("--kubeconfig", str(kubeconfig), "--once")
        assert run.code == 0
        assert_no_cluster_controls(run.text)
        assert "bp-hostile  stalled" in run.text
        assert f"<- attach-error {h.SEEN}" in run.text
        json_run = run_in_pty("--kubeconfig", str(kubeconfig), "--once", "-o", "json")
        assert json_run.code == 0
        assert_no_cluster_controls(json_run.text)
        strings = h.strings_in(json.loads(json_run.text))
        assert any(INSTALL_ERROR in s for s in strings)
    finally:
        sim.terminate()
        sim.wait(timeout=20)


class _HostileServer(BaseHTTPRequestHandler):
    """Answers every GET with `status` and a body that is not JSON, holding the payload."""

    status = 403

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = f"<html><body>{h.PAYLOAD}</body></html>".encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=[403, 500], ids=["forbidden", "failing"])
def hostile_server(request, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A server answering `status` with a hostile HTML body, and a kubeconfig for it."""
    handler = type("Handler", (_HostileServer,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "hostile.yaml"
    url = f"http://127.0.0.1:{server.server_address[1]}"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "hostile", "cluster": {"server": url}}],
                "users": [{"name": "anonymous", "user": {}}],
                "contexts": [
                    {"name": "hostile", "context": {"cluster": "hostile", "user": "anonymous"}}
                ],
                "current-context": "hostile",
            }
        )
    )
    try:
        yield request.param, kubeconfig
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_diagnostics_quoting_a_hostile_server(hostile_server):
    """403 at start-up: the fatal line on stderr. 500: the pre-flight warning on stderr and the
    streams' details on stdout, mid-watch."""
    status, kubeconfig = hostile_server
    seen = f"<html><body>{h.SEEN}</body></html>".encode()
    run = run_in_pty(
        "--kubeconfig", str(kubeconfig), "-o", "plain",
        until=lambda out: out.count(seen) >= 3,
    )  # fmt: skip
    assert_no_cluster_controls(run.text)
    if status == 403:
        assert run.code == 2
        assert f"(403 Forbidden: <html><body>{h.SEEN}</body></html>; server http" in run.text
    else:
        assert run.code == 130
        assert f"pre-flight: 500 InternalError: <html><body>{h.SEEN}" in run.text
        assert f"reconnecting (attempt 1): 500 InternalError: <html><body>{h.SEEN}" in run.text


def test_tui_canary_over_the_hostile_demo(tmp_path: Path):
    """The TUI at 120x40 in tmux: main table, events, detail pane; no clipboard write, no title."""
    with tmux_server() as tmux:
        control = tmux.start(
            "control",
            f"printf '%s' '{h.OSC52}{h.OSC0}'; tmux -L {tmux.socket} wait-for -S printed; sleep 600",
            tmp_path / "control.raw",
        )
        tmux("wait-for", "printed")
        assert tmux.buffers() == ["evil"]  # the canary works: raw, the payload reaches both
        assert tmux.title(control) == "pwned"
        tmux("delete-buffer")

        raw = tmp_path / "tui.raw"
        pane = tmux.start("tui", sovwatch_command(*DEMO), raw)
        tmux.wait_for(pane, "stalled     bp-hostile", "AttachError")
        tmux("send-keys", "-t", pane, "e")
        tmux.wait_for(pane, "InstallFailed", "FailedAttachVolume", "Failed to pull image")
        tmux("send-keys", "-t", pane, "e")  # the events pane closed again
        tmux("send-keys", "-t", pane, "Enter")
        tmux.wait_for(pane, "Conditions", "Root cause", "Pods")  # the detail pane, drawn
        assert tmux.buffers() == []  # the canary first: no clipboard write...
        assert tmux.title(pane) == "canary"  # ...and no new title
        screen = tmux.wait_for(
            pane,
            INSTALL_ERROR[:60],
            "\\x9b7m \\u202ereversed\\u202c [@click=app.quit]markup[/]",
            TERMINATION,
            IMAGE,
        )
        assert "[@click=app.quit]markup[/]" in screen  # markup shown, not run: the app is up
        tmux("send-keys", "-t", pane, "q")
        tmux.wait_for(pane, "sovwatch exited 0")
        assert tmux.buffers() == []
        assert tmux.title(pane) == "canary"
    written = raw.read_bytes()
    assert "␛]52;c;ZXZpbA==".encode() in written  # the copy saw the drawing
    assert_no_hostile_sequences(written)


def test_tui_canary_over_a_hand_written_recording(tmp_path: Path, hand_written: Path):
    """The TUI replaying a hostile recording: its header (context, server), names, the detail
    pane and the stream health screen."""
    with tmux_server() as tmux:
        raw = tmp_path / "tui.raw"
        command = sovwatch_command("replay", str(hand_written), "--speed", "instant")
        pane = tmux.start("tui", command, raw)
        # played to its end: the last stream line is in the header
        tmux.wait_for(
            pane,
            "sov-prod␛]52;c;ZXZpbA==␛\\",
            "stream error: pods␛]0;pwned␇",
            "⊘ stalled     bp-hostile␛[31;1m",
        )
        tmux("send-keys", "-t", pane, "Enter")
        tmux.wait_for(pane, "Helm install failed for release hostile/hostile: ␛]52;c;ZXZpbA==")
        tmux("send-keys", "-t", pane, "s")  # stream health: the recorded details
        tmux.wait_for(pane, "Streams", "v1␛]52;c;ZXZpbA==␛\\")
        tmux("send-keys", "-t", pane, "s")  # closed again (ESC then a key would read as Alt+key)
        tmux.wait_for(pane, gone="Streams")
        tmux("send-keys", "-t", pane, "q")
        tmux.wait_for(pane, "sovwatch exited 0")
        assert tmux.buffers() == []
        assert tmux.title(pane) == "canary"
    written = raw.read_bytes()
    assert "␛]52;c;ZXZpbA==".encode() in written
    assert_no_hostile_sequences(written)
