"""Secrets never leak: a canary planted in every secret-bearing place shows up in no output.

The canary sits in the bearer token, a client key (the kubeconfig carries a token and a client
certificate, as `kubectl config view --raw` often shows), a pod's and a Deployment's env values and
a HelmRelease's `spec.values` password. sovwatch then runs every way an operator can run it, over
the real watch path against the emulator: plain, json, `--record` (and the replay of that
recording), and the TUI (its screenshots, main screen and detail pane). The canary must appear in
none of them, nor on stderr, nor in any log record; and sovwatch must never ask for a Secret.

The canary also sits where diagnostics used to leak it: a proxy's password (proxy-url,
HTTPS_PROXY, a proxy refusing the tunnel), a server URL's userinfo, an exec plugin's stderr, and a
server or gateway echoing the token (at start-up, and mid-watch into stdout, the recording and the
log file).
"""

from __future__ import annotations

import base64
import gzip
import logging
import secrets
from pathlib import Path

import pytest
import yaml

from sovsim.server import Emulator
from sovsim.status import status
from sovwatch.invocation import Invocation
from sovwatch.pipeline import interactive
from sovwatch.session import live_session, pipeline_of
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from tests.cli.cli_helpers import sovwatch
from tests.emulator.helpers import install_flux_crds
from tests.kube.kube_helpers import ConnectProxy, shell_exec_user
from tests.sources.engine_objects import deployment
from tests.sources.fault_front import FaultFront
from tests.trust.trust_helpers import Running, free_port
from tests.trust.trust_objects import HR, helmrelease, pod

CANARY = f"canary{secrets.token_hex(8)}"


@pytest.fixture
async def cluster(tmp_path: Path):
    """(emulator, kubeconfig path, the client key's base64) with the canary planted everywhere."""
    async with Emulator(tls=True, token=f"{CANARY}-token") as emu:
        install_flux_crds(emu.store)
        emu.store.put(helmrelease("bp-keycloak", values={"adminPassword": f"{CANARY}-values"}))
        emu.store.put(pod("keycloak-0", "keycloak", env={"KC_DB_PASSWORD": f"{CANARY}-env"}))
        emu.store.put(
            deployment(
                "keycloak",
                "keycloak",
                ready=0,
                image="quay.io/keycloak/keycloak:26.0",
                env=[{"name": "KC_BOOTSTRAP_ADMIN", "value": f"{CANARY}-d"}],
                args=["start", f"--db-password={CANARY}-args"],
            )
        )
        doc = emu.kubeconfig(auth="cert", context="sov")
        doc["users"][0]["user"]["token"] = emu.token
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(doc))
        yield emu, path, doc["users"][0]["user"]["client-key-data"]


def _secrets_in(text: str, key_b64: str) -> list[str]:
    """Which secrets `text` holds: the canary, or any 40-character piece of the client key (PEM
    body or its base64 in the kubeconfig)."""
    key_pem_body = "".join(base64.b64decode(key_b64).decode().splitlines()[1:-1])
    pieces = [key_b64[i : i + 40] for i in range(0, len(key_b64) - 40, 40)]
    pieces += [key_pem_body[i : i + 40] for i in range(0, len(key_pem_body) - 40, 40)]
    found = [CANARY] if CANARY in text else []
    return found + [p for p in pieces if p in text]


async def test_no_secret_in_plain_json_record_or_replay(cluster, tmp_path: Path):
    emu, kubeconfig, key_b64 = cluster
    recording = tmp_path / "run.ndjson.gz"
    base = ("--kubeconfig", str(kubeconfig), "--once")
    plain = await sovwatch(*base, "-o", "plain", "--record", str(recording))
    json_ = await sovwatch(*base, "-o", "json")
    replayed = await sovwatch(
        "replay", str(recording), "--speed", "instant", "--once", "-o", "json"
    )
    recorded = gzip.decompress(recording.read_bytes()).decode()
    for result in (plain, json_, replayed):
        assert result.code == 0, result
        assert "bp-keycloak" in result.out  # the runs saw the objects the canary hides in
        assert _secrets_in(result.out + result.err, key_b64) == [], result.args
    assert "keycloak-0" in recorded
    assert "KC_DB_PASSWORD" not in recorded  # no env at all: slimming keeps what the model reads
    assert _secrets_in(recorded, key_b64) == []
    assert recording.stat().st_mode & 0o777 == 0o600
    assert not [r.path for r in emu.request_log if "secrets" in r.path.split("/")]


async def _live_tui(kubeconfig: Path) -> SovwatchApp:
    """The terminal UI wired as `sovwatch --kubeconfig PATH` wires it, to run on the test's loop."""
    invocation = Invocation(command="watch", output="tui", kubeconfig=str(kubeconfig))
    session = await live_session(invocation)
    return SovwatchApp(
        session.source,
        pipeline=pipeline_of(invocation, session, interactive()),
        settings=TuiSettings(ascii=True),
    )


async def _screen_showing(app: SovwatchApp, pilot, text: str) -> str:
    """The screen once it shows `text` (or after 10 s, for the caller's assertions to fail on)."""
    for _ in range(100):
        await pilot.pause(0.1)
        if text in app.export_screenshot():
            break
    return app.export_screenshot()


async def test_no_secret_in_the_tui_or_the_logs(cluster, tmp_path: Path, caplog):
    emu, kubeconfig, key_b64 = cluster
    caplog.set_level(logging.DEBUG)
    app = await _live_tui(kubeconfig)
    shots = []
    async with app.run_test(size=(160, 48)) as pilot:
        shots.append(await _screen_showing(app, pilot, "bp-keycloak"))
        await pilot.press("enter")  # the detail pane of the release: pods, containers, events
        await pilot.pause(0.3)
        shots.append(app.export_screenshot())
        await pilot.press("q")
    assert "bp-keycloak" in shots[0]
    assert "keycloak-0" in shots[1]
    for shot in shots:
        assert _secrets_in(shot, key_b64) == []
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert _secrets_in(logged, key_b64) == []
    assert not [r.path for r in emu.request_log if "secrets" in r.path.split("/")]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "sovereign.example"])
def test_the_emulator_binds_loopback_only(host: str):
    with pytest.raises(ValueError, match="loopback only"):
        Emulator(host=host)


async def test_insecure_skip_tls_verify_is_a_warning_in_every_mode(tmp_path: Path):
    async with Emulator(tls=True) as emu:
        install_flux_crds(emu.store)
        emu.store.put(helmrelease("bp-cilium"))
        doc = emu.kubeconfig(context="sov")
        cluster = doc["clusters"][0]["cluster"]
        del cluster["certificate-authority-data"]
        cluster["insecure-skip-tls-verify"] = True
        path = tmp_path / "insecure"
        path.write_text(yaml.safe_dump(doc))
        base = ("--kubeconfig", str(path), "--once")
        plain = await sovwatch(*base, "-o", "plain")
        json_ = await sovwatch(*base, "-o", "json")
        app = await _live_tui(path)
        async with app.run_test(size=(120, 30)) as pilot:
            header = await _screen_showing(app, pilot, "bp-cilium")
            await pilot.press("q")
    warning = "insecure-skip-tls-verify is set for cluster 'sov'"
    assert plain.code == json_.code == 0
    assert warning in plain.err
    assert warning in json_.err
    assert f"warning: {warning}" in plain.out
    (snapshot,) = json_.records()
    assert any(warning in w for w in snapshot["cluster"]["warnings"])
    assert "INSECURE&#160;TLS" in header or "INSECURE TLS" in header


# -- diagnostics: proxies, URLs, exec plugins and servers that echo credentials -----------------


def _doc(server: str, user: dict, **cluster: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "sov",
        "clusters": [{"name": "sov", "cluster": {"server": server, **cluster}}],
        "users": [{"name": "sov", "user": user}],
        "contexts": [{"name": "sov", "context": {"cluster": "sov", "user": "sov"}}],
    }


def _write(tmp_path: Path, name: str, doc: dict) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return str(path)


async def test_no_secret_in_fatal_diagnostics(tmp_path: Path):
    """Every start-up failure that used to print a credential: a refused proxy with a password
    (kubeconfig proxy-url, HTTPS_PROXY), a proxy that refuses the tunnel (aiohttp's text carries
    `url='http://user:password@…'`), a server URL with userinfo (with a token too: it used to
    crash on aiohttp's `Cannot combine AUTHORIZATION header`), an exec plugin whose stderr holds
    its token, and a gateway that answers 403 echoing the Authorization header and the bare token."""
    token = f"{CANARY}-token"
    refused = f"http://ops:{CANARY}-proxy@127.0.0.1:{free_port()}"
    invalid = "https://api.sovereign.invalid:6443"
    bearer = {"token": token}
    connect = ConnectProxy()  # tunnels to 127.0.0.1 only: api.sovereign.invalid gets 403
    await connect.start()
    try:
        async with Emulator(token=token) as emu, FaultFront(emu) as front:
            port = front.url.rpartition(":")[2]
            echo = f"gateway: Authorization: Bearer {token} (credential {token}) is not allowed"
            front.answer_next("api", watch=False, status=403, body=status(403, echo))
            proxied = connect.url.replace("//", f"//ops:{CANARY}-tunnel@")
            runs = {
                "proxy-url": (_doc(invalid, bearer, **{"proxy-url": refused}), {}),
                "HTTPS_PROXY": (_doc(invalid, bearer), {"HTTPS_PROXY": refused}),
                "proxy-403": (_doc(invalid, bearer, **{"proxy-url": proxied}), {}),
                "userinfo": (_doc(f"http://ops:{CANARY}-url@127.0.0.1:{port}", {}), {}),
                "userinfo-and-token": (
                    _doc(f"http://ops:{CANARY}-url@127.0.0.1:{port}", bearer),
                    {},
                ),
                "exec-stderr": (
                    _doc(
                        front.url,
                        shell_exec_user(
                            f"echo 'error: token={CANARY}-exec expired; sent Authorization: "
                            f"Bearer {CANARY}-bearer' >&2; exit 1"
                        ),
                    ),
                    {},
                ),
                "server-echo": (_doc(front.url, bearer), {}),
            }
            results = {}
            for name, (doc, environ) in runs.items():
                kubeconfig = _write(tmp_path, name, doc)
                for output in ("plain", "json"):
                    args = ("--kubeconfig", kubeconfig, "--once", "-o", output)
                    front.answer_next("api", watch=False, status=403, body=status(403, echo))
                    results[name, output] = await sovwatch(*args, **environ)
    finally:
        await connect.stop()
    for (name, output), result in results.items():
        assert result.code == 2, (name, output, result)
        assert "Traceback" not in result.err, result.err
        assert len(result.err.splitlines()) == 1, result.err
        assert CANARY not in result.out + result.err, (name, output, result.err)
    assert "failed: it answered 403 Forbidden" in results["proxy-403", "plain"].err
    assert "not allowed" in results["server-echo", "plain"].err  # the echo is shown, redacted
    assert "carries a user name or password" in results["userinfo-and-token", "json"].err


@pytest.mark.parametrize("output", ["plain", "json"])
async def test_no_secret_from_a_server_that_echoes_the_token_mid_watch(tmp_path: Path, output):
    """A gateway answers a watch 500 echoing the Authorization header and the bare token: the
    stream's detail reaches stdout, the recording and the log, all without the token."""
    token = f"{CANARY}-token"
    recording, log = tmp_path / "run.ndjson", tmp_path / "sovwatch.log"
    async with Emulator(token=token) as emu, FaultFront(emu) as front:
        install_flux_crds(emu.store)
        emu.store.put(helmrelease("bp-keycloak"))
        kubeconfig = _write(tmp_path, "kubeconfig", _doc(front.url, {"token": token}))
        run = await Running.start(
            "--kubeconfig", kubeconfig, "-o", output, "-vv", "--record", str(recording),
            "--log-file", str(log),
        )  # fmt: skip
        try:
            await run.until(lambda line: "bp-keycloak" in line)
            echo = f"upstream said: Authorization: Bearer {token}; token {token} unknown"
            front.answer_next(
                "helmreleases", status=500, body=status(500, echo, reason="InternalError")
            )
            emu.faults.close_watches(HR)
            await run.until(lambda line: "reconnecting" in line and "unknown" in line)
        finally:
            code, out, err = await run.stop()
    assert code == 130, err
    assert "Authorization: Bearer ***; token *** unknown" in out, out
    logged = log.read_text()
    assert " DEBUG " in logged
    for text in (out, err, recording.read_text(), logged):
        assert CANARY not in text


async def test_a_token_over_plain_http_is_a_warning_in_every_mode(tmp_path: Path):
    """The server is named `api.sovereign.invalid` and reached through an HTTP proxy (the fault
    front forwards to the emulator), so the token really crosses a network path in clear text."""
    async with Emulator() as emu, FaultFront(emu) as front:
        install_flux_crds(emu.store)
        emu.store.put(helmrelease("bp-cilium"))
        port = front.url.rpartition(":")[2]
        server = f"http://api.sovereign.invalid:{port}"
        path = _write(
            tmp_path, "http", _doc(server, {"token": emu.token}, **{"proxy-url": front.url})
        )
        base = ("--kubeconfig", path, "--once")
        plain = await sovwatch(*base, "-o", "plain")
        json_ = await sovwatch(*base, "-o", "json")
        app = await _live_tui(Path(path))
        async with app.run_test(size=(120, 30)) as pilot:
            header = await _screen_showing(app, pilot, "bp-cilium")
            await pilot.press("q")
    warning = f"the token of user 'sov' goes to {server} over plain http://"
    assert plain.code == json_.code == 0, (plain, json_)
    assert plain.err.count(warning) == json_.err.count(warning) == 1
    assert f"warning: {warning}" in plain.out
    (snapshot,) = json_.records()
    assert [w for w in snapshot["cluster"]["warnings"] if warning in w]
    assert "!&#160;WARNING" in header or "! WARNING" in header
    assert emu.token not in plain.out + plain.err + json_.out + json_.err + header
