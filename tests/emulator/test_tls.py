"""HTTPS with the emulator's generated CA: token auth, client-certificate auth, and rejections."""

from __future__ import annotations

import ssl
import stat

import aiohttp
import pytest
import yaml

from sovsim.tls import CertificateAuthority

from .helpers import pod


def client_context(
    ca_pem: bytes, cert: tuple[bytes, bytes] | None = None, tmp_path=None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem.decode())
    if cert is not None:
        cert_path, key_path = tmp_path / "client.crt", tmp_path / "client.key"
        cert_path.write_bytes(cert[0])
        key_path.write_bytes(cert[1])
        context.load_cert_chain(cert_path, key_path)
    return context


async def get_status(
    url: str, context: ssl.SSLContext, headers: dict | None = None
) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(url, ssl=context) as resp,
    ):
        return resp.status, await resp.json()


async def test_https_with_token(tls_emulator):
    tls_emulator.store.put(pod("web-0"))
    assert tls_emulator.url.startswith("https://127.0.0.1:")
    assert tls_emulator.ca_path.read_bytes() == tls_emulator.ca_pem
    status, body = await get_status(
        tls_emulator.url + "/api/v1/pods",
        client_context(tls_emulator.ca_pem),
        {"Authorization": f"Bearer {tls_emulator.token}"},
    )
    assert status == 200
    assert body["items"][0]["metadata"]["name"] == "web-0"


async def test_client_certificate_authenticates_as_its_common_name(tls_emulator, tmp_path):
    context = client_context(
        tls_emulator.ca_pem, tls_emulator.issue_client_cert("flux-viewer"), tmp_path
    )
    status, _ = await get_status(tls_emulator.url + "/api/v1/pods", context)
    assert status == 200
    tls_emulator.faults.forbid("pods")
    status, body = await get_status(tls_emulator.url + "/api/v1/pods", context)
    assert status == 403
    assert 'User "flux-viewer"' in body["message"]


async def test_no_credentials_over_tls_is_401(tls_emulator):
    status, body = await get_status(
        tls_emulator.url + "/api/v1/pods", client_context(tls_emulator.ca_pem)
    )
    assert status == 401
    assert body["reason"] == "Unauthorized"


async def test_certificate_from_another_ca_is_rejected(tls_emulator, tmp_path):
    foreign = CertificateAuthority.generate("someone-else").issue("intruder")
    context = client_context(tls_emulator.ca_pem, foreign, tmp_path)
    with pytest.raises(aiohttp.ClientError):
        await get_status(tls_emulator.url + "/api/v1/pods", context)


async def test_server_certificate_does_not_verify_against_another_ca(tls_emulator):
    other = CertificateAuthority.generate("someone-else")
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await get_status(tls_emulator.url + "/version", client_context(other.cert_pem))


@pytest.mark.parametrize("auth", ["token", "cert", "none"])
def test_kubeconfig_documents(tls_emulator, kubeconfig_path, auth):
    path = kubeconfig_path(tls_emulator, auth=auth, namespace="flux-system")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert doc["current-context"] == "sim"
    assert doc["clusters"][0]["cluster"]["server"] == tls_emulator.url
    assert "certificate-authority-data" in doc["clusters"][0]["cluster"]
    assert doc["contexts"][0]["context"]["namespace"] == "flux-system"
    user = doc["users"][0]["user"]
    assert (
        set(user)
        == {
            "token": {"token"},
            "cert": {"client-certificate-data", "client-key-data"},
            "none": set(),
        }[auth]
    )


def test_plain_emulator_has_no_ca(emulator):
    assert emulator.ca_pem is None
    assert emulator.url.startswith("http://")
    with pytest.raises(RuntimeError):
        emulator.issue_client_cert("x")
