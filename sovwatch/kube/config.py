"""kubeconfig → `Connection`: where the API server is and how to authenticate to it.

Parsing, merging (`KUBECONFIG=a:b`), context selection, `*-data` fields, tokenFile and exec plugins
are the official `kubernetes` package's loader (its asyncio variant, whose exec plugin runs with
stderr captured, so nothing a plugin prints can land on the TUI). sovwatch adds what the loader does
not do: it raises on a failing exec plugin (the loader only logs it, which surfaces much later as a
puzzling 401), refreshes exec credentials when they expire, reloads everything on a 401, turns the
loader's material into an `ssl.SSLContext`, and explains every problem in one line.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml
from kubernetes.aio.config.config_exception import ConfigException
from kubernetes.aio.config.dateutil import parse_rfc3339
from kubernetes.aio.config.exec_provider import ExecProvider
from kubernetes.aio.config.kube_config import KubeConfigLoader, KubeConfigMerger

from sovwatch.kube.errors import FatalError
from sovwatch.settings import WatchSettings

_SUPPORTED_PROXY_SCHEMES = ("http", "https")


def locate_kubeconfig(flag: str | None, env: str | None, home: Path) -> tuple[Path, ...]:
    """The kubeconfig files to merge, as kubectl picks them: `--kubeconfig`, else every existing
    file in `KUBECONFIG` (path-separated), else `~/.kube/config`.

    The CLI passes the flag, `os.environ.get("KUBECONFIG")` and `Path.home()`; nothing below it
    reads the environment.
    """
    if flag:
        path = Path(flag).expanduser()
        if not path.is_file():
            raise FatalError(
                f"kubeconfig {path} (from --kubeconfig) does not exist: check the path"
            )
        return (path,)
    if env:
        listed = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
        existing = tuple(p for p in listed if p.is_file())
        if not existing:
            raise FatalError(
                f"none of the kubeconfig files in KUBECONFIG exist ({env}): "
                "fix KUBECONFIG or pass --kubeconfig PATH"
            )
        return existing
    default = home / ".kube" / "config"
    if not default.is_file():
        raise FatalError(
            f"no kubeconfig: {default} does not exist and KUBECONFIG is not set; "
            "pass --kubeconfig PATH"
        )
    return (default,)


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


class _Loader(KubeConfigLoader):
    """The kubernetes loader, except that exec plugin failures raise instead of being logged."""

    exec_status: dict | None = None

    async def load_from_exec_plugin(self) -> bool:
        self.exec_status = await ExecProvider(self._user["exec"]).run()
        token = self.exec_status.get("token")
        if token:
            self.token = f"Bearer {token}"
        return True

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

    def __init__(self, loader: _Loader, *, https: bool, where: str, settings: WatchSettings):
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
        except (ConfigException, OSError, ValueError) as e:
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
        exec_config = (self._loader.user.safe_get("exec") if self._loader.user else None) or {}
        command = exec_config.get("command")
        # asyncio's subprocess spawn raises without a filename; a missing tokenFile names itself.
        launch_failed = command and getattr(error, "filename", None) in (None, command)
        if isinstance(error, FileNotFoundError) and launch_failed:
            hint = exec_config.get("installHint") or "install it or fix users[].user.exec"
            return (
                f"exec credential plugin {command!r} ({self._where}) was not found: "
                f"{' '.join(str(hint).split())}"
            )
        if isinstance(error, PermissionError) and launch_failed:
            return f"exec credential plugin {command!r} ({self._where}) is not executable"
        message = " ".join(str(error).split())
        if message.startswith("exec:"):
            detail = message.removeprefix("exec:").strip()[:300]
            return (
                f"exec credential plugin {command!r} ({self._where}) failed: {detail}; "
                "run it by hand to see why (are you logged in?)"
            )
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


@dataclass(frozen=True)
class Connection:
    """One cluster as the kubeconfig describes it."""

    server: str
    """API server URL without a trailing slash."""
    context: str
    cluster: str
    user: str
    kubeconfig: str
    """The kubeconfig file(s), for messages."""
    credentials: Credentials
    proxy: str | None = None
    """http(s) proxy URL (`proxy-url`); aiohttp tunnels https through it with CONNECT."""
    tls_server_name: str | None = None
    """Name to verify the server certificate against instead of the URL's host."""
    warnings: tuple[str, ...] = ()
    """Things the operator should know (insecure TLS), one line each, for the views to show."""

    @property
    def where(self) -> str:
        """`server …, context '…' in <kubeconfig>`: the tail of every message about this cluster."""
        return f"server {self.server}, context {self.context!r} in {self.kubeconfig}"


async def load_connection(
    paths: tuple[Path, ...], *, context: str | None = None, settings: WatchSettings
) -> Connection:
    """Parse and merge `paths`, select `context` (default: current-context) and load credentials.

    Runs an exec plugin if the user has one. Raises `FatalError` with one line for the operator.
    """
    described = os.pathsep.join(str(p) for p in paths)
    documents = [_read_yaml(path) for path in paths]
    try:
        merged = KubeConfigMerger(described).config
    except (ConfigException, KeyError, TypeError, AttributeError) as e:
        raise FatalError(f"kubeconfig {described} is malformed ({e}): fix the file") from e
    # kubectl's rule is "the first file that sets a value wins"; the loader lets the last win.
    current = next((d["current-context"] for d in documents if d.get("current-context")), None)
    merged.value["current-context"] = current
    name = _context_name(merged, context, described)
    try:
        loader = _Loader(config_dict=merged, active_context=name, config_base_path=None)
        cluster_name = loader.context_entry["cluster"]
        cluster = loader.cluster
        user_name = loader.context_entry.safe_get("user") or ""
        server = str(cluster["server"]).rstrip("/")
    except ConfigException as e:
        raise FatalError(f"context {name!r} in {described} is incomplete: {e}") from e
    where = f"user {user_name!r}, context {name!r} in {described}"
    scheme = urlsplit(server).scheme
    if scheme not in ("http", "https"):
        raise FatalError(
            f"server {server!r} of cluster {cluster_name!r} in {described} is not an "
            "http(s) URL: fix clusters[].cluster.server"
        )
    proxy = cluster.safe_get("proxy-url")
    if proxy and urlsplit(proxy).scheme not in _SUPPORTED_PROXY_SCHEMES:
        raise FatalError(
            f"proxy-url {redact_url(proxy)} of cluster {cluster_name!r} in {described} is not "
            "supported: sovwatch can use http:// and https:// proxies only (for SOCKS, run an "
            "HTTP proxy or an SSH tunnel in front of it)"
        )
    credentials = Credentials(loader, https=scheme == "https", where=where, settings=settings)
    await credentials.current()
    warnings = ()
    if scheme == "https" and cluster.safe_get("insecure-skip-tls-verify"):
        warnings = (
            f"insecure-skip-tls-verify is set for cluster {cluster_name!r} in {described}: "
            "the server's identity is not verified",
        )
    return Connection(
        server=server,
        context=name,
        cluster=cluster_name,
        user=user_name,
        kubeconfig=described,
        credentials=credentials,
        proxy=proxy or None,
        tls_server_name=cluster.safe_get("tls-server-name") or None,
        warnings=warnings,
    )


def redact_url(url: str) -> str:
    """`url` without a password (proxy URLs may carry `user:password@`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _read_yaml(path: Path) -> dict:
    """The YAML mapping in `path`; fails with the file name and position if it is not one."""
    try:
        text = path.read_text()
    except OSError as e:
        raise FatalError(f"cannot read kubeconfig {path}: {e.strerror}") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FatalError(f"kubeconfig {path} is not valid YAML{where}: fix the file") from e
    if not isinstance(data, dict):
        raise FatalError(
            f"kubeconfig {path} is not a kubeconfig (expected a mapping with clusters, contexts "
            "and users): fix the file or point --kubeconfig elsewhere"
        )
    return data


def _context_name(merged, requested: str | None, described: str) -> str:
    names = [str(c["name"]) for c in (merged.value.get("contexts") or []) if "name" in c]
    available = f"available: {', '.join(names)}" if names else "it defines no contexts"
    name = requested or merged.value.get("current-context")
    if not name:
        raise FatalError(f"{described} has no current-context ({available}): pass --context NAME")
    if name not in names:
        raise FatalError(
            f"context {name!r} not found in {described} ({available}): pass --context NAME"
        )
    return str(name)
