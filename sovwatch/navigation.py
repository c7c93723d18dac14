"""Seeking in a replay: the store at any instant of a recording, and where the next change is.

A seek lands on exactly what a straight replay shows at that instant: every item recorded up to it
applied to a store in order, and a model that takes that store in at that instant (the model's
incremental and full computations agree, `model/rollout.py`). Going back does not replay from the
first item: a pass over the recording keeps a copy of the store every `CHECKPOINT_EVERY` items, and
a seek starts from the nearest copy before its target. A second pass runs the model over the
recording, one update per `WINDOW` of recording time, and notes where a release's state changed
and where one became failed or stalled, so "next change" and "next failure" are a look-up once the
pass has got there. Both passes go only as far as a seek needs, and never again over the same items.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from enum import StrEnum

from sovwatch.model.rollout import Rollout
from sovwatch.model.settings import ModelSettings
from sovwatch.model.states import State
from sovwatch.sources.replay import ReplayControl, Tape
from sovwatch.store.store import Store

Key = tuple[str, str, str]
CHECKPOINT_EVERY = 5_000
"""Items between two stored copies of the store: a seek replays fewer than this many."""
WINDOW = 1.0
"""Recording seconds the model pass takes in at once (a change lands at the end of its window)."""
MINUTE = 60.0
_FAILING = (State.FAILED, State.STALLED)


class Seek(StrEnum):
    """Where a seek goes, from the replay's position."""

    BACK = "back"
    """A minute back."""
    FORWARD = "forward"
    """A minute on."""
    START = "start"
    END = "end"
    CHANGE = "change"
    """The next instant at which a release's state changes."""
    FAILURE = "failure"
    """The next instant at which a release becomes failed or stalled."""


@dataclass(frozen=True)
class Landing:
    """Where a seek lands: items played, the clock, and the release it is about (if any)."""

    position: int
    at: float
    release: Key | None = None


@dataclass
class _StorePass:
    """Items applied in order to one store, with a copy every `CHECKPOINT_EVERY` items."""

    store: Store = field(default_factory=Store)
    played: int = 0
    checkpoints: dict[int, Store] = field(default_factory=lambda: {0: Store()})

    def advance(self, tape: Tape, to: int) -> None:
        for item in tape.items[self.played : to]:
            self.store.apply(item)
            self.played += 1
            if self.played % CHECKPOINT_EVERY == 0:
                self.checkpoints[self.played] = self.store.copy()


@dataclass
class _ModelPass:
    """The model run over the recording, window by window, and the marks it left."""

    rollout: Rollout
    store: Store = field(default_factory=Store)
    played: int = 0
    states: dict[Key, State] = field(default_factory=dict)
    changes: list[tuple[int, Key]] = field(default_factory=list)
    """(items played when the change shows, the first release that changed), in order."""
    failures: list[tuple[int, Key]] = field(default_factory=list)

    def advance_window(self, tape: Tape) -> None:
        """Take in the next window of items and run the model at its end."""
        opened = tape.times[self.played]
        while self.played < len(tape) and tape.times[self.played] - opened <= WINDOW:
            self.store.apply(tape.items[self.played])
            self.played += 1
        update = self.rollout.update(
            self.store, self.store.drain_changes(), tape.times[self.played - 1]
        )
        releases = self.rollout.releases
        changed = []
        for key in sorted(update.releases):
            state = releases[key].verdict.state if key in releases else None
            if state != self.states.get(key):
                changed.append(key)
                failing = state in _FAILING and self.states.get(key) not in _FAILING
                if failing and (not self.failures or self.failures[-1][0] != self.played):
                    self.failures.append((self.played, key))
                if state is None:
                    self.states.pop(key, None)
                else:
                    self.states[key] = state
        if changed:
            self.changes.append((self.played, changed[0]))


class Navigator:
    """Seeks a replay (`control`) over `tape`, with the model `settings` the view uses."""

    def __init__(
        self,
        tape: Tape,
        control: ReplayControl,
        *,
        settings: ModelSettings | None = None,
        started_at: float | None = None,
    ) -> None:
        self.tape = tape
        self.control = control
        self._stores = _StorePass()
        self._model_lock = threading.Lock()
        """`land` may run in a thread (the TUI searches there); one search at a time."""
        self._model = _ModelPass(
            Rollout(
                settings=settings or ModelSettings(),
                started_at=tape.start if started_at is None else started_at,
            )
        )

    @property
    def start(self) -> float:
        return self.tape.start

    @property
    def end(self) -> float:
        return self.tape.end

    def items(self, start: int, stop: int) -> list:
        """The recorded items from position `start` to `stop`."""
        return list(self.tape.items[start:stop])

    def land(self, where: Seek | str, now: float) -> Landing | None:
        """Where a seek from the current position (clock `now`) lands; None when there is nothing
        there (no later change or failure)."""
        tape, position = self.tape, self.control.position
        if where == Seek.START:
            return Landing(0, tape.start)
        if where == Seek.END:
            return Landing(len(tape), max(tape.end, now))
        if where in (Seek.BACK, Seek.FORWARD):
            at = now - MINUTE if where == Seek.BACK else now + MINUTE
            at = min(max(at, tape.start), max(tape.end, now))
            return Landing(tape.played_by(at), at)
        model = self._model
        marks = model.changes if where == Seek.CHANGE else model.failures
        with self._model_lock:
            while True:
                i = bisect.bisect_right(marks, position, key=lambda mark: mark[0])
                if i < len(marks):
                    played, release = marks[i]
                    return Landing(played, tape.times[played - 1], release)
                if model.played == len(tape):
                    return None
                model.advance_window(tape)

    def store_at(self, position: int) -> Store:
        """A store holding what a straight replay holds after `position` items, every key marked
        changed (for a fresh model)."""
        passed = self._stores
        passed.advance(self.tape, position)
        start = max(p for p in passed.checkpoints if p <= position)
        store = passed.checkpoints[start].copy()
        for item in self.tape.items[start:position]:
            store.apply(item)
        return store
