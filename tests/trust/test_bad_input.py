"""Every bad input an operator can hand sovwatch ends with one clear line, its exit code, and no
traceback; the README's "Bad input" section lists the same cases with the same codes.

Each case runs `python -m sovwatch` as a subprocess against a real server on 127.0.0.1 (the
emulator over HTTPS, a web server that is not Kubernetes, a server that never answers). The cases
are independent, so the module fixture runs them all concurrently once and each test checks its own
result: the whole table costs about as much as its slowest case (the server that never answers).

Tests run as root, so a file with mode 000 is still readable: "unreadable" is simulated with a
directory where the file should be, and with a file that is not text.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from sovsim.objects import crd_object, resource_type
from sovsim.server import Emulator
from sovsim.tls import CertificateAuthority
from sovwatch.kube.resources import WATCHED
from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.sources.recording import Recorder
from tests.cli.cli_helpers import Result, sovwatch
from tests.trust.readme_section import bad_input_section
from tests.trust.trust_helpers import (
    DEEP_JSON,
    EndlessAnswer,
    deep_json_server,
    free_port,
    html_server,
    serving,
    silent_server,
)

CONCURRENCY = 6
"""Subprocesses at once: enough to overlap their start-up, few enough for two shared cores."""


@dataclass
class World:
    """The servers and files the cases point sovwatch at."""

    tmp: Path
    emu: Emulator
    """HTTPS emulator with a token user; the good kubeconfig points at it."""
    locked: Emulator
    """HTTPS emulator that answers 403 to every watched resource (discovery still works)."""
    html: str
    silent: str
    huge: str
    """Answers 300 MiB to every request (chunked)."""
    deep: str
    """Answers JSON nested 200,000 deep to every request."""
    files: dict[str, Path] = field(default_factory=dict)

    def good(self, emu: Emulator | None = None) -> dict:
        return (emu or self.emu).kubeconfig(context="sov")

    def write(self, name: str, doc: dict | str | bytes) -> str:
        path = self.tmp / name
        if isinstance(doc, bytes):
            path.write_bytes(doc)
        else:
            path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
        return str(path)

    def kubeconfig(self, name: str, change: Callable[[dict], object] | None = None) -> list[str]:
        """`--kubeconfig` for the good kubeconfig after `change(doc)`."""
        doc = self.good()
        if change is not None:
            change(doc)
        return ["--kubeconfig", self.write(name, doc), "--once", "-o", "plain"]


def _cluster(doc: dict) -> dict:
    return doc["clusters"][0]["cluster"]


def _user(doc: dict) -> dict:
    return doc["users"][0]["user"]


def _exec(*args: str) -> dict:
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": args[0],
            "args": list(args[1:]),
            "interactiveMode": "Never",
        }
    }


def _python(code: str) -> dict:
    return _exec(sys.executable, "-c", code)


def _as_user(name: str, user: dict) -> Callable[[World], list[str]]:
    """`--kubeconfig` for the good kubeconfig with its user's credentials replaced by `user`."""
    return lambda w: w.kubeconfig(name, lambda d: d["users"][0].update(user=user))


@dataclass(frozen=True)
class Case:
    argv: Callable[[World], list[str]]
    code: int
    expect: tuple[str, ...]
    """Fragments of the message line; `{tmp}` and `{url}` are filled in."""
    shape: str = "fatal"
    """`fatal`: stderr is exactly one line, stdout empty. `forbidden`: the same, after the plain
    output's lines about refused streams. `usage`: argparse's usage lines, then one
    error line. `damaged`: the replay's output on stdout, the last stderr line says where it broke."""
    timeout: float = 40.0


def _mismatched_key(w: World) -> list[str]:
    doc = w.emu.kubeconfig(auth="cert", context="sov")
    _, other_key = w.emu.issue_client_cert("someone-else")
    _user(doc)["client-key-data"] = base64.b64encode(other_key).decode()
    return ["--kubeconfig", w.write("mismatched-key", doc), "--once", "-o", "plain"]


def _other_ca(doc: dict) -> None:
    other = CertificateAuthority.generate()
    _cluster(doc)["certificate-authority-data"] = base64.b64encode(other.cert_pem).decode()


def _recording(w: World, name: str, damage: Callable[[bytes], bytes]) -> list[str]:
    return [
        "replay",
        w.write(name, damage(w.files["recording"].read_bytes())),
        "--speed",
        "instant",
    ]


def _corrupt_line_4(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join([*lines[:3], b'{"t": 1764240001.5, "event": "ADDED", "resou\n', *lines[3:]])


def _deep_line_4(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join([*lines[:3], DEEP_JSON + b"\n", *lines[3:]])


def _symlink(w: World, name: str) -> str:
    """A symbolic link named `name` pointing at a file the operator cares about."""
    target = w.tmp / f"{name}.precious"
    target.write_text("keep me\n")
    (w.tmp / name).symlink_to(target)
    return str(w.tmp / name)


CASES: dict[str, Case] = {
    # -- kubeconfig ------------------------------------------------------------------------------
    "kubeconfig-missing": Case(
        lambda w: ["--kubeconfig", str(w.tmp / "nope.yaml")],
        2,
        ("kubeconfig {tmp}/nope.yaml (from --kubeconfig) does not exist", "check the path"),
    ),
    "kubeconfig-unreadable-directory": Case(
        lambda w: ["--kubeconfig", str(w.tmp)],
        2,
        ("kubeconfig {tmp} (from --kubeconfig) is a directory, not a file", "point --kubeconfig"),
    ),
    "kubeconfig-dir-missing": Case(
        lambda w: ["--kubeconfig-dir", str(w.tmp / "nope"), "-o", "plain"],
        2,
        (
            "kubeconfig directory {tmp}/nope (from --kubeconfig-dir) does not exist",
            "check the path",
        ),
    ),
    "kubeconfig-dir-not-a-directory": Case(
        lambda w: ["--kubeconfig-dir", w.write("a-file.yaml", w.good()), "-o", "plain"],
        2,
        (
            "kubeconfig directory {tmp}/a-file.yaml (from --kubeconfig-dir) is not a directory",
            "or use --kubeconfig for one file",
        ),
    ),
    "kubeconfig-unreadable-binary": Case(
        lambda w: ["--kubeconfig", w.write("binary", b"\x1f\x8b\x08\x00\xff\xfe\x00kubeconfig")],
        2,
        ("kubeconfig {tmp}/binary is not a text file", "fix the file"),
    ),
    "kubeconfig-empty": Case(
        lambda w: ["--kubeconfig", w.write("empty", "")],
        2,
        ("kubeconfig {tmp}/empty is empty", "kubectl config view --raw"),
    ),
    "kubeconfig-not-yaml": Case(
        lambda w: ["--kubeconfig", w.write("not-yaml", "clusters: [\n  - name: a\n  cluster: {")],
        2,
        ("kubeconfig {tmp}/not-yaml is not valid YAML at line 2, column 3", "fix the file"),
    ),
    "kubeconfig-yaml-not-kubeconfig": Case(
        lambda w: [
            "--kubeconfig",
            w.write("deployment", {"apiVersion": "apps/v1", "kind": "Deployment"}),
        ],
        2,
        ("kubeconfig {tmp}/deployment is not a kubeconfig (it holds a Deployment)", "kind Config"),
    ),
    "kubeconfig-no-current-context": Case(
        lambda w: w.kubeconfig("no-current", lambda d: d.pop("current-context")),
        2,
        ("{tmp}/no-current has no current-context (available: sov)", "pass --context NAME"),
    ),
    "kubeconfig-unknown-context": Case(
        lambda w: [*w.kubeconfig("unknown-context"), "--context", "sov-prod"],
        2,
        ("context 'sov-prod' not found in {tmp}/unknown-context (available: sov)", "--context"),
    ),
    "kubeconfig-context-missing-user": Case(
        lambda w: w.kubeconfig(
            "missing-user", lambda d: d["contexts"][0]["context"].update(user="ghost")
        ),
        2,
        ("context 'sov' in {tmp}/missing-user names user 'ghost', which is not in its users",),
    ),
    "kubeconfig-context-missing-cluster": Case(
        lambda w: w.kubeconfig(
            "missing-cluster", lambda d: d["contexts"][0]["context"].update(cluster="ghost")
        ),
        2,
        ("names cluster 'ghost', which is not in its clusters (defined: sov)", "fix contexts"),
    ),
    "kubeconfig-bad-base64-ca": Case(
        lambda w: w.kubeconfig(
            "bad-base64",
            lambda d: _cluster(d).update({"certificate-authority-data": "LS0tLS1CRUdJTi*?"}),
        ),
        2,
        ("certificate-authority-data of cluster 'sov' in {tmp}/bad-base64 is not valid base64",),
    ),
    "kubeconfig-missing-cert-file": Case(
        _as_user("missing-cert", {"client-certificate": "sov.crt", "client-key": "sov.key"}),
        2,
        ("file {tmp}/sov.crt named in the kubeconfig does not exist", "fix the path"),
    ),
    "kubeconfig-key-not-matching-cert": Case(
        _mismatched_key,
        2,
        (
            "client certificate/key",
            "KEY_VALUES_MISMATCH",
            "check client-certificate and client-key",
        ),
    ),
    "exec-plugin-not-found": Case(
        _as_user("exec-missing", _exec("sovereign-login")),
        2,
        ("exec credential plugin 'sovereign-login'", "was not found", "install it"),
    ),
    "exec-plugin-exits-non-zero": Case(
        _as_user("exec-fails", _python("import sys; sys.exit('error: not logged in')")),
        2,
        (
            "exec credential plugin",
            "failed with exit status 1",
            "not logged in",
            "are you logged in?",
        ),
    ),
    "exec-plugin-prints-garbage": Case(
        _as_user("exec-garbage", _python("print('{garbage')")),
        2,
        ("exec credential plugin", "is not an ExecCredential (not JSON)", "run it by hand"),
    ),
    "unsupported-auth-provider": Case(
        _as_user(
            "auth-provider", {"auth-provider": {"name": "gcp", "config": {"cmd-path": "gcloud"}}}
        ),
        2,
        ("auth-provider 'gcp' of user 'sov'", "not supported", "exec credential plugin"),
    ),
    "kubeconfig-server-with-userinfo": Case(
        lambda w: w.kubeconfig(
            "userinfo", lambda d: _cluster(d).update(server=w.emu.url.replace("//", "//ops:pw@"))
        ),
        2,
        ("server https://ops:***@127.0.0.1:", "carries a user name or password", "users[].user"),
    ),
    "kubeconfig-insecure-not-boolean": Case(
        lambda w: w.kubeconfig(
            "insecure-yes", lambda d: _cluster(d).update({"insecure-skip-tls-verify": "yes"})
        ),
        2,
        ("insecure-skip-tls-verify is 'yes', not true or false", "write true or false"),
    ),
    "exec-plugin-hangs": Case(
        lambda w: [
            *_as_user("exec-hangs", _exec("/bin/sh", "-c", "sleep 1000 & exit 0"))(w),
            "--exec-timeout",
            "2s",
        ],
        2,
        ("exec credential plugin '/bin/sh'", "did not finish within 2 s", "holding its output"),
    ),
    "socks5-proxy": Case(
        lambda w: w.kubeconfig(
            "socks5", lambda d: _cluster(d).update({"proxy-url": "socks5://127.0.0.1:1080"})
        ),
        2,
        ("proxy-url socks5://127.0.0.1:1080", "not supported", "http:// and https://"),
    ),
    # -- server ----------------------------------------------------------------------------------
    "server-connection-refused": Case(
        lambda w: w.kubeconfig(
            "refused", lambda d: _cluster(d).update(server=f"https://127.0.0.1:{free_port()}")
        ),
        2,
        ("connection refused", "context 'sov' in {tmp}/refused", "is the API server running"),
    ),
    "server-dns-failure": Case(
        lambda w: w.kubeconfig(
            "dns", lambda d: _cluster(d).update(server="https://api.sovereign.invalid:6443")
        ),
        2,
        ("cannot resolve api.sovereign.invalid:6443", "check the server address"),
    ),
    "server-tls-wrong-ca": Case(
        lambda w: w.kubeconfig("wrong-ca", _other_ca),
        2,
        ("TLS verification of {url} failed", "check certificate-authority"),
    ),
    "server-tls-wrong-host-name": Case(
        lambda w: w.kubeconfig(
            "wrong-host", lambda d: _cluster(d).update({"tls-server-name": "api.sovereign.example"})
        ),
        2,
        ("TLS verification of {url} failed", "Hostname mismatch", "'api.sovereign.example'"),
    ),
    "server-401": Case(
        lambda w: w.kubeconfig("revoked", lambda d: _user(d).update(token="revoked-token")),
        2,
        ("rejected the credentials of user 'sov' even after reloading them", "log in again"),
    ),
    "server-403-on-everything": Case(
        lambda w: [
            "--kubeconfig",
            w.write("locked", w.good(w.locked)),
            "--once",
            "-o",
            "plain",
        ],
        2,
        ("user 'sov' may not read anything sovwatch watches", "403 Forbidden", "-n NAMESPACE"),
        "forbidden",
    ),
    "server-not-kubernetes": Case(
        lambda w: w.kubeconfig("html", lambda d: _cluster(d).update(server=w.html)),
        2,
        ("does not answer like a Kubernetes API server", "check the server URL"),
    ),
    "server-huge-answer": Case(
        lambda w: w.kubeconfig("huge", lambda d: _cluster(d).update(server=w.huge)),
        2,
        ("GET /api: the answer is larger than 64 MiB", "does not answer like a Kubernetes API"),
    ),
    "server-deep-json": Case(
        lambda w: w.kubeconfig("deep", lambda d: _cluster(d).update(server=w.deep)),
        2,
        ("GET /api: the answer is JSON nested too deeply", "check the server URL"),
    ),
    "server-never-answers": Case(
        lambda w: w.kubeconfig("silent", lambda d: _cluster(d).update(server=w.silent)),
        2,
        ("did not answer in time", "unreachable or overloaded"),
        timeout=60.0,
    ),
    # -- command line ----------------------------------------------------------------------------
    "cli-unknown-flag": Case(
        lambda w: ["--bogus"], 2, ("sovwatch: error: unrecognized arguments: --bogus",), "usage"
    ),
    "cli-once-with-tui": Case(
        lambda w: ["--once", "-o", "tui"],
        2,
        ("--once prints a snapshot; use it with -o plain or -o json, not -o tui",),
        "usage",
    ),
    "cli-bad-duration": Case(
        lambda w: ["--timeout", "45"],
        2,
        ("invalid duration '45'", "did you mean 45s or 45m?"),
        "usage",
    ),
    "cli-record-path-unwritable": Case(
        lambda w: [*w.kubeconfig("record-ok"), "--record", str(w.tmp / "no-such-dir" / "r.ndjson")],
        2,
        ("cannot write the recording {tmp}/no-such-dir/r.ndjson", "writable directory"),
    ),
    "cli-record-path-is-directory": Case(
        lambda w: [*w.kubeconfig("record-dir"), "--record", str(w.tmp)],
        2,
        ("cannot write the recording {tmp}: Is a directory", "writable directory"),
    ),
    "cli-record-symlink": Case(
        lambda w: [*w.kubeconfig("record-link"), "--record", _symlink(w, "record.ndjson")],
        2,
        ("cannot write the recording {tmp}/record.ndjson: it is a symbolic link",),
    ),
    "cli-log-file-symlink": Case(
        lambda w: [*w.kubeconfig("log-link"), "--log-file", _symlink(w, "sovwatch.log")],
        2,
        ("cannot write the log file {tmp}/sovwatch.log: it is a symbolic link", "--log-file"),
    ),
    "replay-missing-file": Case(
        lambda w: ["replay", str(w.tmp / "gone.ndjson")],
        2,
        ("cannot open recording {tmp}/gone.ndjson: No such file or directory",),
    ),
    "replay-not-a-recording": Case(
        lambda w: ["replay", w.write("not-a-recording.ndjson", "hello\n")],
        2,
        ("{tmp}/not-a-recording.ndjson is not a sovwatch recording",),
    ),
    "replay-header-field-of-another-kind": Case(
        lambda w: [
            "replay",
            w.write("odd.ndjson", '{"schema":"sovwatch.recording/v1","started":"x"}\n'),
        ],
        2,
        (
            "{tmp}/odd.ndjson is not a sovwatch recording (header: could not convert string to float",
        ),
    ),
    "replay-truncated": Case(
        lambda w: _recording(w, "truncated.ndjson", lambda data: data[:-25]),
        0,
        ("recording is damaged at line 5 (line cut off); played what came before it",),
        "damaged",
    ),
    "replay-corrupt-line": Case(
        lambda w: _recording(w, "corrupt.ndjson", _corrupt_line_4),
        0,
        ("recording is damaged at line 4 (not a valid item", "played what came before it"),
        "damaged",
    ),
    "replay-deep-json": Case(
        lambda w: _recording(w, "deep.ndjson", _deep_line_4),
        0,
        ("recording is damaged at line 4 (not a valid item: JSON nested too deeply)",),
        "damaged",
    ),
    "replay-truncated-gzip": Case(
        lambda w: [
            "replay",
            w.write("cut.ndjson.gz", gzip.compress(w.files["recording"].read_bytes())[:-30]),
            "--speed",
            "instant",
        ],
        0,
        ("recording is damaged at line", "unreadable", "played what came before it"),
        "damaged",
    ),
}


def _write_recording(path: Path) -> Path:
    """A four-item recording: header, a stream going live, two HelmRelease events, one more."""
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "bp-cilium", "namespace": "flux-system", "resourceVersion": "7"},
        "spec": {"chart": {"spec": {"chart": "bp-cilium"}}},
    }
    key = "helmreleases.helm.toolkit.fluxcd.io"
    with Recorder(path, context="sov", server="https://127.0.0.1:6443", started=1764240000.0) as r:
        r.write(StreamHealth(key, HealthState.LIVE, 1764240000.5, 0, "helm.toolkit.fluxcd.io/v2"))
        r.write(WatchEvent(key, EventType.ADDED, hr, 1764240001.0))
        r.write(WatchEvent(key, EventType.MODIFIED, {**hr, "status": {}}, 1764240002.0))
        r.write(WatchEvent(key, EventType.MODIFIED, {**hr, "status": {}}, 1764240003.0))
    return path


def _lock_everything(emu: Emulator) -> None:
    for resource in WATCHED:
        rt = resource_type(resource.key)
        if rt.crd:
            emu.store.put(crd_object(rt))
        emu.faults.forbid(resource.key)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def results(tmp_path_factory) -> dict[str, tuple[Result, World]]:
    tmp = tmp_path_factory.mktemp("bad-input")
    async with (
        Emulator(tls=True) as emu,
        Emulator(tls=True) as locked,
        html_server() as html,
        silent_server() as silent,
        serving(EndlessAnswer(300 * 1024 * 1024)) as huge,
        deep_json_server() as deep,
    ):
        _lock_everything(locked)
        world = World(
            tmp=tmp, emu=emu, locked=locked, html=html, silent=silent, huge=huge, deep=deep
        )
        world.files["recording"] = _write_recording(tmp / "good.ndjson")
        gate = asyncio.Semaphore(CONCURRENCY)

        async def run(case: Case) -> Result:
            async with gate:
                return await sovwatch(*case.argv(world), timeout=case.timeout, HOME=str(tmp))

        # the slowest (a server that never answers) first, so it overlaps everything else
        order = sorted(CASES, key=lambda name: -CASES[name].timeout)
        done = await asyncio.gather(*(run(CASES[name]) for name in order))
        yield {name: (result, world) for name, result in zip(order, done, strict=True)}


@pytest.mark.parametrize("name", CASES.keys())
def test_bad_input_is_one_clear_line(results, name: str):
    case = CASES[name]
    result, world = results[name]
    assert "Traceback" not in result.err, result.err
    assert result.code == case.code, result
    lines = result.err.strip().splitlines()
    if case.shape in ("fatal", "forbidden"):
        assert len(lines) == 1, result.err
        # plain output may already have said which streams were refused, and nothing else
        assert all(" forbidden: " in line for line in result.out.splitlines()), result.out
        assert case.shape == "forbidden" or result.out == "", result.out
    elif case.shape == "usage":
        assert lines[0].startswith("usage: sovwatch"), result.err
        assert all(line.startswith(("usage:", " ")) for line in lines[:-1]), result.err
    else:  # damaged: what came before the damage was played
        assert "bp-cilium" in result.out, result
    message = lines[-1]
    assert message.startswith("sovwatch: "), message
    for fragment in case.expect:
        assert fragment.format(tmp=world.tmp, url=world.emu.url) in message, message
    assert world.emu.token not in result.err + result.out


def test_the_never_answering_server_was_really_asked(results):
    """The timeout case must have reached the silent server, not failed before connecting."""
    result, _ = results["server-never-answers"]
    assert "127.0.0.1:" in result.err


def test_every_case_is_documented_with_its_exit_code():
    rows = {}
    for line in bad_input_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    assert set(rows) == set(CASES)
    for name, case in CASES.items():
        assert re.fullmatch(r"\*?\*?(\d+)\*?\*?", rows[name][-1]), rows[name]
        assert int(rows[name][-1].strip("*")) == case.code, name
