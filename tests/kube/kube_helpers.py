"""Helpers for the connection tests: kubeconfigs, exec plugin configs, a loopback CONNECT proxy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import sys
import time
from pathlib import Path

from sovsim.server import Emulator
from sovwatch.kube import api, config
from sovwatch.settings import WatchSettings
from tests.timings import FAST

PLUGIN = Path(__file__).with_name("fake_exec_plugin.py")


def kubeconfig_doc(
    server: str, user: dict, *, cluster: dict | None = None, name: str = "sovereign"
) -> dict:
    """A one-context kubeconfig, as `kubectl config view --raw` prints it."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": f"{name}-admin", "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
        "current-context": name,
    }


def exec_user(
    state: Path, mode: str, *, lifetime: float = 3600.0, api_version: str = "v1", **exec_fields
) -> dict:
    """A user whose credential comes from fake_exec_plugin.py; `exec_fields` are added to (or
    override) its exec section (`interactiveMode`, `provideClusterInfo`, `env`)."""
    return {
        "exec": {
            "apiVersion": f"client.authentication.k8s.io/{api_version}",
            "command": sys.executable,
            "args": [str(PLUGIN), str(state), mode, str(lifetime)],
            "interactiveMode": "Never",
            **exec_fields,
        }
    }


def shell_exec_user(script: str) -> dict:
    """A user whose exec credential plugin is `/bin/sh -c SCRIPT` (a plugin that misbehaves)."""
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "/bin/sh",
            "args": ["-c", script],
            "interactiveMode": "Never",
        }
    }


def live_members(session: int) -> list[int]:
    """Pids of the processes still alive (zombies count as gone) in session `session`: a scan of
    /proc, as `ps -s` would do."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        fields = stat.rpartition(")")[2].split()  # after "pid (comm)": state, ppid, pgrp, session
        if fields[0] != "Z" and int(fields[3]) == session:
            alive.append(int(entry.name))
    return alive


def survivors(session: int, *, within: float = 10.0) -> list[int]:
    """The processes of session `session` still alive once each has had `within` seconds to end.

    A SIGKILLed process is gone only once the kernel has run it to its end, which on a loaded
    machine can come after the killer returned: each member's pidfd says when it ended, and one
    that was never killed (`sleep 1000`) is still there when the time is up."""
    alive = []
    deadline = time.monotonic() + within
    for pid in live_members(session):
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue  # ended meanwhile
        try:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)
        if not ready:
            alive.append(pid)
    return alive


def ca_cluster(emu: Emulator) -> dict:
    return {"certificate-authority": str(emu.ca_path)}


async def open_client(
    *paths: Path,
    context: str | None = None,
    settings: WatchSettings = FAST,
    environ: dict[str, str] | None = None,
) -> api.ApiClient:
    """load_connection + connect, as the CLI does; raises FatalError."""
    connection = await config.load_connection(
        tuple(paths), context=context, settings=settings, environ=environ
    )
    return await api.connect(connection, settings=settings)


class ConnectProxy:
    """A loopback HTTP proxy that only tunnels (CONNECT), recording each tunnel's target.

    Like a corporate proxy, it resolves names the client cannot: `hosts` maps such names (under
    `.invalid`, which no DNS resolves) to 127.0.0.1, so a request that reaches the emulator by
    such a name provably went through the proxy.
    """

    def __init__(self, hosts: dict[str, str] | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.tunnels: list[str] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            host, _, port = target.rpartition(":")
            address = self.hosts.get(host, host)
            if method != "CONNECT" or address not in ("127.0.0.1", "localhost"):
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            up_reader, up_writer = await asyncio.open_connection(address, int(port))
            self.tunnels.append(target)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()
