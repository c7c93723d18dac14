"""Which proxy (if any) a request to the API server goes through, decided as kubectl decides it.

A kubeconfig's `proxy-url` wins. Without one, kubectl (Go's net/http, golang.org/x/net/http/httpproxy)
takes `HTTPS_PROXY` for an https server and `HTTP_PROXY` for an http one (upper case first, then lower
case, empty values skipped), unless the host is loopback or matches `NO_PROXY`. This module is that
rule as pure functions over an environment mapping the caller passes in (the launcher
passes `os.environ`), so it can be tested without touching the process environment.

NO_PROXY entries, comma-separated, case-insensitive, each optionally with `:port`:
- `*` alone: no proxy for anything;
- an IP address (`10.0.0.1`, `[::1]:6443`) or a CIDR (`10.0.0.0/8`): matches that IP literal;
- `example.com` (or `*.example.com`): that name and every subdomain;
- `.example.com`: subdomains only, not `example.com` itself.
Matching is on the text of the server URL's host: no DNS lookup is involved.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class EnvironmentProxy:
    """A proxy chosen from the environment."""

    url: str
    variable: str
    """The variable it came from (`HTTPS_PROXY`, `https_proxy`, ...), for messages."""


def proxy_from_environment(server: str, environ: Mapping[str, str]) -> EnvironmentProxy | None:
    """The proxy for requests to `server` according to `environ`, or None for a direct connection."""
    parts = urlsplit(server)
    if parts.scheme == "https":
        chosen = _first_set(environ, "HTTPS_PROXY", "https_proxy")
    elif parts.scheme == "http":
        chosen = _first_set(environ, "HTTP_PROXY", "http_proxy")
    else:
        return None
    if chosen is None:
        return None
    variable, value = chosen
    no_proxy = _first_set(environ, "NO_PROXY", "no_proxy")
    host = (parts.hostname or "").strip().lower()
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    if bypasses(host, port, no_proxy[1] if no_proxy else ""):
        return None
    return EnvironmentProxy(url=_with_scheme(value.strip()), variable=variable)


def bypasses(host: str, port: int, no_proxy: str) -> bool:
    """True if a connection to `host`:`port` goes direct: loopback, or matched by `no_proxy`."""
    host = _ascii(host.strip().lower().strip("[]"))
    ip = _ip(host)
    if host == "localhost" or (ip is not None and ip.is_loopback):
        return True
    return any(_matches(entry, host, ip, port) for entry in _entries(no_proxy))


def _matches(entry: str, host: str, ip, port: int) -> bool:
    if entry == "*":
        return True
    if "/" in entry:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
        return ip is not None and ip.version == network.version and ip in network
    name, entry_port = _split_port(entry)
    if not name:
        return False  # ":8080" and the like: malformed, ignored
    if entry_port is not None and entry_port != port:
        return False
    entry_ip = _ip(name)
    if entry_ip is not None:
        return ip is not None and ip == entry_ip
    if name.startswith("*."):
        name = name[1:]
    name = _ascii(name)
    if name.startswith("."):
        return host.endswith(name)
    return host == name or host.endswith("." + name)


def _entries(no_proxy: str) -> list[str]:
    return [e for e in (part.strip().lower() for part in no_proxy.split(",")) if e]


def _split_port(entry: str) -> tuple[str, int | None]:
    """`host:port`, `[v6]:port`, `host` or a bare IPv6 address → (host, port or None)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


def _ip(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _ascii(name: str) -> str:
    """An internationalised name in the ASCII (punycode) form a URL's host takes."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _first_set(environ: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        if environ.get(name):
            return name, environ[name]
    return None


def _with_scheme(value: str) -> str:
    """`proxy.corp:3128` means `http://proxy.corp:3128`, as in Go's httpproxy. (A value with a
    scheme is kept as it is, so the caller can reject `socks5h://` by name.)"""
    return value if "://" in value else "http://" + value
