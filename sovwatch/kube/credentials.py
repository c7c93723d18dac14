"""Credentials for one kubeconfig context: loaded, refreshed before they expire, reloaded on a 401.

The `kubernetes` package's loader reads the user entry (token, tokenFile, client certificate files
and `-data`, basic auth); exec plugins run through sovwatch's own runner (`exec_plugin`: no terminal,
a time limit, `provideClusterInfo`). What the loader produces is turned into what a request needs,
a `Material`: the Authorization header and an `ssl.SSLContext`. Every failure is one line
(`FatalError`) naming the file, field or plugin and what to do.
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kubernetes.aio.config.config_exception import ConfigException
from kubernetes.aio.config.dateutil import parse_rfc3339
from kubernetes.aio.config.kube_config import FileOrData, KubeConfigLoader

from sovwatch.kube import exec_plugin
from sovwatch.kube.errors import FatalError
from sovwatch.settings import WatchSettings


@dataclass(frozen=True, slots=True)
class Material:
    """What one request needs from the credentials right now."""

    authorization: str | None
    """The Authorization header value (`Bearer …` or `Basic …`), or None (client cert / none)."""
    ssl: ssl.SSLContext | None
    """TLS settings for an https server (CA, client certificate, verification); None for http."""
    expires: float | None
    """Epoch seconds when an exec plugin's credential expires; None if it does not."""


class _Collected:
    """Receives the loader's output (it duck-types a `kubernetes` client Configuration)."""

    def __init__(self) -> None:
        self.api_key: dict[str, str] = {}
        self.ssl_ca_cert: str | None = None
        self.cert_file: str | None = None
        self.key_file: str | None = None
        self.verify_ssl = True


class Loader(KubeConfigLoader):
    """The kubernetes loader, with sovwatch's own exec plugin runner (see `exec_plugin`)."""

    def __init__(
        self, *args, environ: Mapping[str, str] | None, exec_timeout: float, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.exec_status: dict | None = None
        self._environ = environ
        self._exec_timeout = exec_timeout

    async def load_from_exec_plugin(self) -> bool:
        plugin = exec_plugin.ExecConfig.from_kubeconfig(self._user["exec"].value)
        self.exec_status = await exec_plugin.run(
            plugin,
            cluster=self.exec_cluster_info() if plugin.provide_cluster_info else None,
            environ=exec_plugin.plugin_environment(self._environ),
            within=self._exec_timeout,
        )
        token = self.exec_status.get("token")
        if token:
            self.token = f"Bearer {token}"
        return True

    def exec_cluster_info(self) -> dict:
        """`spec.cluster` for a plugin with `provideClusterInfo: true`, as client-go fills it:
        the CA always as data, the plugin's own settings from the reserved cluster extension."""
        cluster = self._cluster
        info: dict = {"server": str(cluster["server"])}
        for key in ("tls-server-name", "insecure-skip-tls-verify", "proxy-url"):
            if cluster.safe_get(key):
                info[key] = cluster.value[key]
        ca = FileOrData(
            cluster, "certificate-authority", file_base_path=self._get_base_path(cluster.path)
        ).as_data()
        if ca:
            info["certificate-authority-data"] = ca
        for extension in cluster.safe_get("extensions") or ():
            if extension.get("name") == exec_plugin.CLUSTER_CONFIG_EXTENSION:
                info["config"] = extension.get("extension")
        return info

    # The loader keeps its selection in private attributes; read them in one place.
    @property
    def user(self):
        return self._user

    @property
    def cluster(self):
        return self._cluster

    @property
    def context_entry(self):
        return self._current_context["context"]

    def set_config(self, collected: _Collected) -> None:
        self._set_config(collected)


class Credentials:
    """The current authentication material for one context, refreshed and reloaded on demand.

    Safe to share between concurrent requests: refreshes are serialised, and a 401 seen by many
    streams at once reloads only once (`reload` is a no-op if someone else already reloaded).
    """

    def __init__(self, loader: Loader, *, https: bool, where: str, settings: WatchSettings):
        self._loader = loader
        self._https = https
        self._where = where
        self._settings = settings
        self._lock = asyncio.Lock()
        self._material: Material | None = None
        self._ssl_cache: tuple[tuple, ssl.SSLContext] | None = None

    async def current(self) -> Material:
        """The material to use now, re-running an exec plugin whose credential is about to expire."""
        material = self._material
        if material is None or self._expiring(material):
            async with self._lock:
                if self._material is None:
                    self._material = await self._load(full=True)
                elif self._expiring(self._material):
                    self._material = await self._load(full=False)
                material = self._material
        return material

    async def reload(self, rejected: Material) -> Material:
        """Load everything again (tokenFile re-read, exec plugin re-run) after a 401 with `rejected`."""
        async with self._lock:
            if self._material is rejected or self._material is None:
                self._material = await self._load(full=True)
            return self._material

    def _expiring(self, material: Material) -> bool:
        return (
            material.expires is not None
            and time.time() >= material.expires - self._settings.credential_refresh_skew
        )

    async def _load(self, *, full: bool) -> Material:
        collected = _Collected()
        try:
            if full:
                await self._loader.load_and_set(collected)
            else:
                await self._loader.load_from_exec_plugin()
                self._loader.set_config(collected)
            status = self._loader.exec_status or {}
            expires = None
            if status.get("expirationTimestamp"):
                expires = parse_rfc3339(status["expirationTimestamp"]).timestamp()
        except (ConfigException, exec_plugin.ExecPluginError, OSError, ValueError) as e:
            raise FatalError(self._explain(e)) from e
        authorization = collected.api_key.get("BearerToken")
        return Material(
            # A tokenFile is read verbatim: drop its trailing newline, as kubectl does.
            authorization=authorization.strip() if authorization else None,
            ssl=self._ssl_context(collected, status) if self._https else None,
            expires=expires,
        )

    def _ssl_context(self, collected: _Collected, exec_status: dict) -> ssl.SSLContext:
        exec_cert = (exec_status.get("clientCertificateData"), exec_status.get("clientKeyData"))
        key = (
            collected.ssl_ca_cert,
            collected.cert_file,
            collected.key_file,
            collected.verify_ssl,
            exec_cert,
        )
        if self._ssl_cache and self._ssl_cache[0] == key:
            return self._ssl_cache[1]
        try:
            context = ssl.create_default_context(cafile=collected.ssl_ca_cert)
        except (ssl.SSLError, OSError) as e:
            raise FatalError(
                f"certificate-authority {collected.ssl_ca_cert} ({self._where}) could not be "
                f"loaded ({e}): it must be a PEM CA certificate"
            ) from e
        if not collected.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            if exec_cert[0] and exec_cert[1]:
                _load_pem_chain(context, exec_cert[0], exec_cert[1])
            elif collected.cert_file:
                context.load_cert_chain(collected.cert_file, collected.key_file)
        except (ssl.SSLError, OSError) as e:
            raise FatalError(
                f"client certificate/key ({self._where}) could not be loaded ({e}): "
                "check client-certificate and client-key"
            ) from e
        self._ssl_cache = (key, context)
        return context

    def _explain(self, error: Exception) -> str:
        """One line for a loader failure: which file, plugin or field, and what to do."""
        if isinstance(error, exec_plugin.ExecPluginError):
            exec_config = self._loader.user.safe_get("exec") or {}
            command = exec_config.get("command") or "?"
            return f"exec credential plugin {command!r} ({self._where}) {error}"
        message = " ".join(str(error).split())
        if message.startswith("File does not exists:"):
            missing = message.split(":", 1)[1].strip()
            return (
                f"file {missing} named in the kubeconfig does not exist ({self._where}): "
                "fix the path (certificate-authority, client-certificate or client-key)"
            )
        if isinstance(error, OSError) and error.filename:
            return f"cannot read {error.filename} ({self._where}): {error.strerror}"
        return f"cannot load credentials ({self._where}): {message}"


def _load_pem_chain(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    """Load an exec plugin's PEM certificate and key (ssl only reads files: use a private,
    immediately deleted temporary directory so the key never lingers on disk)."""
    with tempfile.TemporaryDirectory(prefix="sovwatch-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_text(cert_pem)
        key_path.touch(mode=0o600)
        key_path.write_text(key_pem)
        context.load_cert_chain(cert_path, key_path)
