"""Credentials for one kubeconfig context: loaded, refreshed before they expire, reloaded on a 401.

The user entry gives the credential, in client-go's order: an `oidc` auth-provider's id-token, an
exec plugin (sovwatch's own runner, `exec_plugin`: no terminal, a time limit,
`provideClusterInfo`), `token` or else `tokenFile` (re-read on every reload, so a rotated token is
picked up after a 401), or else basic auth. The cluster entry gives the CA (`-data` or file) and
`insecure-skip-tls-verify`; client certificates come from the user entry or the exec plugin. What
a request needs is a `Material`: the Authorization header and an `ssl.SSLContext`. Every token
and password loaded is handed to `sovwatch.redaction.remember`, so no output ever shows it. Every failure is
one line (`FatalError`) naming the file, field or plugin and what to do.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sovwatch import redaction
from sovwatch.kube import exec_plugin
from sovwatch.kube.errors import FatalError
from sovwatch.kube.kubeconfig import (
    Entry,
    KubeconfigError,
    jwt_expired,
    read_data,
    skips_tls_verify,
)
from sovwatch.settings import WatchSettings

OIDC_EXPIRY_SKEW = 300.0
"""An id-token this close to its `exp` is refreshed first (client-go and the `kubernetes`
package use 5 minutes)."""


@dataclass(frozen=True, slots=True)
class Material:
    """What one request needs from the credentials right now."""

    authorization: str | None
    """The Authorization header value (`Bearer …` or `Basic …`), or None (client cert / none)."""
    ssl: ssl.SSLContext | None
    """TLS settings for an https server (CA, client certificate, verification); None for http."""
    expires: float | None
    """Epoch seconds when an exec plugin's credential expires; None if it does not."""


class _MissingFile(Exception):
    """A file named in the kubeconfig does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class Credentials:
    """The current authentication material for one context, refreshed and reloaded on demand.

    Safe to share between concurrent requests: refreshes are serialised, and a 401 seen by many
    streams at once reloads only once (`reload` is a no-op if someone else already reloaded).
    """

    def __init__(
        self,
        cluster: Entry,
        user: Entry | None,
        *,
        https: bool,
        where: str,
        settings: WatchSettings,
        environ: Mapping[str, str] | None,
    ):
        self._cluster = cluster
        self._user = user
        self._https = https
        self._where = where
        self._settings = settings
        self._environ = environ
        self._oidc_refreshed: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._material: Material | None = None
        self._ssl_cache: tuple[tuple, ssl.SSLContext] | None = None

    async def current(self) -> Material:
        """The material to use now, re-running an exec plugin whose credential is about to expire."""
        material = self._material
        if material is None or self._expiring(material):
            async with self._lock:
                if self._material is None or self._expiring(self._material):
                    self._material = await self._load()
                material = self._material
        return material

    async def reload(self, rejected: Material) -> Material:
        """Load everything again (tokenFile re-read, exec plugin re-run) after a 401 with `rejected`."""
        async with self._lock:
            if self._material is rejected or self._material is None:
                self._material = await self._load()
            return self._material

    def _expiring(self, material: Material) -> bool:
        return (
            material.expires is not None
            and time.time() >= material.expires - self._settings.credential_refresh_skew
        )

    async def _load(self) -> Material:
        user = self._user.body if self._user else {}
        status: dict = {}
        expires = None
        try:
            provider = user.get("auth-provider") or {}
            if provider.get("name") == "oidc":
                authorization = f"Bearer {await self._oidc_token(provider.get('config') or {})}"
            elif user.get("exec"):
                status = await self._run_exec(user["exec"])
                authorization = f"Bearer {status['token']}" if status.get("token") else None
                if status.get("expirationTimestamp"):
                    expires = _rfc3339(status["expirationTimestamp"])
            else:
                authorization = self._static_authorization(user)
            context = self._ssl_context(status) if self._https else None
        except (KubeconfigError, exec_plugin.ExecPluginError, _MissingFile, OSError) as e:
            raise FatalError(self._explain(e)) from e
        except ValueError as e:  # bad base64 or timestamp
            raise FatalError(f"cannot load credentials ({self._where}): {e}") from e
        if authorization:  # redacted verbatim wherever it shows up, even echoed by a server
            redaction.remember(authorization.partition(" ")[2])
        return Material(authorization=authorization, ssl=context, expires=expires)

    def _static_authorization(self, user: Mapping) -> str | None:
        token = str(user.get("token") or "")
        if not token and self._user and user.get("tokenFile"):
            # Read verbatim every time (rotated on disk); drop the trailing newline, as kubectl.
            token = self._user.path("tokenFile").read_text()
        if token.strip():
            return f"Bearer {token.strip()}"
        if user.get("username") and user.get("password") is not None:
            redaction.remember(str(user["password"]))
            basic = f"{user['username']}:{user['password']}".encode()
            return "Basic " + base64.b64encode(basic).decode()
        return None

    async def _run_exec(self, node: Mapping) -> dict:
        plugin = exec_plugin.ExecConfig.from_kubeconfig(node)
        return await exec_plugin.run(
            plugin,
            cluster=self.exec_cluster_info() if plugin.provide_cluster_info else None,
            environ=exec_plugin.plugin_environment(self._environ),
            within=self._settings.exec_timeout,
        )

    def exec_cluster_info(self) -> dict:
        """`spec.cluster` for a plugin with `provideClusterInfo: true`, as client-go fills it:
        the CA always as data, the plugin's own settings from the reserved cluster extension."""
        cluster = self._cluster.body
        info: dict = {"server": str(cluster.get("server"))}
        for key in ("tls-server-name", "insecure-skip-tls-verify", "proxy-url"):
            if cluster.get(key):
                info[key] = cluster[key]
        ca = self._read(self._cluster, "certificate-authority")
        if ca:
            info["certificate-authority-data"] = base64.b64encode(ca).decode()
        for extension in cluster.get("extensions") or ():
            if extension.get("name") == exec_plugin.CLUSTER_CONFIG_EXTENSION:
                info["config"] = extension.get("extension")
        return info

    async def _oidc_token(self, config: Mapping) -> str:
        """The oidc auth-provider's id-token, refreshed at the issuer when it has (nearly) expired.
        The refreshed token is kept in memory only: sovwatch never writes the kubeconfig."""
        config = {**config, **self._oidc_refreshed}
        token = str(config.get("id-token") or "")
        if token and not jwt_expired(token, skew=OIDC_EXPIRY_SKEW):
            return token
        if not config.get("refresh-token"):
            raise KubeconfigError(
                "oidc: the id-token is missing or expired and there is no refresh-token: "
                "log in again (e.g. kubectl oidc-login)"
            )
        self._oidc_refreshed = await _refresh_oidc(config)
        return self._oidc_refreshed["id-token"]

    def _read(self, entry: Entry | None, key: str) -> bytes | None:
        """`<key>-data` or the file `<key>` of an entry (None if unset); a missing file raises
        `_MissingFile`."""
        if entry is None:
            return None
        try:
            return read_data(entry, key)
        except FileNotFoundError as e:
            raise _MissingFile(entry.path(key)) from e

    def _ssl_context(self, exec_status: Mapping) -> ssl.SSLContext:
        ca = self._read(self._cluster, "certificate-authority")
        verify = not skips_tls_verify(self._cluster.body)
        if exec_status.get("clientCertificateData") and exec_status.get("clientKeyData"):
            pair = (exec_status["clientCertificateData"], exec_status["clientKeyData"])
        else:
            cert = self._read(self._user, "client-certificate")
            key = self._read(self._user, "client-key")
            # A key left out is read from the certificate's PEM (ssl's rule for one file).
            pair = (cert.decode(), (key or cert).decode()) if cert else None
        cache_key = (ca, verify, pair)
        if self._ssl_cache and self._ssl_cache[0] == cache_key:
            return self._ssl_cache[1]
        try:
            context = ssl.create_default_context(cadata=ca.decode() if ca else None)
        except (ssl.SSLError, ValueError) as e:
            raise FatalError(
                f"certificate-authority ({self._where}) could not be loaded ({e}): it must be a "
                "PEM CA certificate"
            ) from e
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if pair:
            try:
                _load_pem_chain(context, *pair)
            except (ssl.SSLError, OSError) as e:
                raise FatalError(
                    f"client certificate/key ({self._where}) could not be loaded ({e}): "
                    "check client-certificate and client-key"
                ) from e
        self._ssl_cache = (cache_key, context)
        return context

    def _explain(self, error: Exception) -> str:
        """One line for a failure: which file, plugin or field, and what to do."""
        if isinstance(error, exec_plugin.ExecPluginError):
            command = ((self._user.body if self._user else {}).get("exec") or {}).get("command")
            return f"exec credential plugin {command or '?'!r} ({self._where}) {error}"
        if isinstance(error, _MissingFile):
            return (
                f"file {error.path} named in the kubeconfig does not exist ({self._where}): "
                "fix the path (certificate-authority, client-certificate or client-key)"
            )
        if isinstance(error, OSError) and error.filename:
            return f"cannot read {error.filename} ({self._where}): {error.strerror}"
        return f"cannot load credentials ({self._where}): {' '.join(str(error).split())}"


def _rfc3339(value: str) -> float:
    """Epoch seconds of an RFC 3339 timestamp (`2024-05-01T10:00:00Z`, fractions allowed)."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


async def _refresh_oidc(config: Mapping) -> dict[str, str]:
    """A fresh id-token and refresh-token from the issuer (OAuth2 refresh grant).

    Uses the `kubernetes` package's requestor, imported only here: importing it loads that
    package's whole API client, which every other sovwatch user is spared. The one-file
    executable and the zipapp leave the package out (README, Install)."""
    try:
        from kubernetes.aio.config.openid import OpenIDRequestor  # noqa: PLC0415 (see docstring)
    except ImportError as e:
        raise KubeconfigError(
            "oidc: the id-token has expired and refreshing it needs the kubernetes package, "
            "which this build of sovwatch leaves out: log in again (e.g. kubectl oidc-login), "
            "or use sovwatch installed with pip"
        ) from e

    ca = config.get("idp-certificate-authority-data")
    context = ssl.create_default_context(cadata=base64.b64decode(ca).decode()) if ca else None
    requestor = OpenIDRequestor(
        config.get("client-id"), config.get("client-secret"), config.get("idp-issuer-url"), context
    )
    try:
        answer = await requestor.refresh_token(config["refresh-token"])
    except Exception as e:  # aiohttp, HTTP status or a malformed answer: all one line
        raise KubeconfigError(
            f"oidc: refreshing the id-token at {config.get('idp-issuer-url')} failed ({e}): "
            "log in again (e.g. kubectl oidc-login)"
        ) from e
    return {"id-token": str(answer["id_token"]), "refresh-token": str(answer["refresh_token"])}


def _load_pem_chain(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    """Load a PEM certificate and key given as data (ssl only reads files: use a private,
    immediately deleted temporary directory so the key never lingers on disk)."""
    with tempfile.TemporaryDirectory(prefix="sovwatch-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_text(cert_pem)
        key_path.touch(mode=0o600)
        key_path.write_text(key_pem)
        context.load_cert_chain(cert_path, key_path)
