"""kubeconfig → `Connection`: where the API server is, through which proxy, and with which credentials.

Merging (`KUBECONFIG=a:b`) follows kubectl's rules (`kubeconfig`); this module picks the proxy as
kubectl does (`proxy-url`, else HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment the launcher passes),
loads the credentials (`credentials.Credentials`) and explains every problem in one line.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from sovwatch import redaction
from sovwatch.kube.credentials import Credentials
from sovwatch.kube.errors import FatalError
from sovwatch.kube.kubeconfig import KubeconfigError, Merged, merge, skips_tls_verify
from sovwatch.kube.proxy import bypasses, proxy_from_environment
from sovwatch.settings import WatchSettings

_SUPPORTED_PROXY_SCHEMES = ("http", "https")


def locate_kubeconfig(flag: str | None, env: str | None, home: Path) -> tuple[Path, ...]:
    """The kubeconfig files to merge, as kubectl picks them: `--kubeconfig`, else every existing
    file in `KUBECONFIG` (path-separated), else `~/.kube/config`.

    The launcher passes the flag, `os.environ.get("KUBECONFIG")` and `Path.home()`; this module
    never reads the environment itself.
    """
    if flag:
        path = Path(flag).expanduser()
        if path.is_dir():
            raise FatalError(
                f"kubeconfig {path} (from --kubeconfig) is a directory, not a file: "
                "point --kubeconfig at the kubeconfig file itself"
            )
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
    """http(s) proxy URL (`proxy-url`, else HTTPS_PROXY/HTTP_PROXY unless NO_PROXY excludes the
    server); aiohttp tunnels https through it with CONNECT."""
    proxy_origin: str = ""
    """Where `proxy` came from, for messages: `proxy-url in the kubeconfig` or the variable name."""
    tls_server_name: str | None = None
    """Name to verify the server certificate against instead of the URL's host."""
    warnings: tuple[str, ...] = ()
    """Things the operator should know (insecure TLS), one line each, for the views to show."""

    @property
    def where(self) -> str:
        """`server …, context '…' in <kubeconfig>`: the tail of every message about this cluster."""
        return f"server {self.server}, context {self.context!r} in {self.kubeconfig}"


async def load_connection(
    paths: tuple[Path, ...],
    *,
    context: str | None = None,
    settings: WatchSettings,
    environ: Mapping[str, str] | None = None,
    dir_member: bool = False,
) -> Connection:
    """Parse and merge `paths`, select `context` (default: current-context) and load credentials.

    Runs an exec plugin if the user has one. `environ` is the environment sovwatch runs in (the
    launcher passes `os.environ`): HTTPS_PROXY/HTTP_PROXY/NO_PROXY are read from it when the cluster
    has no proxy-url, and an exec plugin inherits it. None means no proxy variables and a plugin
    inheriting the process environment. Raises `FatalError` with one line for the operator.
    `dir_member`: `paths` is one file of a `--kubeconfig-dir`, where neither `--context` nor
    `--kubeconfig` applies: the messages say to fix the file (or move it out of the directory).
    """
    merged, name, described = _select(paths, context, dir_member=dir_member)
    refs = merged.contexts[name].body
    cluster_name, user_name = str(refs["cluster"]), str(refs.get("user") or "")
    cluster = merged.clusters[cluster_name]
    server = str(cluster.body.get("server") or "").rstrip("/")
    if not server:
        raise FatalError(
            f"context {name!r} in {described} is incomplete: cluster {cluster_name!r} has no "
            "server: set clusters[].cluster.server"
        )
    where = f"user {user_name!r}, context {name!r} in {described}"
    scheme = urlsplit(server).scheme
    if scheme not in ("http", "https"):
        raise FatalError(
            f"server {redact_url(server)!r} of cluster {cluster_name!r} in {described} is not an "
            "http(s) URL: fix clusters[].cluster.server"
        )
    if "@" in urlsplit(server).netloc:
        raise FatalError(
            f"server {redact_url(server)} of cluster {cluster_name!r} in {described} carries a "
            "user name or password: remove it from clusters[].cluster.server and put the "
            "credentials in users[].user (username and password, or token)"
        )
    try:
        insecure = skips_tls_verify(cluster.body)
    except KubeconfigError as e:
        raise FatalError(
            f"{e} for cluster {cluster_name!r} in {described}: write true or false (unquoted)"
        ) from e
    proxy, proxy_origin = _choose_proxy(cluster.body, server, environ or {})
    redaction.remember(urlsplit(proxy or "").password)
    if proxy and urlsplit(proxy).scheme not in _SUPPORTED_PROXY_SCHEMES:
        named = (
            f"proxy-url {redact_url(proxy)} of cluster {cluster_name!r} in {described}"
            if proxy_origin == _KUBECONFIG_PROXY
            else f"{proxy_origin}={redact_url(proxy)}"
        )
        raise FatalError(
            f"{named} is not supported: sovwatch can use http:// and https:// proxies only (for "
            "SOCKS, run an HTTP proxy or an SSH tunnel in front of it)"
        )
    credentials = Credentials(
        cluster,
        merged.users.get(user_name) if user_name else None,
        https=scheme == "https",
        where=where,
        settings=settings,
        environ=environ,
    )
    material = await credentials.current()
    warnings = ()
    if scheme == "https" and insecure:
        warnings = (
            f"insecure-skip-tls-verify is set for cluster {cluster_name!r} in {described}: "
            "the server's identity is not verified",
        )
    if scheme == "http" and material.authorization and not _local(server, proxy):
        secret = "token" if material.authorization.startswith("Bearer") else "password"
        warnings = (
            f"the {secret} of user {user_name!r} goes to {server} over plain http:// (context "
            f"{name!r} in {described}): anyone on the way can read it; use an https:// server",
        )
    return Connection(
        server=server,
        context=name,
        cluster=cluster_name,
        user=user_name,
        kubeconfig=described,
        credentials=credentials,
        proxy=proxy,
        proxy_origin=proxy_origin,
        tls_server_name=cluster.body.get("tls-server-name") or None,
        warnings=warnings,
    )


def check_file(path: Path) -> str:
    """The context a kubeconfig file selects (its current-context), after every check that
    needs neither the network nor a credential plugin; raises `FatalError` with the same one line
    `load_connection(dir_member=True)` would (a `--kubeconfig-dir` member)."""
    return _select((path,), None, dir_member=True)[1]


def context_names(paths: tuple[Path, ...]) -> tuple[str, ...]:
    """Every context of the merged kubeconfig, in the order the files define them
    (`--all-contexts`); `FatalError` with one line if it cannot be read or defines none."""
    merged, described = _merged(paths)
    if not merged.contexts:
        raise FatalError(f"{described} defines no contexts: add one (kubectl config set-context)")
    return tuple(merged.contexts)


def _select(
    paths: tuple[Path, ...], context: str | None, *, dir_member: bool = False
) -> tuple[Merged, str, str]:
    """(the merged files, the selected context's name, the files for messages), checked."""
    merged, described = _merged(paths, dir_member=dir_member)
    name = _context_name(merged, context, described, dir_member=dir_member)
    _check_context(merged, name, described)
    return merged, name, described


def _merged(paths: tuple[Path, ...], *, dir_member: bool = False) -> tuple[Merged, str]:
    """(the files merged, the files for messages)."""
    described = os.pathsep.join(str(p) for p in paths)
    elsewhere = "move it out of the directory" if dir_member else "point --kubeconfig elsewhere"
    try:
        return merge([(path, _read_yaml(path, elsewhere)) for path in paths]), described
    except KubeconfigError as e:
        raise FatalError(f"kubeconfig {described} is malformed ({e}): fix the file") from e


_KUBECONFIG_PROXY = "proxy-url in the kubeconfig"


def _choose_proxy(
    cluster: Mapping, server: str, environ: Mapping[str, str]
) -> tuple[str | None, str]:
    """(proxy URL or None, where it came from): the kubeconfig's proxy-url, else the environment."""
    configured = cluster.get("proxy-url")
    if configured:
        return str(configured), _KUBECONFIG_PROXY
    chosen = proxy_from_environment(server, environ)
    if chosen is None:
        return None, ""
    return chosen.url, chosen.variable


def _local(server: str, proxy: str | None) -> bool:
    """True if requests to `server` never leave this machine: a loopback host, reached directly."""
    return proxy is None and bypasses(urlsplit(server).hostname or "", 0, "")


def redact_url(url: str) -> str:
    """`url` without a password (proxy URLs may carry `user:password@`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _read_yaml(path: Path, elsewhere: str) -> dict:
    """The YAML mapping in `path`; fails with the file name and position if it is not one (and
    `elsewhere`: what else the user may do than fix it)."""
    try:
        text = path.read_text()
    except OSError as e:
        raise FatalError(f"cannot read kubeconfig {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise FatalError(
            f"kubeconfig {path} is not a text file (byte {e.start} is not UTF-8): "
            f"fix the file or {elsewhere}"
        ) from e
    if not text.strip():
        raise FatalError(
            f"kubeconfig {path} is empty: write a kubeconfig into it (kubectl config view --raw) "
            f"or {elsewhere}"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FatalError(f"kubeconfig {path} is not valid YAML{where}: fix the file") from e
    except RecursionError as e:
        raise FatalError(
            f"kubeconfig {path} is not valid YAML (nested too deeply): fix the file"
        ) from e
    kind = data.get("kind") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or kind not in (None, "Config")
        or not any(section in data for section in ("clusters", "contexts", "users"))
    ):
        what = f" (it holds a {kind})" if isinstance(kind, str) else ""
        raise FatalError(
            f"kubeconfig {path} is not a kubeconfig{what}: expected kind Config with clusters, "
            f"contexts and users; fix the file or {elsewhere}"
        )
    return data


_DATA_FIELDS = {
    "clusters": ("certificate-authority-data",),
    "users": ("client-certificate-data", "client-key-data"),
}
_SUPPORTED_AUTH_PROVIDERS = ("oidc",)


def _check_context(merged: Merged, name: str, described: str) -> None:
    """What would fail late or obscurely, as one line: a context naming a cluster or user that
    does not exist (client-go refuses it too), a `*-data` field that is not base64, and an
    auth-provider other than oidc (kubectl 1.26 removed gcp and azure)."""
    refs = merged.contexts[name].body
    for field, section in (("cluster", "clusters"), ("user", "users")):
        wanted = refs.get(field)
        if field == "user" and not wanted:
            continue  # no user: anonymous, as kubectl allows
        entries = getattr(merged, section)
        found = entries.get(str(wanted)) if wanted is not None else None
        if found is None:
            names = ", ".join(entries) or "none"
            raise FatalError(
                f"context {name!r} in {described} names {field} {wanted!r}, which is not in its "
                f"{section} (defined: {names}): fix contexts[].context.{field}"
            )
        body = found.body
        for data_field in _DATA_FIELDS[section]:
            value = body.get(data_field)
            if value is None:
                continue
            try:
                base64.b64decode("".join(str(value).split()), validate=True)
            except binascii.Error as e:
                raise FatalError(
                    f"{data_field} of {field} {wanted!r} in {described} is not valid base64 "
                    f"({e}): it must be the base64 of the PEM file (base64 -w0 FILE)"
                ) from e
        provider = (body.get("auth-provider") or {}).get("name") if field == "user" else None
        if provider is not None and provider not in _SUPPORTED_AUTH_PROVIDERS:
            raise FatalError(
                f"auth-provider {provider!r} of user {wanted!r} in {described} is not supported "
                "(kubectl 1.26 removed it too): use an exec credential plugin instead, e.g. "
                "gke-gcloud-auth-plugin or kubelogin"
            )


def _context_name(
    merged: Merged, requested: str | None, described: str, *, dir_member: bool = False
) -> str:
    names = list(merged.contexts)
    available = f"available: {', '.join(names)}" if names else "it defines no contexts"
    name = requested or merged.current_context
    # a --kubeconfig-dir member has no --context: its file must name the context
    fix = (
        f"set it in the file: kubectl config use-context NAME --kubeconfig {described}"
        if dir_member
        else "pass --context NAME"
    )
    if not name:
        raise FatalError(f"{described} has no current-context ({available}): {fix}")
    if name not in names:
        raise FatalError(f"context {name!r} not found in {described} ({available}): {fix}")
    return str(name)
