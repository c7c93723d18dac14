"""Fixtures for the connection tests: a kubeconfig writer and a loopback CONNECT proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml
from kube_helpers import ConnectProxy


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """`write(doc, name="config")` → the path of a kubeconfig file holding `doc`."""

    def _write(doc: dict | str, name: str = "config") -> Path:
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
        return path

    return _write


@pytest.fixture
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy()
    await proxy.start()
    yield proxy
    await proxy.stop()
