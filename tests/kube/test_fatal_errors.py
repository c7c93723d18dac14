"""Problems that make a cluster unusable surface before anything is watched, as one clear line.

Each case raises `FatalError` (the CLI prints it and exits 2) whose single line names what is
wrong (the file, context, plugin or server) and says what to do. No case may leak a traceback-like
multi-line text or a credential.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from sovsim.server import Emulator
from sovwatch.kube import config, errors
from tests.kube.kube_helpers import ca_cluster, exec_user, kubeconfig_doc, open_client
from tests.timings import FAST


@dataclass(frozen=True)
class Case:
    build: Callable[[Emulator, Path, Callable], tuple[tuple[Path, ...], str | None]]
    """(emulator, tmp_path, write) → (kubeconfig paths, --context)."""
    expected: tuple[str, ...]
    """Fragments the message must contain ({tmp}, {url} and {port} are filled in)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _token(emu: Emulator, tmp: Path, write, **cluster) -> tuple[tuple[Path, ...], None]:
    return (write(kubeconfig_doc(emu.url, {"token": emu.token}, cluster=cluster)),), None


CASES = {
    "bad-yaml": Case(
        lambda emu, tmp, write: ((write("clusters: [\n  - name: a\n  cluster: {"),), None),
        ("{tmp}/config", "not valid YAML", "line"),
    ),
    "not-a-kubeconfig": Case(
        lambda emu, tmp, write: ((write("just a string"),), None),
        ("{tmp}/config", "not a kubeconfig"),
    ),
    "unknown-context": Case(
        lambda emu, tmp, write: (_token(emu, tmp, write)[0], "prod"),
        ("context 'prod' not found", "{tmp}/config", "available: sovereign", "--context"),
    ),
    "missing-cert-file": Case(
        lambda emu, tmp, write: (
            (
                write(
                    kubeconfig_doc(
                        "https://127.0.0.1:6443",
                        {"client-certificate": "gone.crt", "client-key": "gone.key"},
                    )
                ),
            ),
            None,
        ),
        ("{tmp}/gone.crt", "does not exist", "context 'sovereign'", "fix the path"),
    ),
    "exec-plugin-not-found": Case(
        lambda emu, tmp, write: (
            (
                write(
                    kubeconfig_doc(
                        emu.url,
                        {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1",
                                "command": "sovereign-login-not-installed",
                                "installHint": "install it with: brew install sovereign-login",
                            }
                        },
                    )
                ),
            ),
            None,
        ),
        ("'sovereign-login-not-installed'", "was not found", "brew install sovereign-login"),
    ),
    "exec-plugin-fails": Case(
        lambda emu, tmp, write: ((write(kubeconfig_doc(emu.url, exec_user(tmp, "fail"))),), None),
        ("exec credential plugin", "failed with exit status 1", "not logged in"),
    ),
    "connection-refused": Case(
        lambda emu, tmp, write: (
            (write(kubeconfig_doc(f"http://127.0.0.1:{_free_port()}", {"token": "t"})),),
            None,
        ),
        ("connection refused", "context 'sovereign'", "{tmp}/config", "is the API server running"),
    ),
    "dns-failure": Case(
        # RFC 6761: no name under .invalid resolves, so this fails without any network.
        lambda emu, tmp, write: (
            (write(kubeconfig_doc("https://api.sovereign.invalid:6443", {"token": "t"})),),
            None,
        ),
        (
            "cannot resolve api.sovereign.invalid:6443",
            "server https://api.sovereign.invalid:6443",
            "{tmp}/config",
            "your DNS/VPN",
        ),
    ),
    "tls-verification": Case(
        lambda emu, tmp, write: _token(emu, tmp, write),  # no CA: the emulator's is unknown
        ("TLS verification of {url} failed", "self-signed certificate", "certificate-authority"),
    ),
    "unauthorized-after-reload": Case(
        lambda emu, tmp, write: (
            (write(kubeconfig_doc(emu.url, {"token": "revoked-token"}, cluster=ca_cluster(emu))),),
            None,
        ),
        ("rejected the credentials of user 'sovereign-admin'", "401", "log in again"),
    ),
    "server-url-with-userinfo": Case(
        lambda emu, tmp, write: (
            (write(kubeconfig_doc("https://admin:hunter2@127.0.0.1:6443", {"token": "t"})),),
            None,
        ),
        (
            "server https://admin:***@127.0.0.1:6443 of cluster 'sovereign'",
            "carries a user name or password",
            "users[].user",
        ),
    ),
    "insecure-skip-tls-verify-not-boolean": Case(
        lambda emu, tmp, write: _token(emu, tmp, write, **{"insecure-skip-tls-verify": "yes"}),
        ("insecure-skip-tls-verify is 'yes', not true or false", "{tmp}/config", "true or false"),
    ),
    "socks5-proxy": Case(
        lambda emu, tmp, write: _token(emu, tmp, write, **{"proxy-url": "socks5://127.0.0.1:1080"}),
        ("proxy-url socks5://127.0.0.1:1080", "not supported", "http:// and https://"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_fatal_problem_is_one_clear_line(tls_emulator: Emulator, tmp_path: Path, write, case):
    paths, context = case.build(tls_emulator, tmp_path, write)
    with pytest.raises(errors.FatalError) as caught:
        await open_client(*paths, context=context)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in case.expected:
        assert fragment.format(tmp=tmp_path, url=tls_emulator.url) in message
    assert tls_emulator.token not in message


async def test_a_401_is_retried_once_with_reloaded_credentials(tls_emulator: Emulator, write):
    path = write(
        kubeconfig_doc(tls_emulator.url, {"token": "nope"}, cluster=ca_cluster(tls_emulator))
    )
    with pytest.raises(errors.FatalError):
        await open_client(path)
    # /version then its retry after the reload: two 401s, and nothing after it.
    assert [r.status for r in tls_emulator.request_log] == [401, 401]


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (
            "/nonexistent/kubeconfig",
            None,
            "/nonexistent/kubeconfig (from --kubeconfig) does not exist",
        ),
        (None, "/nonexistent/a:/nonexistent/b", "none of the kubeconfig files in KUBECONFIG exist"),
        (None, None, "no kubeconfig: /nonexistent-home/.kube/config does not exist"),
    ],
    ids=["flag", "env", "default"],
)
def test_missing_kubeconfig(flag, env, expected):
    with pytest.raises(errors.FatalError, match=re.escape(expected)):
        config.locate_kubeconfig(flag, env, Path("/nonexistent-home"))


async def test_no_current_context(write):
    doc = kubeconfig_doc("http://127.0.0.1:9", {"token": "t"})
    del doc["current-context"]
    with pytest.raises(errors.FatalError, match="has no current-context .available: sovereign"):
        await config.load_connection((write(doc),), settings=FAST)


async def test_a_server_that_never_answers_times_out_with_a_clear_line(write):
    """A listener that accepts and then says nothing (a black-holed TLS handshake, or a resolver
    that hangs instead of failing) ends at the connect timeout, not never."""
    accepted: list[asyncio.StreamWriter] = []

    async def black_hole(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(black_hole, "127.0.0.1", 0)
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    settings = dataclasses.replace(FAST, connect_timeout=0.5)
    try:
        with pytest.raises(errors.FatalError) as caught:
            await asyncio.wait_for(
                open_client(write(kubeconfig_doc(url, {"token": "t"})), settings=settings), 5
            )
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
    message = str(caught.value)
    assert accepted, "the client never reached the listener"
    assert f"cannot connect to 127.0.0.1:{url.rsplit(':', 1)[1]}: no answer within 0.5 s" in message
    assert "your DNS and VPN" in message
    assert "\n" not in message


async def test_a_server_that_is_not_kubernetes(write):
    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<h1>Not Found</h1>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", not_found)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        with pytest.raises(errors.FatalError, match="does not answer like a Kubernetes API server"):
            await open_client(write(kubeconfig_doc(url, {"token": "t"})))
    finally:
        await runner.cleanup()
