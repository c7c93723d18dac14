"""The Kubernetes API emulator's HTTP side: an aiohttp server real clients (kubectl) accept.

    async with Emulator(store, tls=True) as emu:
        emu.write_kubeconfig(path, auth="cert")
        store.put(pod)                   # watches see it at once
        emu.faults.close_watches("pods") # and the fault hooks of `faults.Faults`

Read-only (GET) API: discovery (`discovery`), list/get with pagination and selectors
(`selectors`), watch (`watch`), events.k8s.io as a view of core Events (`eventsview`), Table
output (`tables`). Auth is a bearer token from `tokens` or, with TLS, a client certificate signed
by the emulator's CA (`tls`); anything else is 401, including `/version`, as with
`--anonymous-auth=false`.

Control endpoint for out-of-process tests and soak scripts (same auth as the API):

    POST /_sim/faults/<name>   JSON body: the keyword arguments of `Faults.<name>`
        names: close_watches, malformed_line, stall, unstall, compact, forbid, allow, fail_next,
        restart (answered first, then the server restarts on the same port)
        answer: {"result": <return value>}; unknown name 404, bad arguments 400.

    curl -H "Authorization: Bearer $T" -d '{"n": 3, "status": 429, "retry_after": 1}' \
        http://127.0.0.1:PORT/_sim/faults/fail_next
"""

from __future__ import annotations

import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sovsim import discovery, kubeconfigs, status, tables
from sovsim.control import Control
from sovsim.encoding import EncodedObjects, watch_encoder
from sovsim.faults import POD_LOG, Faults
from sovsim.listing import list_page, shape
from sovsim.objects import Change, ObjectStore, ResourceType, resource_type
from sovsim.pod_logs import serve_pod_log
from sovsim.selectors import (
    Filter,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from sovsim.status import query_bool
from sovsim.tls_peer import peer_common_name
from sovsim.watch import CLOSE, WatchRequest, WatchStream, serve_watch, watch_list_errors

if TYPE_CHECKING:
    from sovsim.tls import CertificateAuthority

TOKEN_USER = "sovwatch-sim-admin"
"""The user a bearer token authenticates as (shown in 403 messages)."""

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _pod_log_path(segments: list[str]) -> tuple[str, str] | None:
    """(namespace, name) of a `/api/v1/namespaces/NS/pods/NAME/log` path, else None."""
    match segments:
        case ["api", "v1", "namespaces", namespace, "pods", name, "log"]:
            return namespace, name
    return None


@dataclass
class RequestRecord:
    """One request as the emulator saw it. Appended on arrival so open watches are visible;
    `status` and `duration` are filled in when the response starts and ends."""

    method: str
    path: str
    query: dict[str, str]
    watch: bool
    time: float
    status: int | None = None
    duration: float | None = None
    agent: str = ""
    """The client's User-Agent (`kubectl/v1.32.4 ...`, `sovwatch/0.1.0`): whose request it was,
    when several clients share one emulator."""


class Emulator:
    """A Kubernetes API server over an ObjectStore, on 127.0.0.1 (async context manager)."""

    def __init__(
        self,
        store: ObjectStore | None = None,
        *,
        tls: bool = False,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bookmark_interval: float = 60.0,
        watch_timeout: float = 1800.0,
        request_log_limit: int = 100_000,
        shutdown_timeout: float = 1.0,
        watch_list: bool = True,
        serialization_cache: bool = True,
    ) -> None:
        """`watch_list`: serve streamed lists (`sendInitialEvents`), as kube-apiserver does with
        its WatchList feature gate on; False answers them 422 Invalid, as an older server (or one
        with the gate off) does. `serialization_cache=False`: encode every object for every
        request (`encoding`)."""
        if host not in _LOOPBACK:
            raise ValueError(f"the emulator binds to loopback only, not {host!r}")
        self.store = store if store is not None else ObjectStore()
        self.host = host
        self.port = port
        self.tls = tls
        self.token = token or secrets.token_urlsafe(32)
        self.tokens: set[str] = {self.token}
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self.watch_list = watch_list
        self.request_log: list[RequestRecord] = []
        self._request_log_limit = request_log_limit
        self._shutdown_timeout = shutdown_timeout
        self._streams: set[WatchStream] = set()
        self._encoded = EncodedObjects(cache=serialization_cache)
        self.faults = Faults(self.store, self._streams)
        self._runner: web.AppRunner | None = None
        self._control = Control(self.faults, self.restart)
        self._ca: CertificateAuthority | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.ca_pem: bytes | None = None
        self.ca_path: Path | None = None
        if tls:
            from sovsim.tls import CertificateAuthority  # the `tls` extra (cryptography)

            self._ca = CertificateAuthority.generate()
            self._tmp = tempfile.TemporaryDirectory(prefix="sovwatch-sim-")
            self.ca_pem = self._ca.cert_pem
            self.ca_path = Path(self._tmp.name) / "ca.crt"
            self.ca_path.write_bytes(self.ca_pem)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=1024**2)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=self._shutdown_timeout, access_log=None
        )
        await runner.setup()
        ssl_context = None
        if self._ca is not None and self._tmp is not None:
            from sovsim.tls import server_context

            ssl_context = server_context(self._ca, Path(self._tmp.name))
        site = web.TCPSite(
            runner, self.host, self.port, ssl_context=ssl_context, reuse_address=True
        )
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        self._encoded.clear()  # deletions while stopped went unseen
        self.store.listeners.append(self._on_change)
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        self.faults.close_watches()
        if self._on_change in self.store.listeners:
            self.store.listeners.remove(self._on_change)
        await runner.cleanup()

    async def restart(self) -> None:
        """Stop and start again on the same port; the store (objects, history) is kept."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def open_watches(self) -> list[str]:
        """The resource keys of the watch streams open right now, one entry per stream."""
        return sorted(stream.rt.key for stream in self._streams)

    def _on_change(self, change: Change) -> None:
        """A changed or deleted object leaves the serialization cache. A CRD change may stop
        serving a resource: its open watches end, as on a real apiserver."""
        self._encoded.forget(change)
        if change.resource != "customresourcedefinitions.apiextensions.k8s.io":
            return
        for stream in list(self._streams):
            if stream.rt.crd and not self.store.is_served(stream.rt, stream.version):
                stream.signal(CLOSE)

    # -- credentials -----------------------------------------------------------------------------

    def issue_client_cert(self, common_name: str) -> tuple[bytes, bytes]:
        """(cert PEM, key PEM) for a client certificate the emulator accepts (TLS only)."""
        if self._ca is None:
            raise RuntimeError("client certificates need an emulator started with tls=True")
        return self._ca.issue(common_name, organization="system:masters")

    def kubeconfig(
        self, *, auth: str = "token", context: str = "sim", namespace: str | None = None
    ) -> dict:
        if auth == "token":
            user = kubeconfigs.token_user(self.token)
        elif auth == "cert":
            user = kubeconfigs.cert_user(*self.issue_client_cert(f"{context}-user"))
        elif auth == "none":
            user = {}
        else:
            raise ValueError(f"auth must be token, cert or none, not {auth!r}")
        return kubeconfigs.kubeconfig_document(
            server=self.url, context=context, namespace=namespace, ca_pem=self.ca_pem, user=user
        )

    def write_kubeconfig(self, path: str | Path, **kwargs: Any) -> Path:
        return kubeconfigs.write_private(path, self.kubeconfig(**kwargs))

    def _authenticate(self, request: web.Request) -> str | None:
        """The authenticated user name, or None (401)."""
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credential.strip() in self.tokens:
            return TOKEN_USER
        if request.transport is not None:
            return peer_common_name(request.transport.get_extra_info("peercert"))
        return None

    # -- requests -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            watch=query_bool(request.query.get("watch")),
            time=time.time(),
            agent=request.headers.get("User-Agent", ""),
        )
        self.request_log.append(record)
        if len(self.request_log) > self._request_log_limit:
            del self.request_log[: len(self.request_log) // 2]
        response: web.StreamResponse | None = None
        try:
            try:
                response = await self._route(request, record)
            except status.StatusError as exc:
                response = exc.response()
            return response
        finally:
            record.status = response.status if response is not None else 500
            record.duration = time.monotonic() - started

    async def _route(self, request: web.Request, record: RequestRecord) -> web.StreamResponse:
        user = self._authenticate(request)
        if user is None:
            return status.unauthorized()
        segments = [s for s in request.path.split("/") if s]
        if segments[:2] == ["_sim", "faults"] and len(segments) == 3:
            return await self._control.handle(request, segments[2])
        if failure := self.faults.take_failure():
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = f"{failure.retry_after:g}"
            if failure.status == 429:
                return status.status_response(
                    429, "Too many requests, please try again later.", details={}, headers=headers
                )
            return status.status_response(
                500,
                "Internal error occurred: injected by the emulator",
                details={"causes": [{"message": "injected by the emulator"}]},
                headers=headers,
            )
        if request.method != "GET":
            return status.status_response(
                405, "the server does not allow this method on the requested resource", details={}
            )
        if match := _pod_log_path(segments):
            return await self._pod_log(request, user, *match)
        document = self._discovery(segments)
        if document is not None:
            return status.json_response(document)
        target = discovery.resolve(self.store, segments)
        if target is None or (target.name and target.rt.namespaced and target.namespace is None):
            return status.not_found_path()
        verb = "get" if target.name else ("watch" if record.watch else "list")
        if self.faults.is_forbidden(target.rt.key):
            return status.forbidden(
                target.rt, user=user, verb=verb, namespace=target.namespace, name=target.name
            )
        if target.name:
            return self._get(request, target)
        try:
            filt = Filter(
                namespace=target.namespace,
                labels=parse_label_selector(request.query.get("labelSelector")),
                fields=parse_field_selector(request.query.get("fieldSelector"), target.rt),
            )
        except SelectorError as exc:
            return status.bad_request(str(exc))
        if record.watch:
            return await self._watch(request, target, filt)
        if "sendInitialEvents" in request.query:
            detail = "Forbidden: sendInitialEvents is supported only with watch"
            return status.invalid(
                "ListOptions", "meta.k8s.io", [("sendInitialEvents", "FieldValueForbidden", detail)]
            )
        return self._list(request, target, filt)

    def _discovery(self, segments: list[str]) -> dict | None:
        match segments:
            case ["version"]:
                return discovery.KUBERNETES_VERSION
            case ["api"]:
                return discovery.api_versions(f"{self.host}:{self.port}")
            case ["apis"]:
                return discovery.api_group_list(self.store)
            case ["apis", group]:
                return discovery.api_group(self.store, group)
            case ["api", version]:
                return discovery.api_resource_list(self.store, "", version)
            case ["apis", group, version]:
                return discovery.api_resource_list(self.store, group, version)
        return None

    async def _pod_log(
        self, request: web.Request, user: str, namespace: str, name: str
    ) -> web.StreamResponse:
        rt = resource_type("pods")
        if self.faults.is_forbidden(POD_LOG):
            return status.forbidden(
                rt, user=user, verb="get", namespace=namespace, name=name, subresource="log"
            )
        pod = self.store.peek("pods", namespace, name)
        if pod is None:
            return status.not_found(rt, name)
        return await serve_pod_log(request, self.store.logs, pod, self.store.clock())

    # -- list, get, watch ----------------------------------------------------------------------------

    def _get(self, request: web.Request, target: discovery.Target) -> web.Response:
        rt = target.rt
        obj = self.store.peek(rt.view_of or rt.key, target.namespace or "", target.name or "")
        if obj is None:
            return status.not_found(rt, target.name or "")
        if tables.wants_table(request.headers.get("Accept", "")):
            shaped = shape(rt, target.version, obj)
            return self._table_response(
                request, rt, [shaped], shaped["metadata"]["resourceVersion"]
            )
        return status.encoded_response(self._encoded.encoded(rt, target.version, obj))

    def _list(self, request: web.Request, target: discovery.Target, filt: Filter) -> web.Response:
        rt = target.rt
        items, metadata = list_page(
            self.store,
            rt.view_of or rt.key,
            filt,
            limit=request.query.get("limit"),
            token=request.query.get("continue"),
        )
        if tables.wants_table(request.headers.get("Accept", "")):
            shaped = [shape(rt, target.version, o) for o in items]
            return self._table_response(
                request, rt, shaped, metadata["resourceVersion"], metadata.get("continue")
            )
        return status.encoded_response(self._encoded.list_body(rt, target.version, metadata, items))

    def _table_response(
        self,
        request: web.Request,
        rt: ResourceType,
        objects: list[dict],
        resource_version: str,
        continue_token: str | None = None,
    ) -> web.Response:
        table = tables.to_table(
            rt,
            objects,
            include_object=request.query.get("includeObject", "Metadata"),
            resource_version=resource_version,
            continue_token=continue_token,
            now=self.store.clock(),
        )
        return status.json_response(table, content_type=tables.TABLE_CONTENT_TYPE)

    async def _watch(
        self, request: web.Request, target: discovery.Target, filt: Filter
    ) -> web.StreamResponse:
        query = request.query
        rv = query.get("resourceVersion")
        if rv not in (None, "") and not rv.isdigit():
            return status.bad_request(f'resourceVersion: Invalid value: "{rv}": invalid value')
        try:
            timeout = (
                float(query["timeoutSeconds"]) if "timeoutSeconds" in query else self.watch_timeout
            )
        except ValueError:
            return status.bad_request(f'timeoutSeconds: Invalid value: "{query["timeoutSeconds"]}"')
        send_initial_events = query.get("sendInitialEvents")
        if errors := watch_list_errors(
            send_initial_events, query.get("resourceVersionMatch", ""), served=self.watch_list
        ):
            return status.invalid("ListOptions", "meta.k8s.io", errors)
        rt, version = target.rt, target.version
        as_table = tables.wants_table(request.headers.get("Accept", ""))
        encode = watch_encoder(
            self._encoded,
            rt,
            version,
            as_table=as_table,
            include_object=query.get("includeObject", "Metadata"),
            clock=self.store.clock,
        )
        watch = WatchRequest(
            rt=rt,
            version=version,
            source=rt.view_of or rt.key,
            filt=filt,
            resource_version=rv,
            bookmarks=query_bool(query.get("allowWatchBookmarks")),
            timeout=timeout,
            bookmark_interval=self.bookmark_interval,
            initial_events=query_bool(send_initial_events),
        )
        return await serve_watch(
            request,
            watch,
            store=self.store,
            encode=encode,
            # a watch-list's initial events are a list: their encodings are kept as a list's are
            encode_initial=encode
            if as_table
            else lambda _, obj: self._encoded.encoded(rt, version, obj),
            content_type=tables.TABLE_CONTENT_TYPE if as_table else "application/json",
            streams=self._streams,
            is_stalled=self.faults.is_stalled,
        )
