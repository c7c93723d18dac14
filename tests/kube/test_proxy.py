"""Proxies from the environment: HTTPS_PROXY/HTTP_PROXY/NO_PROXY, decided as kubectl (Go) does.

The table checks the pure decision against the rules of golang.org/x/net/http/httpproxy. The
connection tests go through the loopback CONNECT proxy to the TLS emulator under a name only the
proxy can resolve (`api.sovereign.invalid`), so a request that succeeds provably used the proxy, and
one that was meant to go direct fails on name resolution without any network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch.kube import errors
from sovwatch.kube.proxy import EnvironmentProxy, proxy_from_environment
from tests.kube.kube_helpers import ca_cluster, kubeconfig_doc, open_client

PROXY = "http://proxy.corp.example:3128"
SERVER = "https://api.sovereign.example.com:6443"

CHOICES = {
    # (server, environment, expected proxy URL or None, expected variable)
    "https-uses-HTTPS_PROXY": (SERVER, {"HTTPS_PROXY": PROXY}, PROXY, "HTTPS_PROXY"),
    "lower-case-variable": (SERVER, {"https_proxy": PROXY}, PROXY, "https_proxy"),
    "upper-case-wins": (
        SERVER,
        {"HTTPS_PROXY": PROXY, "https_proxy": "http://other:1"},
        PROXY,
        "HTTPS_PROXY",
    ),
    "empty-upper-case-is-skipped": (
        SERVER,
        {"HTTPS_PROXY": "", "https_proxy": PROXY},
        PROXY,
        "https_proxy",
    ),
    "https-ignores-HTTP_PROXY": (SERVER, {"HTTP_PROXY": PROXY}, None, None),
    "http-uses-HTTP_PROXY": (
        "http://api.sovereign.example.com:8080",
        {"HTTP_PROXY": PROXY, "HTTPS_PROXY": "http://other:1"},
        PROXY,
        "HTTP_PROXY",
    ),
    "no-scheme-means-http": (
        SERVER,
        {"HTTPS_PROXY": "proxy.corp.example:3128"},
        PROXY,
        "HTTPS_PROXY",
    ),
    "https-proxy-kept": (
        SERVER,
        {"HTTPS_PROXY": "https://proxy.corp.example"},
        "https://proxy.corp.example",
        "HTTPS_PROXY",
    ),
    "nothing-set": (SERVER, {}, None, None),
    "loopback-ip-is-never-proxied": ("https://127.0.0.1:6443", {"HTTPS_PROXY": PROXY}, None, None),
    "localhost-is-never-proxied": ("https://localhost:6443", {"HTTPS_PROXY": PROXY}, None, None),
    "ipv6-loopback-is-never-proxied": ("https://[::1]:6443", {"HTTPS_PROXY": PROXY}, None, None),
}

# (NO_PROXY, server, proxied?)
NO_PROXY = {
    "exact-host": ("api.sovereign.example.com", SERVER, False),
    "domain-covers-subdomains": ("example.com", SERVER, False),
    "domain-matches-itself": ("example.com", "https://example.com", False),
    "leading-dot-covers-subdomains": (".sovereign.example.com", SERVER, False),
    "leading-dot-not-the-domain-itself": (".example.com", "https://example.com", True),
    "star-dot-is-leading-dot": ("*.example.com", SERVER, False),
    "suffix-is-not-a-subdomain": ("eexample.com", "https://example.com", True),
    "label-boundary": ("ample.com", SERVER, True),
    "case-insensitive": ("API.Sovereign.EXAMPLE.com", SERVER, False),
    "list-with-spaces": ("  corp.internal , sovereign.example.com ", SERVER, False),
    "matching-port": ("api.sovereign.example.com:6443", SERVER, False),
    "other-port": ("api.sovereign.example.com:443", SERVER, True),
    "default-https-port": (
        "api.sovereign.example.com:443",
        "https://api.sovereign.example.com",
        False,
    ),
    "star-alone-disables-proxying": ("*", SERVER, False),
    "star-inside-a-list": ("corp.internal,*", SERVER, False),
    "cidr-contains": ("10.0.0.0/8", "https://10.20.30.40:6443", False),
    "cidr-does-not-contain": ("10.0.0.0/8", "https://192.168.1.10:6443", True),
    "cidr-never-matches-a-name": ("10.0.0.0/8", SERVER, True),
    "ip": ("192.168.1.10", "https://192.168.1.10:6443", False),
    "ip-with-port": ("192.168.1.10:6443", "https://192.168.1.10:6443", False),
    "ip-other-port": ("192.168.1.10:443", "https://192.168.1.10:6443", True),
    "ipv6": ("2001:db8::1", "https://[2001:db8::1]:6443", False),
    "ipv6-cidr": ("2001:db8::/32", "https://[2001:db8::7]:6443", False),
    "ipv6-bracketed-with-port": ("[2001:db8::1]:6443", "https://[2001:db8::1]:6443", False),
    "name-does-not-match-by-dns": ("api.sovereign.example.com", "https://192.168.1.10", True),
    "port-only-entry-is-ignored": (":6443", SERVER, True),
    "unrelated": ("corp.internal,.svc,10.96.0.0/12", SERVER, True),
}


@pytest.mark.parametrize(("server", "environ", "url", "variable"), CHOICES.values(), ids=CHOICES)
def test_proxy_from_environment(server, environ, url, variable):
    expected = EnvironmentProxy(url, variable) if url else None
    assert proxy_from_environment(server, environ) == expected


@pytest.mark.parametrize(("no_proxy", "server", "proxied"), NO_PROXY.values(), ids=NO_PROXY)
@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy(no_proxy, server, proxied, variable):
    chosen = proxy_from_environment(server, {"HTTPS_PROXY": PROXY, variable: no_proxy})
    assert (chosen is not None) == proxied


def test_upper_case_no_proxy_wins():
    environ = {"HTTPS_PROXY": PROXY, "NO_PROXY": "corp.internal", "no_proxy": "example.com"}
    assert proxy_from_environment(SERVER, environ) is not None


# -- over the wire -------------------------------------------------------------------------------

INVALID_HOST = "api.sovereign.invalid"


def _invalid_host_kubeconfig(emu: Emulator, write, **cluster) -> Path:
    """A kubeconfig naming the TLS emulator `api.sovereign.invalid` (its certificate says
    localhost, hence tls-server-name)."""
    cluster = {**ca_cluster(emu), "tls-server-name": "localhost", **cluster}
    server = f"https://{INVALID_HOST}:{emu.port}"
    return write(kubeconfig_doc(server, {"token": emu.token}, cluster=cluster))


async def _can_list_pods(client) -> None:
    async with client:
        assert (await client.get_json("/api/v1/pods"))["kind"] == "PodList"


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
async def test_https_proxy_from_the_environment_tunnels(
    tls_emulator: Emulator, write, connect_proxy, variable
):
    connect_proxy.hosts[INVALID_HOST] = "127.0.0.1"
    path = _invalid_host_kubeconfig(tls_emulator, write)
    await _can_list_pods(await open_client(path, environ={variable: connect_proxy.url}))
    assert set(connect_proxy.tunnels) == {f"{INVALID_HOST}:{tls_emulator.port}"}


async def test_kubeconfig_proxy_url_wins_over_the_environment(
    tls_emulator: Emulator, write, connect_proxy
):
    connect_proxy.hosts[INVALID_HOST] = "127.0.0.1"
    path = _invalid_host_kubeconfig(tls_emulator, write, **{"proxy-url": connect_proxy.url})
    environ = {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": INVALID_HOST}
    await _can_list_pods(await open_client(path, environ=environ))
    assert connect_proxy.tunnels


@pytest.mark.parametrize(
    "no_proxy", [INVALID_HOST, ".invalid", "sovereign.invalid:{port}", "*"], ids=str
)
async def test_no_proxy_sends_the_request_direct(
    tls_emulator: Emulator, write, connect_proxy, no_proxy
):
    connect_proxy.hosts[INVALID_HOST] = "127.0.0.1"
    path = _invalid_host_kubeconfig(tls_emulator, write)
    environ = {
        "HTTPS_PROXY": connect_proxy.url,
        "NO_PROXY": no_proxy.format(port=tls_emulator.port),
    }
    with pytest.raises(errors.FatalError, match=f"cannot resolve {INVALID_HOST}"):
        await open_client(path, environ=environ)
    assert connect_proxy.tunnels == []


async def test_loopback_server_ignores_the_environment_proxy(tls_emulator: Emulator, write):
    # The proxy would refuse everything: the request must not even try it.
    path = write(
        kubeconfig_doc(
            tls_emulator.url, {"token": tls_emulator.token}, cluster=ca_cluster(tls_emulator)
        )
    )
    await _can_list_pods(await open_client(path, environ={"HTTPS_PROXY": "http://127.0.0.1:9"}))


async def test_a_dead_environment_proxy_is_named_with_its_variable(tls_emulator: Emulator, write):
    path = _invalid_host_kubeconfig(tls_emulator, write)
    with pytest.raises(errors.FatalError) as caught:
        await open_client(path, environ={"https_proxy": "http://127.0.0.1:9"})
    message = str(caught.value)
    assert "proxy http://127.0.0.1:9 (from https_proxy) failed" in message
    assert "NO_PROXY" in message


async def test_socks_proxy_from_the_environment_is_not_supported(tls_emulator: Emulator, write):
    path = _invalid_host_kubeconfig(tls_emulator, write)
    with pytest.raises(errors.FatalError) as caught:
        await open_client(path, environ={"HTTPS_PROXY": "socks5h://ops:s3cret@127.0.0.1:1080"})
    message = str(caught.value)
    assert "HTTPS_PROXY=socks5h://ops:***@127.0.0.1:1080 is not supported" in message
    assert "s3cret" not in message
