"""The kubeconfig directory source, on real files in a temporary directory.

The live tests read `changes()` and wait for the change they expect (each with a deadline, never a
sleep); the tests of half-written files call `poll()` themselves, so "not yet" is exact.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from sovsim.kubeconfigs import kubeconfig_document, token_user, write_private
from sovwatch.sources.kubeconfig_dir import (
    Change,
    KubeconfigDirectory,
    MembershipChange,
    is_candidate,
)

INTERVAL = 0.05
DEADLINE = 10.0


def document(context: str, token: str = "t0ken-one") -> dict:
    return kubeconfig_document(
        server="https://127.0.0.1:6443",
        context=context,
        namespace=None,
        ca_pem=None,
        user=token_user(token),
    )


def write(path: Path, context: str, token: str = "t0ken-one") -> Path:
    return write_private(path, document(context, token))


class Changes:
    """The live changes of a directory, read one at a time with a deadline."""

    def __init__(self, items: AsyncIterator[MembershipChange]) -> None:
        self.items = items

    async def next(self) -> MembershipChange:
        return await asyncio.wait_for(anext(self.items), DEADLINE)

    async def take(self, count: int) -> list[MembershipChange]:
        return [await self.next() for _ in range(count)]


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[tuple[Path, Changes]]:
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    write(directory / "sov-a.yaml", "admin@sov-a")
    write(directory / "sov-b.yaml", "admin@sov-b")
    source = KubeconfigDirectory(directory, interval=INTERVAL)
    async with aclosing(source.changes()) as items:
        yield directory, Changes(items)


async def test_the_files_already_there_are_added_named_by_their_stem(watched):
    directory, changes = watched
    first = await changes.take(2)
    assert [(c.change, c.member.name, c.member.context) for c in first] == [
        (Change.ADDED, "sov-a", "admin@sov-a"),
        (Change.ADDED, "sov-b", "admin@sov-b"),
    ]
    assert first[0].member.path == directory / "sov-a.yaml"
    assert (first[0].member.problem, first[0].member.warnings) == (None, ())


async def test_a_file_dropped_in_is_added_and_a_removed_one_removed(watched):
    directory, changes = watched
    await changes.take(2)
    write(directory / "sov-c.yaml", "admin@sov-c")
    added = await changes.next()
    assert (added.change, added.member.name, added.member.context) == (
        Change.ADDED,
        "sov-c",
        "admin@sov-c",
    )
    (directory / "sov-a.yaml").unlink()
    removed = await changes.next()
    assert (removed.change, removed.member.name) == (Change.REMOVED, "sov-a")


async def test_rotated_credentials_are_a_change_and_a_touch_is_nothing(watched):
    directory, changes = watched
    await changes.take(2)
    write(directory / "sov-a.yaml", "admin@sov-a", token="t0ken-two")  # rewritten in place
    changed = await changes.next()
    assert (changed.change, changed.member.name) == (Change.CHANGED, "sov-a")
    os.utime(directory / "sov-b.yaml")  # same content, newer mtime
    write(directory / "sov-c.yaml", "admin@sov-c")
    following = await changes.next()
    assert (following.change, following.member.name) == (Change.ADDED, "sov-c")


async def test_an_atomic_rename_is_read_once_and_whole(watched):
    """The safe writer: a temporary dotfile, renamed into place; the temporary is never a member."""
    directory, changes = watched
    await changes.take(2)
    temporary = write(directory / ".sov-c.yaml.tmp", "admin@sov-c")
    os.replace(temporary, directory / "sov-c.yaml")
    added = await changes.next()
    assert (added.change, added.member.name, added.member.problem) == (Change.ADDED, "sov-c", None)


async def test_hidden_temporary_and_non_regular_files_are_not_members(watched):
    directory, changes = watched
    await changes.take(2)
    for name in (".hidden.yaml", "sov-x.yaml~", "#sov-x.yaml#", ".sov-x.yaml.swp", "4913"):
        write(directory / name, "admin@sov-x")
    (directory / "sub").mkdir()
    write(directory / "sub" / "nested.yaml", "admin@nested")
    os.mkfifo(directory / "pipe.yaml")
    (directory / "dangling.yaml").symlink_to(directory / "nowhere.yaml")
    linked = write(directory.parent / "elsewhere.yaml", "admin@linked")
    (directory / "linked.yaml").symlink_to(linked)
    added = await changes.next()
    assert (added.change, added.member.name, added.member.context) == (
        Change.ADDED,
        "linked",
        "admin@linked",
    )
    write(directory / "sov-z.yaml", "admin@sov-z")
    assert (await changes.next()).member.name == "sov-z"  # nothing else came in between


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "clusters: [\n  - {",
            "kubeconfig {path} is not valid YAML at line 2, column 3: fix the file",
        ),
        (
            "",
            "kubeconfig {path} is empty: write a kubeconfig into it (kubectl config view --raw) "
            "or move it out of the directory",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
            "kubeconfig {path} is not a kubeconfig (it holds a Deployment): expected kind Config "
            "with clusters, contexts and users; fix the file or move it out of the directory",
        ),
    ],
    ids=["not-yaml", "empty", "not-kubeconfig"],
)
async def test_a_file_that_is_no_kubeconfig_is_a_member_in_trouble(watched, text, problem):
    directory, changes = watched
    await changes.take(2)
    path = directory / "broken.yaml"
    path.write_text(text)
    path.chmod(0o600)
    added = await changes.next()
    assert (added.change, added.member.name, added.member.context) == (Change.ADDED, "broken", None)
    assert added.member.problem == problem.format(path=path)
    write(path, "admin@fixed")
    fixed = await changes.next()
    assert (fixed.change, fixed.member.problem, fixed.member.context) == (
        Change.CHANGED,
        None,
        "admin@fixed",
    )


async def test_a_kubeconfig_without_a_current_context_is_in_trouble(watched):
    directory, changes = watched
    await changes.take(2)
    broken = document("admin@sov-c")
    del broken["current-context"]
    path = write_private(directory / "sov-c.yaml", broken)
    added = await changes.next()
    assert added.member.problem == (
        f"{path} has no current-context (available: admin@sov-c): set it in the file: "
        f"kubectl config use-context NAME --kubeconfig {path}"
    )


async def test_a_file_others_may_read_carries_a_warning_until_it_is_private(watched):
    directory, changes = watched
    await changes.take(2)
    path = directory / "sov-a.yaml"
    path.chmod(0o644)
    warned = await changes.next()
    assert (warned.change, warned.member.warnings) == (
        Change.CHANGED,
        (
            f"kubeconfig {path} can be read by other users (mode 0644) and holds credentials: "
            f"chmod 600 {path}",
        ),
    )
    path.chmod(0o600)
    private = await changes.next()
    assert (private.change, private.member.name, private.member.warnings) == (
        Change.CHANGED,
        "sov-a",
        (),
    )


def test_a_directory_gone_keeps_its_members_and_says_so_once(tmp_path, caplog):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    write(directory / "sov-a.yaml", "admin@sov-a")
    problems: list[str | None] = []
    source = KubeconfigDirectory(
        directory, interval=60.0, clock=lambda: 2e9, on_problem=problems.append
    )
    assert [c.member.name for c in source.poll()] == ["sov-a"]
    directory.rename(tmp_path / "away")
    with caplog.at_level(logging.WARNING, logger="sovwatch.sources.kubeconfig_dir"):
        assert source.poll() == []
        assert source.poll() == []
    said = (
        f"cannot list the kubeconfig directory {directory} (No such file or directory): keeping "
        "its 1 clusters as they were until it can be listed again"
    )
    assert [r.getMessage() for r in caplog.records] == [said]
    assert problems == [said]  # once, as the log says it
    (tmp_path / "away").rename(directory)
    (directory / "sov-a.yaml").unlink()
    assert [(c.change, c.member.name) for c in source.poll()] == [(Change.REMOVED, "sov-a")]
    assert problems == [said, None]  # listed again: nothing to say any more


def test_a_file_being_written_is_read_once_it_stands_still(tmp_path):
    """An in-place writer: nothing while the file grows; the whole file once it stopped."""
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    source = KubeconfigDirectory(directory, interval=3600.0)  # its mtime is always fresh
    assert source.poll() == []  # the first poll takes what is there as it is
    text = tmp_path / "whole.yaml"
    write(text, "admin@sov-c")
    whole = text.read_bytes()
    with open(directory / "sov-c.yaml", "wb") as file:
        for part in (whole[:40], whole[40:120], whole[120:]):
            file.write(part)
            file.flush()
            assert source.poll() == []
    added = source.poll()  # unchanged since the last poll
    assert [(c.change, c.member.context, c.member.problem) for c in added] == [
        (Change.ADDED, "admin@sov-c", None)
    ]
    assert source.poll() == []


def test_the_files_there_at_the_first_poll_are_read_at_once(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    write(directory / "sov-a.yaml", "admin@sov-a")
    source = KubeconfigDirectory(directory, interval=3600.0)  # its mtime is fresh
    assert [(c.change, c.member.name) for c in source.poll()] == [(Change.ADDED, "sov-a")]


def test_a_file_that_appears_later_with_an_old_mtime_is_read_at_once(tmp_path):
    """Copied in with its time kept (`cp -p`, `rsync -t`): it stood still long ago."""
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    source = KubeconfigDirectory(directory, interval=3600.0)
    assert source.poll() == []
    path = write(directory / "sov-a.yaml", "admin@sov-a")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 7200))
    assert [(c.change, c.member.name) for c in source.poll()] == [(Change.ADDED, "sov-a")]


def test_two_files_with_one_stem_keep_apart(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    write(directory / "sov-a.yaml", "admin@one")
    write(directory / "sov-a.yml", "admin@two")
    source = KubeconfigDirectory(directory, interval=1.0, clock=lambda: 2e9)
    assert [(c.member.name, c.member.context) for c in source.poll()] == [
        ("sov-a", "admin@one"),
        ("sov-a.yml", "admin@two"),
    ]


def test_a_huge_file_is_not_read(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    path = directory / "huge.yaml"
    with open(path, "wb") as file:
        file.truncate(5 * 2**20)  # sparse: costs no disk
    source = KubeconfigDirectory(directory, interval=1.0, clock=lambda: 2e9)
    [added] = source.poll()
    assert added.member.problem == (
        f"kubeconfig {path} is 5.0 MiB, larger than any kubeconfig (4 MiB at most): fix the file "
        "or move it out of the directory"
    )


@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("sov-7f3a.yaml", True),
        ("omantel.omani.works", True),
        ("config", True),
        (".sov.yaml", False),
        ("sov.yaml~", False),
        ("#sov.yaml#", False),
        ("sov.yaml.swp", False),
        ("sov.yaml.tmp", False),
        ("sov.yaml.part", False),
        ("4913", False),
    ],
)
def test_which_names_are_candidates(name, candidate):
    assert is_candidate(name) is candidate
