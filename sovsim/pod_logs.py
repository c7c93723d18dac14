"""`GET /api/v1/namespaces/NS/pods/NAME/log`: a container's log, as the apiserver and kubelet serve it.

The apiserver picks the container (`container`, required when the pod has more than one, with its
400 "a container name must be specified ..."), then the kubelet picks the run from the pod's
status: `previous=true` reads `lastState.terminated` (400 "previous terminated container ... not
found" without one), otherwise the running container, or the last terminated one while the
container waits to restart (CrashLoopBackOff), or a 400 "is waiting to start: REASON". Options:
`sinceSeconds`, `tailLines`, `timestamps` (RFC 3339 with nanoseconds and a space before each line),
`limitBytes` (cuts the output, even mid-line) and `follow` (a chunked stream of new lines until the
run ends). A pod not on a node yet answers an empty 200, like the apiserver without a location.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from sovsim.container_logs import END, ContainerLogs
from sovsim.status import StatusError, query_bool

CONTENT_TYPE = "text/plain"


def _int_param(query, key: str, pod_name: str, *, zero_ok: bool) -> int | None:
    """An integer option, validated as ValidatePodLogOptions does (422 Invalid)."""
    raw = query.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise StatusError(400, f'{key}: Invalid value: "{raw}": must be an integer') from None
    if value < 0 or (value == 0 and not zero_ok):
        bound = "greater than or equal to 0" if zero_ok else "greater than 0"
        raise StatusError(
            422,
            f'PodLogOptions "{pod_name}" is invalid: {key}: Invalid value: {value}: must be {bound}',
            reason="Invalid",
        )
    return value


def _names(containers: list[dict]) -> str:
    return "[" + " ".join(c["name"] for c in containers) + "]"


def pick_container(pod: dict, requested: str) -> str:
    """The apiserver's validateContainer: the named container must exist; without a name the pod
    must have exactly one (init containers do not count, but are offered)."""
    spec = pod.get("spec", {})
    containers, inits = spec.get("containers", []), spec.get("initContainers", [])
    name = pod["metadata"]["name"]
    if not requested:
        if len(containers) == 1:
            return containers[0]["name"]
        if not containers:
            raise StatusError(400, f"a container name must be specified for pod {name}")
        raise StatusError(
            400,
            f"a container name must be specified for pod {name}, choose one of: "
            f"{_names(inits + containers)}",
        )
    if not any(c["name"] == requested for c in inits + containers):
        raise StatusError(400, f"container {requested} is not valid for pod {name}")
    return requested


def pick_run(pod: dict, container: str, previous: bool) -> str:
    """The kubelet's validateContainerLogStatus: the containerID whose log is served."""
    status = pod.get("status", {})
    name = pod["metadata"]["name"]
    statuses = status.get("containerStatuses", []) + status.get("initContainerStatuses", [])
    found = next((s for s in statuses if s.get("name") == container), None)
    if found is None:
        raise StatusError(400, f'container "{container}" in pod "{name}" is not available')
    last = (found.get("lastState") or {}).get("terminated")
    state = found.get("state") or {}
    if previous:
        if not last or not last.get("containerID"):
            raise StatusError(
                400, f'previous terminated container "{container}" in pod "{name}" not found'
            )
        return last["containerID"]
    if "running" in state:
        return found.get("containerID", "")
    if "terminated" in state and state["terminated"].get("containerID"):
        return state["terminated"]["containerID"]
    if last and last.get("containerID"):
        return last["containerID"]
    reason = (state.get("waiting") or {}).get("reason", "")
    if reason == "ErrImagePull":
        why = "image can't be pulled"
    elif reason == "ImagePullBackOff":
        why = "trying and failing to pull image"
    elif reason:
        why = reason
    else:
        raise StatusError(
            400, f'container "{container}" in pod "{name}" is waiting to start - no logs yet'
        )
    raise StatusError(400, f'container "{container}" in pod "{name}" is waiting to start: {why}')


def _stamp(when: float) -> str:
    """The kubelet's fixed-width RFC 3339 time with nanoseconds."""
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


class _Output:
    """Formats lines and enforces limitBytes across the whole answer."""

    def __init__(self, timestamps: bool, limit: int | None) -> None:
        self.timestamps = timestamps
        self.left = limit

    def encode(self, when: float, line: str) -> bytes:
        text = f"{_stamp(when)} {line}\n" if self.timestamps else f"{line}\n"
        data = text.encode()
        if self.left is not None:
            data = data[: self.left]
            self.left -= len(data)
        return data

    @property
    def full(self) -> bool:
        return self.left is not None and self.left <= 0


async def serve_pod_log(
    request: web.Request, logs: ContainerLogs, pod: dict, now: float
) -> web.StreamResponse:
    """The answer to one `pods/log` request for `pod` (already found and authorised)."""
    query = request.query
    container = pick_container(pod, query.get("container", ""))
    previous = query_bool(query.get("previous"))
    name = pod["metadata"]["name"]
    tail = _int_param(query, "tailLines", name, zero_ok=True)
    limit = _int_param(query, "limitBytes", name, zero_ok=False)
    since = _int_param(query, "sinceSeconds", name, zero_ok=False)
    follow = query_bool(query.get("follow"))
    output = _Output(query_bool(query.get("timestamps")), limit)
    if not pod.get("spec", {}).get("nodeName"):
        return web.Response(body=b"", content_type=CONTENT_TYPE)
    container_id = pick_run(pod, container, previous)
    lines = logs.lines(container_id)
    if since is not None:
        lines = [(t, line) for t, line in lines if t >= now - since]
    if tail is not None:
        lines = lines[len(lines) - tail :] if tail else []
    body = b"".join(output.encode(t, line) for t, line in lines if not output.full)
    if not follow or output.full or logs.is_closed(container_id):
        return web.Response(body=body, content_type=CONTENT_TYPE)
    return await _follow(request, logs, container_id, body, output)


async def _follow(
    request: web.Request, logs: ContainerLogs, container_id: str, head: bytes, output: _Output
) -> web.StreamResponse:
    queue = logs.follow(container_id)
    response = web.StreamResponse(headers={"Content-Type": CONTENT_TYPE})
    response.enable_chunked_encoding()
    try:
        await response.prepare(request)
        await response.write(head)
        while not output.full:
            item = await queue.get()
            if item is END:
                break
            await response.write(output.encode(*item))
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        logs.unfollow(container_id, queue)
    return response
