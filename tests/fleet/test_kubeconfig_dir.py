"""`--kubeconfig-dir`: a fleet that follows a directory of kubeconfigs, against real emulators.

Files are dropped in, rewritten and removed while the fleet runs; every step waits for what the
fleet, a member's pipeline or an emulator says (never a sleep).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch import fleet_launch
from sovwatch.fleet import Fleet
from sovwatch.fleet_directory import DirectoryFleet, open_directory
from sovwatch.invocation import Invocation
from sovwatch.kube import api
from sovwatch.kube.errors import FatalError
from sovwatch.pipeline import interactive
from sovwatch.sources.kubeconfig_dir import KubeconfigDirectory
from tests.fleet.fleet_helpers import Watcher
from tests.sources.engine_objects import pod
from tests.timings import FAST


def _pods(watcher: Watcher, name: str) -> set[str]:
    update = watcher.latest(name)
    if update is None:
        return set()
    return {o.name for o in update.snapshot.objects if o.kind == "Pod"}


@asynccontextmanager
async def following(directory: Path) -> AsyncIterator[tuple[Fleet, Watcher, list[str]]]:
    """A fleet following `directory` (polled every 50 ms); yields it, its watcher and the
    warnings said."""
    watcher = Watcher()
    warnings: list[str] = []
    connector = api.shared_connector()
    fleet = fleet_launch.fleet_of(
        Invocation(command="watch", no_logs=True, kubeconfig_dir=directory), interactive(),
        connector=connector,
        settings=FAST,
    )  # fmt: skip
    fleet.subscribe(watcher)
    follower = DirectoryFleet(fleet, warn=warnings.append)
    source = KubeconfigDirectory(directory, interval=0.05)
    async with aclosing(source.changes()) as changes:
        task = asyncio.create_task(follower.follow(changes))
        try:
            yield fleet, watcher, warnings
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await fleet.aclose()
            await connector.close()


async def test_files_coming_changing_and_going_drive_the_fleet(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    async with Emulator() as a, Emulator() as b, Emulator() as c:
        a.store.put(pod("web-a"))
        b.store.put(pod("web-b"))
        c.store.put(pod("web-c"))
        a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        async with following(directory) as (fleet, watcher, warnings):
            await watcher.until(lambda: _pods(watcher, "sov-a") == {"web-a"})
            assert watcher.latest("sov-a").snapshot.cluster.context == "admin"

            # a new Sovereign's kubeconfig arrives: a new member, its records appear
            b.write_kubeconfig(directory / "sov-b.yaml", context="admin")
            await watcher.until(lambda: _pods(watcher, "sov-b") == {"web-b"})
            assert [m.name for m in fleet] == ["sov-a", "sov-b"]

            # rotated credentials: the server takes only the new token and drops every watch;
            # the rewritten file keeps the member watching
            member = fleet["sov-b"]
            b.token = "rotated-token-2"
            b.tokens = {b.token}
            b.faults.close_watches()
            b.write_kubeconfig(directory / "sov-b.yaml", context="admin")
            b.store.put(pod("web-b2"))
            await watcher.until(lambda: _pods(watcher, "sov-b") == {"web-b", "web-b2"})
            assert fleet["sov-b"] is member
            await watcher.until(lambda: member.trouble is None)

            # a file that is not a kubeconfig: a member in trouble with the loader's line
            junk = directory / "junk.yaml"
            junk.write_text("clusters: [\n  - {")
            junk.chmod(0o600)
            await watcher.until(lambda: "junk" in fleet and fleet["junk"].trouble is not None)
            assert fleet["junk"].trouble == (
                f"kubeconfig {junk} is not valid YAML at line 2, column 3: fix the file"
            )
            # ... until it is fixed
            c.write_kubeconfig(junk, context="admin")
            await watcher.until(lambda: _pods(watcher, "junk") == {"web-c"})
            assert fleet["junk"].trouble is None

            # the file goes: so do the member and its watches
            (directory / "sov-a.yaml").unlink()
            await watcher.until(lambda: "sov-a" not in fleet and not a.open_watches())
            assert watcher.removed == ["sov-a"]
            assert [m.name for m in fleet] == ["sov-b", "junk"]
            assert warnings == []


async def test_a_file_others_may_read_is_said_once(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    async with Emulator() as a:
        a.store.put(pod("web-a"))
        path = a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        path.chmod(0o640)
        async with following(directory) as (fleet, watcher, warnings):
            await watcher.until(lambda: _pods(watcher, "sov-a") == {"web-a"})
            a.token = "rotated-token-2"
            a.tokens.add(a.token)
            a.write_kubeconfig(path, context="admin")  # 0600 by its writer
            path.chmod(0o644)
            a.store.put(pod("web-a2"))
            await watcher.until(lambda: _pods(watcher, "sov-a") == {"web-a", "web-a2"})
            assert warnings == [
                f"kubeconfig {path} can be read by other users (mode 0640) and holds credentials: "
                f"chmod 600 {path}"
            ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda tmp: tmp / "nope",
            "kubeconfig directory {path} (from --kubeconfig-dir) does not exist: check the path",
        ),
        (
            lambda tmp: (tmp / "file.yaml").touch() or tmp / "file.yaml",
            "kubeconfig directory {path} (from --kubeconfig-dir) is not a directory: point "
            "--kubeconfig-dir at the directory that holds the kubeconfig files, or use "
            "--kubeconfig for one file",
        ),
    ],
    ids=["missing", "a-file"],
)
def test_a_directory_that_is_not_one_is_one_line(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(FatalError) as caught:
        open_directory(path)
    assert str(caught.value) == message.format(path=path)


async def test_a_file_without_a_current_context_says_to_set_it_in_the_file(tmp_path):
    """A member's kubeconfig is its file alone (no --context there): its trouble, as the loader
    opening it says it, names the fix in the file."""
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    async with Emulator() as a:
        path = a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        text = path.read_text().replace("current-context: admin", "current-context: ''")
        assert text != path.read_text()
        path.write_text(text)
        async with following(directory) as (fleet, watcher, _):
            await watcher.until(lambda: "sov-a" in fleet and fleet["sov-a"].trouble is not None)
            assert fleet["sov-a"].trouble == (
                f"{path} has no current-context (available: admin): set it in the file: "
                f"kubectl config use-context NAME --kubeconfig {path}"
            )
