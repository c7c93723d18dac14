"""`sovwatch --kubeconfig-dir DIR` as a subprocess against real emulators over HTTP: files dropped
in, rewritten, broken and removed while it runs, read back from its NDJSON records as they come."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable

from sovsim.server import Emulator
from tests.cli.cli_helpers import sovwatch, spawn
from tests.fleet.fleet_helpers import Watcher
from tests.sources.engine_objects import pod

DEADLINE = 30.0


class Records:
    """A running sovwatch's NDJSON records, read as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.seen: list[dict] = []

    async def until(self, pred: Callable[[dict], bool]) -> dict:
        """The first record (from now on) for which `pred` holds."""
        async with asyncio.timeout(DEADLINE):
            while True:
                line = await self.proc.stdout.readline()
                assert line, f"sovwatch ended: {(await self.proc.stderr.read()).decode()}"
                record = json.loads(line)
                self.seen.append(record)
                if pred(record):
                    return record


def _pod_in(cluster: str, name: str) -> Callable[[dict], bool]:
    def pred(record: dict) -> bool:
        if record.get("cluster") != cluster:
            return False
        if record["type"] == "transition":
            return record["kind"] == "Pod" and record["name"] == name
        if record["type"] == "snapshot":
            return any(o["name"] == name for o in record["snapshot"]["objects"])
        return False

    return pred


async def test_a_watched_directory_adds_rotates_troubles_and_removes_clusters(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    async with Emulator() as a, Emulator() as b:
        a.store.put(pod("web-a"))
        b.store.put(pod("web-b"))
        a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        report = tmp_path / "fleet.md"
        proc = await spawn(
            "--kubeconfig-dir", str(directory), "-o", "json", "--no-logs", "--report", str(report)
        )
        records = Records(proc)
        try:
            await records.until(_pod_in("sov-a", "web-a"))

            # a new Sovereign's kubeconfig, readable by others: its records appear
            path = b.write_kubeconfig(directory / "sov-b.yaml", context="admin")
            path.chmod(0o644)
            await records.until(_pod_in("sov-b", "web-b"))

            # its credentials rotate: the server takes only the new token and drops its watches
            b.token = "rotated-token-2"
            b.tokens = {b.token}
            b.faults.close_watches()
            b.write_kubeconfig(path, context="admin")
            b.store.put(pod("web-b2"))
            await records.until(_pod_in("sov-b", "web-b2"))

            # a garbage file is a cluster in trouble with the kubeconfig table's line
            junk = directory / "junk.yaml"
            junk.write_text("clusters: [\n  - {")
            junk.chmod(0o600)
            trouble = await records.until(
                lambda r: r["type"] == "cluster" and r["cluster"] == "junk"
            )
            assert trouble["trouble"] == (
                f"kubeconfig {junk} is not valid YAML at line 2, column 3: fix the file"
            )

            # the file goes: the cluster is removed and its watches are closed
            (directory / "sov-a.yaml").unlink()
            removed = await records.until(
                lambda r: r["type"] == "cluster" and r["cluster"] == "sov-a"
            )
            assert removed["removed"] is True
            await Watcher().until(lambda: not a.open_watches(), DEADLINE)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 130
    assert err.decode().splitlines() == [
        f"sovwatch: warning: kubeconfig {path} can be read by other users (mode 0644) and holds "
        f"credentials: chmod 600 {path}"
    ]
    assert b.token not in json.dumps(records.seen)
    # the report, written on the way out (SIGTERM): every cluster the fleet had
    summary = report.read_text()
    assert summary.splitlines()[0].startswith("## sovwatch fleet: exit 130, 3 Sovereigns: ")
    assert b.token not in summary
    clusters = [line.split(" | ")[0] for line in summary.splitlines() if line.startswith("| ")]
    assert sorted(clusters[1:]) == ["| junk", "| sov-a (left the fleet)", "| sov-b"]


async def test_once_gives_an_entry_per_file_and_an_empty_directory_an_empty_fleet(tmp_path):
    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    empty = await sovwatch("--kubeconfig-dir", str(directory), "--once", "-o", "json")
    assert (empty.code, empty.records(), empty.err) == (
        0,
        [{"schema": "sovwatch.fleet/v1", "clusters": []}],
        "",
    )
    async with Emulator() as a:
        a.store.put(pod("web-a"))
        a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        (directory / "broken.yaml").write_text("")
        (directory / "broken.yaml").chmod(0o600)
        (directory / ".sov-a.yaml.swp").write_text("not a member")
        result = await sovwatch("--kubeconfig-dir", str(directory), "--once", "-o", "json")
    assert result.code == 2, result.err  # one cluster gave an error instead of a snapshot
    [document] = result.records()
    clusters = {c["context"]: c for c in document["clusters"]}
    assert sorted(clusters) == ["broken", "sov-a"]
    assert clusters["broken"]["error"] == (
        f"kubeconfig {directory / 'broken.yaml'} is empty: write a kubeconfig into it (kubectl "
        "config view --raw) or move it out of the directory"
    )
    snapshot = clusters["sov-a"]["snapshot"]
    assert snapshot["cluster"]["context"] == "admin"
    assert [o["name"] for o in snapshot["objects"] if o["kind"] == "Pod"] == ["web-a"]
