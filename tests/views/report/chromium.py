"""A real headless Chromium driven over the DevTools protocol (a small CDP client on aiohttp).

`open_page` starts Debian's `chromium` with a private profile and no network features, opens one
tab, and collects every console message, uncaught exception and browser log entry (a blocked load
under the report's Content-Security-Policy is one) while the test works with the page.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

INSTALL = "apt-get update && apt-get install -y chromium"
"""The one command that makes these tests run (Debian's package)."""
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
_LISTENING = re.compile(rb"DevTools listening on (ws://\S+)")
_BACKGROUND: set[asyncio.Task] = set()


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    """One tab: send CDP commands, read what the page logged."""

    ws: aiohttp.ClientWebSocketResponse
    session: str
    problems: list[str] = field(default_factory=list)
    """Console errors and warnings, uncaught exceptions, browser log errors (CSP, failed loads)."""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _pending: dict[int, asyncio.Future] = field(default_factory=dict)
    _events: dict[str, asyncio.Event] = field(default_factory=dict)
    tasks: list[asyncio.Task] = field(default_factory=list)

    async def send(self, method: str, **params) -> dict:
        ident = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await self.ws.send_json(
            {"id": ident, "method": method, "params": params, "sessionId": self.session}
        )
        return await asyncio.wait_for(future, 30)

    def expect(self, event: str) -> asyncio.Event:
        """An asyncio.Event set when the page next emits `event` (arm it before the cause)."""
        self._events[event] = asyncio.Event()
        return self._events[event]

    async def evaluate(self, expression: str):
        answer = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    async def load(self, url: str, *, dark: bool = False, width: int = 1100) -> None:
        """Open `url` (`Path.as_uri()` for a file) in the light or dark colour scheme."""
        await self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}],
        )
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        loaded = self.expect("Page.loadEventFired")
        await self.send("Page.navigate", url=url)
        await asyncio.wait_for(loaded.wait(), 30)

    async def screenshot(self, *, height: int | None = None) -> bytes:
        """A PNG of the page's top `height` CSS pixels (the whole page when None)."""
        full = await self.evaluate("document.documentElement.scrollHeight")
        width = await self.evaluate("document.documentElement.scrollWidth")
        clip = {"x": 0, "y": 0, "width": width, "height": min(height or full, full), "scale": 1}
        shot = await self.send(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        return base64.b64decode(shot["data"])

    def _on(self, message: dict) -> None:
        if "id" in message:
            future = self._pending.pop(message["id"], None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(RuntimeError(str(message["error"])))
                else:
                    future.set_result(message.get("result", {}))
            return
        method, params = message.get("method", ""), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning"):
            args = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            self.problems.append(f"console.{params['type']}: {' '.join(args)}")
        elif method == "Runtime.exceptionThrown":
            self.problems.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            self.problems.append(f"log {params['entry']['level']}: {params['entry'].get('text')}")
        if method in self._events:
            self._events[method].set()


@asynccontextmanager
async def open_page(profile: Path) -> AsyncIterator[Page]:
    """A fresh Chromium (profile directory `profile`) with one tab, closed afterwards."""
    binary = executable()
    assert binary is not None, f"chromium is not installed: {INSTALL}"
    proc = await asyncio.create_subprocess_exec(
        binary,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        url = await asyncio.wait_for(_devtools_url(proc), 60)
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(url, max_msg_size=0) as ws,
        ):
            page = await _attach(ws)
            yield page
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def _devtools_url(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    while line := await proc.stderr.readline():
        if match := _LISTENING.search(line):
            _BACKGROUND.add(asyncio.create_task(_drain(proc.stderr)))
            return match.group(1).decode()
    raise AssertionError("chromium exited without a DevTools endpoint")


async def _drain(stream: asyncio.StreamReader) -> None:
    try:
        while await stream.read(65536):
            pass
    finally:
        _BACKGROUND.discard(asyncio.current_task())


async def _attach(ws: aiohttp.ClientWebSocketResponse) -> Page:
    """Open a tab and attach to it (flat sessions: one socket for browser and page)."""

    async def browser(ident: int, method: str, **params) -> dict:
        await ws.send_json({"id": ident, "method": method, "params": params})
        async for msg in ws:
            data = msg.json()
            if data.get("id") == ident:
                return data["result"]
        raise AssertionError("DevTools socket closed")

    target = await browser(1, "Target.createTarget", url="about:blank")
    attached = await browser(2, "Target.attachToTarget", targetId=target["targetId"], flatten=True)
    page = Page(ws, attached["sessionId"], _ids=itertools.count(10))
    page.tasks.append(asyncio.create_task(_pump(ws, page)))
    for domain in ("Page", "Runtime", "Log"):
        await page.send(f"{domain}.enable")
    return page


async def _pump(ws: aiohttp.ClientWebSocketResponse, page: Page) -> None:
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            data = msg.json()
            if data.get("sessionId") in (None, page.session):
                page._on(data)
