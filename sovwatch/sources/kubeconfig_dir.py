"""Cluster membership from a directory of kubeconfigs, one cluster per file, followed while running.

The system the seed describes (openova's catalyst-api) keeps one kubeconfig per Sovereign in a
directory (`<id>.yaml`, mode 0600, written when a new Sovereign's cloud-init posts it back).
`KubeconfigDirectory.changes()` yields a `MembershipChange` for every file that appears, changes
or disappears there, within about a second and without a restart:

- **Which files.** Every regular file (a symbolic link is followed) but dotfiles and editors' and
  downloaders' temporary files (`*~`, `#*#`, `*.swp`, `*.tmp`, `*.part`, ..., vim's `4913`);
  subdirectories are not read.
- **Names.** A member is named by its file's stem (`sov-7f3a.yaml` -> `sov-7f3a`): the file name is
  the Sovereign's id and unique in the directory, while per-cluster kubeconfigs often share one
  context name (`kubernetes-admin@kubernetes`, `default`). The context used is the file's
  `current-context`. When two files share a stem, the one seen later keeps its whole file name.
- **Complete files only.** The directory is polled (`os.scandir` and `stat`, portable, no inotify)
  every `interval`; a file that appears later is read once it has stood still for one interval
  (its modification time is that old, or its inode, size and modification time did not move
  between two polls). A writer that renames a finished temporary file into place, the safe way
  (temporary names are ignored), is picked up at once; one that writes in place is read after it
  stopped writing. The files already there at the first poll are read at once (so `--once` sees
  them): one being written just then is read again when its writer is done, as a change.
- **Changes.** A moved signature makes the file be read again; only other content (rotated
  credentials) or other warnings make a `CHANGED`: touching a file changes nothing.
- **Trouble is a member.** A file that is not a usable kubeconfig is a member with `problem` set to
  the loader's one line (`sovwatch.kube.config.check_file`, the README's Bad input messages),
  never an exception; a corrected file turns it into a `CHANGED` member without one.
- **Warnings.** A file that group or others may read holds credentials for everyone on the
  machine: the member carries a one-line warning saying so, as long as that is true.
- A directory that cannot be listed any more (unmounted, removed) keeps the members as they were,
  says so once in the log, and is polled on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import stat
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from sovwatch.kube.config import check_file
from sovwatch.kube.errors import FatalError
from sovwatch.untrusted import neutralise

logger = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
"""Seconds between two looks at the directory: a new Sovereign shows up within two of them."""

MAX_BYTES = 4 * 1024 * 1024
"""A kubeconfig is a few KiB (a few dozen clusters' CAs stay far below this); a larger file is not
read at all."""

_TEMPORARY_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".temp", ".part", ".partial", ".crdownload")
_TEMPORARY_NAMES = ("4913",)  # vim's probe of whether it may write in the directory


def is_candidate(name: str) -> bool:
    """True for a file name that may hold a member's kubeconfig (not hidden, not temporary)."""
    return not (
        name.startswith(".")
        or name.endswith("~")
        or (name.startswith("#") and name.endswith("#"))
        or name.endswith(_TEMPORARY_SUFFIXES)
        or name in _TEMPORARY_NAMES
    )


class Change(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    """Other content (rotated credentials, a file corrected or broken) or other warnings."""
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class KubeconfigFile:
    """One member as its file describes it."""

    name: str
    """The member's name: the file's stem (its whole name if another file has that stem)."""
    path: Path
    context: str | None
    """The file's current-context; None when the file has a `problem`."""
    problem: str | None = None
    """Why the file is not a usable kubeconfig, one line; None when it is."""
    warnings: tuple[str, ...] = ()
    """What the operator should know about the file (readable by others), one line each."""


@dataclass(frozen=True, slots=True)
class MembershipChange:
    change: Change
    member: KubeconfigFile
    """For `REMOVED`, the member as it was last seen."""


@dataclass(frozen=True, slots=True)
class _Signature:
    """What `stat` says of a file; a file being written moves it."""

    inode: int
    size: int
    mtime_ns: int
    mode: int

    @classmethod
    def of(cls, st: os.stat_result) -> _Signature:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


@dataclass(frozen=True, slots=True)
class _Member:
    file: KubeconfigFile
    signature: _Signature
    digest: bytes


class KubeconfigDirectory:
    """The members a directory of kubeconfigs describes, polled (see the module's docstring)."""

    def __init__(
        self,
        directory: Path,
        *,
        interval: float = POLL_INTERVAL,
        clock: Callable[[], float] = time.time,
        on_problem: Callable[[str | None], None] | None = None,
    ) -> None:
        """`on_problem(line)` when the directory cannot be listed any more, `on_problem(None)`
        when it can again (the fleet screen says it)."""
        self.directory = directory
        self._on_problem = on_problem
        self.interval = interval
        self._clock = clock
        self._members: dict[str, _Member] = {}
        """By file name."""
        self._last_seen: dict[str, _Signature] = {}
        """Every candidate file's signature at the last poll, by file name."""
        self._unlistable = False
        self._polled = False

    async def changes(self) -> AsyncIterator[MembershipChange]:
        """Every change, the members already there first (as `ADDED`), polling until closed."""
        while True:
            for change in self.poll():
                yield change
            await asyncio.sleep(self.interval)

    def poll(self) -> list[MembershipChange]:
        """Look at the directory once: what was removed, then what was added or changed, each in
        file-name order."""
        found = self._list()
        if found is None:
            return []
        changes = [
            MembershipChange(Change.REMOVED, self._members.pop(name).file)
            for name in sorted(set(self._members) - set(found))
        ]
        first, self._polled = not self._polled, True
        self._last_seen = {name: sig for name, sig in self._last_seen.items() if name in found}
        now = self._clock()
        for name in sorted(found):
            signature = _Signature.of(found[name])
            steady = self._last_seen.get(name) == signature
            self._last_seen[name] = signature
            member = self._members.get(name)
            if member is not None and member.signature == signature:
                continue
            if not (steady or first) and now - found[name].st_mtime < self.interval:
                continue  # perhaps still being written: read it once it stands still
            change = self._read(name, signature, member)
            if change is not None:
                changes.append(change)
        return changes

    def _list(self) -> dict[str, os.stat_result] | None:
        """The candidate regular files and their `stat`, by name; None if the directory cannot
        be listed."""
        found: dict[str, os.stat_result] = {}
        try:
            with os.scandir(self.directory) as entries:
                for entry in entries:
                    if not is_candidate(entry.name):
                        continue
                    try:
                        st = entry.stat()  # follows a symbolic link
                    except OSError:
                        continue  # gone (or a dangling link) since it was listed
                    if stat.S_ISREG(st.st_mode):
                        found[entry.name] = st
        except OSError as e:
            if not self._unlistable:
                problem = (
                    f"cannot list the kubeconfig directory {neutralise(str(self.directory))} "
                    f"({e.strerror}): keeping its {len(self._members)} clusters as they were "
                    "until it can be listed again"
                )
                logger.warning("%s", problem)
                if self._on_problem is not None:
                    self._on_problem(problem)
            self._unlistable = True
            return None
        if self._unlistable and self._on_problem is not None:
            self._on_problem(None)
        self._unlistable = False
        return found

    def _read(
        self, name: str, signature: _Signature, known: _Member | None
    ) -> MembershipChange | None:
        """The change reading file `name` makes (None if none), remembered as the member's state."""
        path = self.directory / name
        digest, problem = _content_digest(path, signature.size)
        if digest is None:
            return None  # gone since it was listed: the next poll sees it removed
        warnings = _warnings(path, signature)
        if known is not None and (known.digest, known.file.warnings) == (digest, warnings):
            self._members[name] = replace(known, signature=signature)
            return None
        context = None
        if problem is None:
            try:
                context = check_file(path)
            except FatalError as e:
                problem = str(e)
        member = KubeconfigFile(
            name=known.file.name if known is not None else self._member_name(name),
            path=path,
            context=context,
            problem=problem,
            warnings=warnings,
        )
        self._members[name] = _Member(member, signature, digest)
        return MembershipChange(Change.ADDED if known is None else Change.CHANGED, member)

    def _member_name(self, file_name: str) -> str:
        """The file's stem (its whole name if taken), through the untrusted-text gate."""
        stem = Path(file_name).stem or file_name
        taken = {member.file.name for member in self._members.values()}
        return neutralise(file_name if stem in taken else stem)


def _content_digest(path: Path, size: int) -> tuple[bytes | None, str | None]:
    """(a digest of the file's content or None if it is gone, a problem reading it or None).

    Opened non-blocking, so a FIFO swapped in after `stat` cannot hang the poll."""
    if size > MAX_BYTES:
        return hashlib.sha256(str(size).encode()).digest(), (
            f"kubeconfig {path} is {size / 2**20:.1f} MiB, larger than any kubeconfig "
            f"({MAX_BYTES // 2**20} MiB at most): fix the file or move it out of the directory"
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError as e:
        reason = e.strerror or str(e)
        return hashlib.sha256(reason.encode()).digest(), f"cannot read kubeconfig {path}: {reason}"
    with os.fdopen(fd, "rb") as file:
        return hashlib.sha256(file.read(MAX_BYTES + 1)).digest(), None


def _warnings(path: Path, signature: _Signature) -> tuple[str, ...]:
    if not signature.mode & (stat.S_IRGRP | stat.S_IROTH):
        return ()
    mode = stat.S_IMODE(signature.mode)
    shown = neutralise(str(path))  # a file name is anyone's text
    return (
        f"kubeconfig {shown} can be read by other users (mode {mode:04o}) and holds credentials: "
        f"chmod 600 {shown}",
    )
