"""`--kubeconfig-dir DIR`: a fleet whose members are the kubeconfig files in DIR, followed live.

`sovwatch.sources.kubeconfig_dir` says what changed in the directory; this module makes the fleet
follow: a new file is `Fleet.add`, other content is `Fleet.replace` (the member reconnects with
the new file: rotated credentials), a file gone is `Fleet.remove`. A member's kubeconfig is its
file, with the file's current context; a file that is not a usable kubeconfig is opened like any
other and becomes the member's trouble with the loader's one line (the same the directory source
found), retried until the file is fixed. A file others may read is said once per file (`warn`)
and is the member's warning (`MemberSpec.warnings`) until it is private.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import aclosing, asynccontextmanager
from pathlib import Path

from sovwatch.fleet import Fleet, MemberSpec
from sovwatch.kube.errors import FatalError
from sovwatch.sources.kubeconfig_dir import Change, KubeconfigDirectory, MembershipChange


def open_directory(
    directory: Path, *, on_problem: Callable[[str | None], None] | None = None
) -> KubeconfigDirectory:
    """The directory's source, checked: `FatalError` (one line, exit 2) if DIR is not one;
    `on_problem` as for `KubeconfigDirectory`."""
    if not directory.exists():
        raise FatalError(
            f"kubeconfig directory {directory} (from --kubeconfig-dir) does not exist: check "
            "the path"
        )
    if not directory.is_dir():
        raise FatalError(
            f"kubeconfig directory {directory} (from --kubeconfig-dir) is not a directory: point "
            "--kubeconfig-dir at the directory that holds the kubeconfig files, or use "
            "--kubeconfig for one file"
        )
    return KubeconfigDirectory(directory, on_problem=on_problem)


class DirectoryFleet:
    """Applies a directory's membership changes to a fleet."""

    def __init__(self, fleet: Fleet, *, warn: Callable[[str], None]) -> None:
        self.fleet = fleet
        self._warn = warn
        self._warned: set[Path] = set()

    def apply(self, changes: Iterable[MembershipChange]) -> None:
        for change in changes:
            member = change.member
            if change.change is Change.REMOVED:
                self.fleet.remove(member.name)
                self._warned.discard(member.path)
                continue
            if member.warnings and member.path not in self._warned:
                self._warned.add(member.path)
                for warning in member.warnings:
                    self._warn(warning)
            spec = MemberSpec(member.name, kubeconfig=str(member.path), warnings=member.warnings)
            if change.change is Change.ADDED:
                self.fleet.add(spec)
            else:
                self.fleet.replace(spec)

    async def follow(self, changes: AsyncIterator[MembershipChange]) -> None:
        """Apply every change as it comes, until cancelled."""
        async for change in changes:
            self.apply((change,))


@asynccontextmanager
async def following(
    directory: Path, fleet: Fleet, *, warn: Callable[[str], None]
) -> AsyncIterator[DirectoryFleet]:
    """The fleet has the members `directory` holds now when the block starts, and follows the
    directory until it ends; while the directory cannot be listed, that is the fleet's notice.
    `FatalError` first if `directory` is not one."""
    source = open_directory(directory, on_problem=fleet.set_notice)
    follower = DirectoryFleet(fleet, warn=warn)
    follower.apply(source.poll())
    async with aclosing(source.changes()) as changes:
        task = asyncio.create_task(follower.follow(changes), name="sovwatch-kubeconfig-dir")
        try:
            yield follower
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
