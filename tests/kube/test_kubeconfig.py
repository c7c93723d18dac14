"""sovwatch's own kubeconfig reading: kubectl's merge rules, relative paths, oidc id-tokens.

Each case loads a real kubeconfig with `config.load_connection` and then lists pods from the
emulator (over TLS where a CA is involved), so a wrong rule shows up as a refused or failed
request, not as a field compared with itself.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch.kube import config, errors
from tests.kube.kube_helpers import kubeconfig_doc, open_client
from tests.timings import FAST


def _jwt(claims: dict) -> str:
    def part(doc: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _oidc_user(id_token: str, **extra: str) -> dict:
    settings = {"client-id": "sovwatch", "idp-issuer-url": "https://127.0.0.1:1/dex", **extra}
    return {"auth-provider": {"name": "oidc", "config": {"id-token": id_token, **settings}}}


async def _lists_pods(*paths: Path, context: str | None = None) -> None:
    async with await open_client(*paths, context=context) as client:
        assert (await client.get_json("/api/v1/pods"))["kind"] == "PodList"


async def test_first_file_wins_for_names_and_current_context(
    tls_emulator: Emulator, write, tmp_path: Path
):
    """KUBECONFIG=a:b: `a`'s current-context and `a`'s definition of a shared name win; a
    cluster defined only in `b` resolves its relative CA path from `b`'s directory."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ca.crt").write_bytes(tls_emulator.ca_pem)
    good = kubeconfig_doc(tls_emulator.url, {"token": tls_emulator.token})
    good["clusters"] = []  # the cluster comes from b
    bad = kubeconfig_doc(tls_emulator.url, {"token": "revoked"}, cluster={})
    bad["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"  # relative to b/
    bad["current-context"] = "elsewhere"
    first = write(good, "a")
    second = write(bad, "b/config")
    await _lists_pods(first, second)


async def test_a_context_that_names_a_cluster_in_another_file(emulator: Emulator, write):
    doc = kubeconfig_doc(emulator.url, {"token": emulator.token})
    clusters = {"clusters": doc.pop("clusters")}
    await _lists_pods(write(doc, "contexts"), write(clusters, "clusters"))


async def test_oidc_id_token_is_the_bearer_token(emulator: Emulator, write):
    token = _jwt({"iss": "https://127.0.0.1:1/dex", "exp": int(time.time()) + 3600})
    emulator.tokens = {token}
    await _lists_pods(write(kubeconfig_doc(emulator.url, _oidc_user(token))))


@pytest.mark.parametrize(
    ("id_token", "said"),
    [
        (_jwt({"exp": int(time.time()) - 60}), "missing or expired and there is no refresh-token"),
        ("not-a-jwt", "not a JWT"),
    ],
    ids=["expired-no-refresh-token", "not-a-jwt"],
)
async def test_unusable_oidc_id_token_is_one_line(emulator: Emulator, write, id_token, said):
    path = write(kubeconfig_doc(emulator.url, _oidc_user(id_token)))
    with pytest.raises(errors.FatalError) as caught:
        await config.load_connection((path,), settings=FAST)
    message = str(caught.value)
    assert said in message
    assert "user 'sovereign-admin'" in message
    assert "\n" not in message
    assert id_token not in message


async def test_basic_auth_is_sent_when_there_is_no_token(emulator: Emulator, write):
    path = write(kubeconfig_doc(emulator.url, {"username": "admin", "password": "s3cret"}))
    connection = await config.load_connection((path,), settings=FAST)
    material = await connection.credentials.current()
    assert base64.b64decode(material.authorization.removeprefix("Basic ")) == b"admin:s3cret"


@pytest.mark.parametrize(
    ("doc", "said"),
    [
        ({"clusters": {"sov": {}}, "contexts": []}, "clusters is not a list"),
        ({"clusters": [{"cluster": {"server": "https://x"}}]}, "an entry of clusters has no name"),
        ({"users": [{"name": "u", "user": "token"}]}, "users[name=u].user is not a mapping"),
    ],
    ids=["section-not-a-list", "entry-without-name", "body-not-a-mapping"],
)
async def test_malformed_entries_are_one_line(write, doc, said):
    path = write(doc)
    with pytest.raises(errors.FatalError) as caught:
        await config.load_connection((path,), settings=FAST)
    assert str(caught.value) == f"kubeconfig {path} is malformed ({said}): fix the file"
