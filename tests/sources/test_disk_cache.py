"""The picture cache's file: private, atomic, redacted, bounded, and ignored when unusable.

(The end-to-end behaviour, a watch showing a kept picture and replacing it, is in
tests/cli/test_picture_cache.py; these are the file's own rules.)
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from sovwatch import redaction
from sovwatch.sources import disk_cache
from sovwatch.sources.disk_cache import Identity
from sovwatch.sources.events import EventType, WatchEvent

ME = Identity("https://10.0.0.1:6443", "omantel-prod", "oidc-admin")
NOW = 1_764_240_000.0


def pod(name: str, message: str = "Back-off restarting failed container") -> WatchEvent:
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "loki", "resourceVersion": "4711"},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "loki",
                    "ready": False,
                    "restartCount": 7,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": message}},
                }
            ],
        },
    }
    return WatchEvent("pods", EventType.ADDED, obj, NOW - 30)


def kept(tmp_path: Path, *items: WatchEvent, saved_at: float = NOW) -> Path:
    path = tmp_path / "sovwatch" / ME.file_name()
    assert disk_cache.write(path, ME, items, saved_at=saved_at)
    return path


def test_a_picture_comes_back_as_it_was_kept_from_a_private_file(tmp_path):
    path = kept(tmp_path, pod("loki-0"), pod("loki-1"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    picture = disk_cache.read(path, ME, now=NOW + 60)
    assert picture is not None
    assert picture.saved_at == NOW
    assert picture.items == (pod("loki-0"), pod("loki-1"))


def test_the_file_is_named_by_a_hash_of_server_context_user_and_namespace():
    names = {
        Identity(server, context, user, namespace).file_name()
        for server in ("https://a:6443", "https://b:6443")
        for context in ("prod", "../../etc/passwd")
        for user in ("admin", "viewer")
        for namespace in ("", "loki")
    }
    assert len(names) == 16
    assert all(len(n) == 32 + len(".json") and n[:32].isalnum() for n in names)


def test_secrets_are_redacted_in_the_file(tmp_path):
    secret = "s3cr3t-" + os.urandom(8).hex()
    redaction.remember(secret)
    path = kept(tmp_path, pod("loki-0", message=f"auth failed: token {secret} rejected"))
    text = path.read_text()
    assert secret not in text
    assert redaction.MASK in text


def test_a_rewrite_replaces_the_file_whole(tmp_path):
    path = kept(tmp_path, pod("loki-0"), pod("loki-1"))
    kept(tmp_path, pod("loki-2"), saved_at=NOW + 10)
    picture = disk_cache.read(path, ME, now=NOW + 20)
    assert picture is not None
    assert [i.obj["metadata"]["name"] for i in picture.items] == ["loki-2"]


@pytest.mark.parametrize(
    ("identity", "now"),
    [
        (Identity(ME.server, "other-context", ME.user), NOW + 60),
        (Identity(ME.server, ME.context, "viewer"), NOW + 60),
        (Identity(ME.server, ME.context, ME.user, "loki"), NOW + 60),
        (ME, NOW + disk_cache.MAX_AGE + 1),  # too old
        (ME, NOW - 60),  # from the future: a clock that jumped
    ],
    ids=["other-context", "other-user", "one-namespace", "too-old", "future"],
)
def test_a_foreign_or_old_picture_is_not_shown(tmp_path, caplog, identity, now):
    path = kept(tmp_path, pod("loki-0"))
    with caplog.at_level(logging.DEBUG, logger=disk_cache.__name__):
        assert disk_cache.read(path, identity, now=now) is None
    assert len(caplog.records) == 1


def test_an_oversized_file_is_not_read(tmp_path, caplog):
    path = kept(tmp_path, pod("loki-0"))
    with path.open("r+b") as f:
        f.truncate(disk_cache.MAX_BYTES + 1)  # sparse: no 32 MiB written
    with caplog.at_level(logging.DEBUG, logger=disk_cache.__name__):
        assert disk_cache.read(path, ME, now=NOW) is None
    assert "more than" in caplog.text


def test_an_oversized_picture_is_not_written(tmp_path, monkeypatch):
    path = kept(tmp_path, pod("loki-0"))
    monkeypatch.setattr(disk_cache, "MAX_BYTES", 1024)
    many = [pod(f"loki-{i}") for i in range(20)]
    assert not disk_cache.write(path, ME, many, saved_at=NOW + 5)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # the old one stays whole
    monkeypatch.undo()
    assert disk_cache.read(path, ME, now=NOW + 10).items == (pod("loki-0"),)


def test_never_written_or_read_through_a_symbolic_link(tmp_path):
    target = tmp_path / "victim"
    target.write_text("keep me\n")
    path = tmp_path / "sovwatch" / ME.file_name()
    path.parent.mkdir()
    path.symlink_to(target)
    assert disk_cache.read(path, ME, now=NOW) is None
    # the rename replaces the link itself; what it pointed at is untouched
    assert disk_cache.write(path, ME, [pod("loki-0")], saved_at=NOW)
    assert target.read_text() == "keep me\n"
    assert not path.is_symlink()


def test_prune_removes_old_files_then_the_oldest_over_the_total(tmp_path, monkeypatch):
    folder = tmp_path / "sovwatch"
    folder.mkdir()
    now = time.time()
    ages = {"a.json": 7200, "b.json": 300, "c.json": 200, "d.json": 100, ".e.json.1.tmp": 4000}
    for name, age in ages.items():
        (folder / name).write_bytes(b"x" * 1000)
        os.utime(folder / name, (now - age, now - age))
    (folder / "notes.txt").write_text("not ours")
    monkeypatch.setattr(disk_cache, "MAX_TOTAL", 2500)
    disk_cache.prune(folder, now=now)
    assert sorted(p.name for p in folder.iterdir()) == ["c.json", "d.json", "notes.txt"]
