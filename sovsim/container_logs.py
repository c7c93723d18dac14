"""What the container runtime keeps of each container's output: lines by containerID.

The kubelet answers `pods/log` from the container the pod's status names (`containerID`, or
`lastState.terminated.containerID` for `previous=true`), so lines are keyed by containerID, one
key per run of a container. A run's log ends when the container exits (`close`), which ends any
`follow` stream on it. Each run keeps its newest `max_lines` lines (the kubelet rotates log files
too); the simulated runtime forgets runs older than the previous one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

END = None
"""Queued to followers when a run's log ends."""


@dataclass
class RunLog:
    """The output of one container run: (time, line) pairs, newest last."""

    lines: deque[tuple[float, str]]
    closed: bool = False
    followers: set[asyncio.Queue[tuple[float, str] | None]] = field(default_factory=set)


class ContainerLogs:
    """Log lines of every container run in the emulated cluster, by containerID."""

    def __init__(self, max_lines: int = 1000) -> None:
        self.max_lines = max_lines
        self._runs: dict[str, RunLog] = {}

    def _run(self, container_id: str) -> RunLog:
        run = self._runs.get(container_id)
        if run is None:
            run = self._runs[container_id] = RunLog(deque(maxlen=self.max_lines))
        return run

    def write(self, container_id: str, when: float, line: str) -> None:
        """Append one line (without its newline) written at `when` (epoch seconds)."""
        run = self._run(container_id)
        run.lines.append((when, line))
        for queue in run.followers:
            queue.put_nowait((when, line))

    def close(self, container_id: str) -> None:
        """The run ended (the container exited): followers get the end of their stream."""
        run = self._run(container_id)
        run.closed = True
        for queue in run.followers:
            queue.put_nowait(END)

    def forget(self, container_id: str) -> None:
        run = self._runs.pop(container_id, None)
        if run is not None:
            for queue in run.followers:
                queue.put_nowait(END)

    def lines(self, container_id: str) -> list[tuple[float, str]]:
        run = self._runs.get(container_id)
        return list(run.lines) if run is not None else []

    def is_closed(self, container_id: str) -> bool:
        run = self._runs.get(container_id)
        return run is not None and run.closed

    def follow(self, container_id: str) -> asyncio.Queue[tuple[float, str] | None]:
        """A queue of the lines written from now on, then END when the run ends."""
        queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()
        run = self._run(container_id)
        run.followers.add(queue)
        if run.closed:
            queue.put_nowait(END)
        return queue

    def unfollow(self, container_id: str, queue: asyncio.Queue) -> None:
        run = self._runs.get(container_id)
        if run is not None:
            run.followers.discard(queue)
