"""Every way a kubeconfig can authenticate, over real HTTP(S) against the emulator.

Each case loads a kubeconfig with `config.load_connection`, passes the pre-flight `api.connect`,
and then lists pods, which the emulator only answers for an authenticated user. Refresh and reload
cases show, via the emulator's request log and the plugin's run counter, that credentials really
changed on the wire.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch.kube import config, errors
from tests.kube.kube_helpers import ca_cluster, exec_user, kubeconfig_doc, open_client
from tests.timings import FAST


async def _can_list_pods(client) -> None:
    async with client:
        listing = await client.get_json("/api/v1/pods")
    assert listing["kind"] == "PodList"


async def test_bearer_token(emulator: Emulator, write):
    path = write(kubeconfig_doc(emulator.url, {"token": emulator.token}))
    await _can_list_pods(await open_client(path))


async def test_token_file_is_reread_after_a_401(emulator: Emulator, write, tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(emulator.token + "\n")  # as `kubectl create token > file` leaves it
    path = write(kubeconfig_doc(emulator.url, {"tokenFile": str(token_file)}))
    client = await open_client(path)
    async with client:
        # The token is rotated on disk and the old one revoked, as a projected token is.
        token_file.write_text("rotated-token\n")
        emulator.tokens = {"rotated-token"}
        before = len(emulator.request_log)
        listing = await client.get_json("/api/v1/pods")
    assert listing["kind"] == "PodList"
    statuses = [r.status for r in emulator.request_log[before:]]
    assert statuses == [401, 200]


@pytest.mark.parametrize("form", ["files", "data"])
async def test_client_certificate_over_tls(tls_emulator: Emulator, write, tmp_path: Path, form):
    cert, key = tls_emulator.issue_client_cert("sovwatch-operator")
    if form == "files":
        (tmp_path / "client.crt").write_bytes(cert)
        (tmp_path / "client.key").write_bytes(key)
        user = {"client-certificate": "client.crt", "client-key": "client.key"}  # relative
        doc = kubeconfig_doc(tls_emulator.url, user, cluster=ca_cluster(tls_emulator))
    else:
        doc = tls_emulator.kubeconfig(auth="cert")
    await _can_list_pods(await open_client(write(doc)))


@pytest.mark.parametrize("api_version", ["v1", "v1beta1"])
async def test_exec_plugin_token_is_refreshed_when_it_expires(
    emulator: Emulator, write, tmp_path: Path, api_version
):
    lifetime = 0.6
    emulator.tokens |= {f"exec-token-{n}" for n in range(1, 20)}
    user = exec_user(tmp_path, "token", lifetime=lifetime, api_version=api_version)
    client = await open_client(write(kubeconfig_doc(emulator.url, user)))
    runs = tmp_path / "runs"
    async with client:
        assert runs.read_text() == "1"
        await client.get_json("/api/v1/pods")
        assert runs.read_text() == "1", "a valid credential must be reused, not re-fetched"
        await asyncio.sleep(lifetime + 0.1)
        emulator.tokens.discard("exec-token-1")  # expired tokens stop working
        before = len(emulator.request_log)
        await client.get_json("/api/v1/pods")
    assert runs.read_text() == "2"
    assert [r.status for r in emulator.request_log[before:]] == [200]


async def test_exec_plugin_that_returns_a_client_certificate(
    tls_emulator: Emulator, write, tmp_path: Path
):
    cert, key = tls_emulator.issue_client_cert("exec-operator")
    (tmp_path / "client.crt").write_bytes(cert)
    (tmp_path / "client.key").write_bytes(key)
    doc = kubeconfig_doc(
        tls_emulator.url, exec_user(tmp_path, "cert"), cluster=ca_cluster(tls_emulator)
    )
    await _can_list_pods(await open_client(write(doc)))
    assert (tmp_path / "runs").read_text() == "1"


async def test_exec_plugin_stderr_never_reaches_the_terminal(
    emulator: Emulator, write, tmp_path: Path, capfd
):
    emulator.tokens.add("exec-token-1")
    user = exec_user(tmp_path, "token")
    await _can_list_pods(await open_client(write(kubeconfig_doc(emulator.url, user))))
    out, err = capfd.readouterr()
    assert "fake-exec-plugin" not in out + err


async def test_insecure_skip_tls_verify_works_and_warns(tls_emulator: Emulator, write):
    doc = kubeconfig_doc(
        tls_emulator.url, {"token": tls_emulator.token}, cluster={"insecure-skip-tls-verify": True}
    )
    path = write(doc)
    connection = await config.load_connection((path,), settings=FAST)
    assert len(connection.warnings) == 1
    assert "insecure-skip-tls-verify" in connection.warnings[0]
    assert str(path) in connection.warnings[0]
    await _can_list_pods(await open_client(path))


@pytest.mark.parametrize(("value", "verified"), [("false", True), ("True", False), (False, True)])
async def test_insecure_skip_tls_verify_is_read_strictly(
    tls_emulator: Emulator, write, value, verified: bool
):
    """The string "false" keeps verification on (it used to count as true); "True" turns it off.
    Without the CA, only an unverified connection can succeed."""
    doc = kubeconfig_doc(
        tls_emulator.url, {"token": tls_emulator.token}, cluster={"insecure-skip-tls-verify": value}
    )
    path = write(doc)
    if verified:
        with pytest.raises(errors.FatalError, match="TLS verification of"):
            await open_client(path)
    else:
        await _can_list_pods(await open_client(path))


@pytest.mark.parametrize(
    ("server", "proxy", "warned"),
    [
        ("http://api.sovereign.example:8080", None, True),
        ("http://127.0.0.1:8080", None, False),  # never leaves this machine
        ("http://localhost:8080", "http://proxy.corp:3128", True),  # ... unless a proxy relays it
        ("https://api.sovereign.example:6443", None, False),
    ],
)
@pytest.mark.parametrize("user", [{"token": "t0k3n-abcdef"}, {"username": "ops", "password": "pw"}])
async def test_a_credential_over_plain_http_is_warned_about(
    write, server: str, proxy: str | None, warned: bool, user: dict
):
    cluster = {"proxy-url": proxy} if proxy else {}
    connection = await config.load_connection(
        (write(kubeconfig_doc(server, user, cluster=cluster)),), settings=FAST
    )
    said = [w for w in connection.warnings if "plain http://" in w]
    assert len(said) == (1 if warned else 0), connection.warnings
    if warned:
        secret = "token" if "token" in user else "password"
        assert said[0].startswith(f"the {secret} of user 'sovereign-admin' goes to {server}")
        assert "use an https:// server" in said[0]


async def test_no_credential_over_plain_http_is_not_warned_about(write):
    connection = await config.load_connection(
        (write(kubeconfig_doc("http://api.sovereign.example:8080", {})),), settings=FAST
    )
    assert connection.warnings == ()


@pytest.mark.parametrize(
    ("server_name", "works"), [("localhost", True), ("not-the-apiserver.example", False)]
)
async def test_tls_server_name_is_what_the_certificate_is_checked_against(
    tls_emulator: Emulator, write, server_name, works
):
    cluster = {**ca_cluster(tls_emulator), "tls-server-name": server_name}
    path = write(kubeconfig_doc(tls_emulator.url, {"token": tls_emulator.token}, cluster=cluster))
    if works:
        await _can_list_pods(await open_client(path))
    else:
        with pytest.raises(errors.FatalError, match="TLS verification"):
            await open_client(path)


async def test_proxy_url_tunnels_through_a_connect_proxy(
    tls_emulator: Emulator, write, connect_proxy
):
    cluster = {**ca_cluster(tls_emulator), "proxy-url": connect_proxy.url}
    doc = kubeconfig_doc(tls_emulator.url, {"token": tls_emulator.token}, cluster=cluster)
    await _can_list_pods(await open_client(write(doc)))
    assert connect_proxy.tunnels, "no request went through the proxy"
    assert set(connect_proxy.tunnels) == {f"127.0.0.1:{tls_emulator.port}"}


async def test_kubeconfig_paths_are_merged_first_file_wins(emulator: Emulator, write):
    # a: the cluster, its user and a context; b: a second context and a current-context that
    # must lose to a's, as kubectl merges KUBECONFIG=a:b.
    a = kubeconfig_doc(emulator.url, {"token": emulator.token}, name="sovereign")
    b = kubeconfig_doc("http://127.0.0.1:9", {"token": "other"}, name="elsewhere")
    path_a, path_b = write(a, "a.yaml"), write(b, "b.yaml")
    paths = config.locate_kubeconfig(None, f"{path_a}:/nonexistent/c.yaml:{path_b}", Path("/"))
    assert paths == (path_a, path_b)
    connection = await config.load_connection(paths, settings=FAST)
    assert (connection.context, connection.server) == ("sovereign", emulator.url)
    await _can_list_pods(await open_client(*paths))
    other = await config.load_connection(paths, context="elsewhere", settings=FAST)
    assert other.server == "http://127.0.0.1:9"


def test_default_kubeconfig_location(tmp_path: Path):
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text("{}")
    assert config.locate_kubeconfig(None, None, tmp_path) == (tmp_path / ".kube" / "config",)
    assert config.locate_kubeconfig(str(tmp_path / ".kube" / "config"), "ignored", Path("/")) == (
        tmp_path / ".kube" / "config",
    )


def test_proxy_password_is_redacted_in_messages():
    assert config.redact_url("http://ops:s3cret@proxy:3128") == "http://ops:***@proxy:3128"
    assert config.redact_url("http://proxy:3128") == "http://proxy:3128"


async def test_concurrent_401s_reload_the_credentials_once(emulator: Emulator, write, tmp_path):
    emulator.tokens.add("exec-token-1")
    client = await open_client(write(kubeconfig_doc(emulator.url, exec_user(tmp_path, "token"))))
    async with client:
        emulator.tokens = {"exec-token-2"}  # revoked before its expiry, as on a logout
        before = len(emulator.request_log)
        await asyncio.gather(*(client.get_json("/api/v1/pods") for _ in range(5)))
    assert (tmp_path / "runs").read_text() == "2"
    statuses = [r.status for r in emulator.request_log[before:]]
    assert sorted(statuses) == [200] * 5 + [401] * 5


async def test_a_tls_connection_keeps_a_small_read_buffer(tls_emulator: Emulator, write):
    """asyncio keeps a 256 KiB read buffer per TLS connection (3.5 MiB for a cluster's watches);
    sovwatch's connections keep one TLS record's worth."""
    import asyncio.sslproto
    import gc

    from sovwatch.kube.api import TLS_READ_BUFFER

    client = await open_client(write(tls_emulator.kubeconfig()))
    async with client:
        listing = await client.get_json("/api/v1/pods")
        assert listing["kind"] == "PodList"
        buffers = [
            len(o._ssl_buffer)
            for o in gc.get_objects()
            if isinstance(o, asyncio.sslproto.SSLProtocol) and o._app_protocol is not None
        ]
    assert buffers
    assert max(buffers) <= TLS_READ_BUFFER == 16 * 1024
