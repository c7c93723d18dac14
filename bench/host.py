"""The emulator on its own thread and event loop, so the benchmark's main thread can spawn and
measure peer processes (kubectl, watch, sovwatch) while the emulator serves them.

    with EmulatorHost() as host:
        host.call(populate, host.store, KIT)      # runs on the emulator's loop
        kubeconfig = host.kubeconfig(tmp / "kc")   # HTTPS + token: kubectl sends tokens only over TLS
        ...
        requests = host.requests_between(t0, t1)

The emulator's own CPU is spent in this process; every measured consumer runs in a child process,
so the two never mix.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sovsim.objects import ObjectStore
from sovsim.server import Emulator, RequestRecord

T = TypeVar("T")


class EmulatorHost:
    def __init__(
        self,
        *,
        history_limit: int = 50_000,
        bookmark_interval: float = 60.0,
        serialization_cache: bool = True,
    ) -> None:
        self.store = ObjectStore(history_limit=history_limit)
        self.emulator = Emulator(
            self.store,
            tls=True,
            bookmark_interval=bookmark_interval,
            serialization_cache=serialization_cache,
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="emulator", daemon=True)

    def __enter__(self) -> EmulatorHost:
        self._thread.start()
        self.run(self.emulator.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self.emulator.__aexit__(None, None, None), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
        """Run a coroutine on the emulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a plain function on the emulator's loop (the store is single-threaded)."""

        async def call() -> T:
            return fn(*args)

        return self.run(call())

    def kubeconfig(self, path: Path, *, auth: str = "token") -> Path:
        return self.emulator.write_kubeconfig(path, auth=auth)

    def open_watches(self) -> list[str]:
        return self.call(self.emulator.open_watches)

    def requests_between(self, start: float, end: float) -> list[RequestRecord]:
        """Requests that arrived in [start, end) (wall-clock `time.time()` seconds)."""
        return self.call(lambda: [r for r in self.emulator.request_log if start <= r.time < end])

    def put_many(self, make: Callable[[], dict], n: int) -> float:
        """Put `n` objects from `make()` as fast as the loop allows; returns the seconds taken.

        Yields to the loop after every put so watch streams write as they go, as an apiserver
        streams a burst rather than buffering it.
        """

        async def churn() -> float:
            loop = asyncio.get_running_loop()
            start = loop.time()
            for _ in range(n):
                self.store.put(make())
                await asyncio.sleep(0)
            return loop.time() - start

        return self.run(churn())
