"""The app's side of a fleet: what it is told by the fleet and by each member's pipeline.

Each member's pipeline publishes to its own `MemberFeed`, which posts a `MemberPublished` message to
the app (a newer snapshot of the same member replaces one still waiting, as `Published` does for a
single cluster). Membership and trouble changes arrive as `MembersChanged`. The app turns the
members into `model.fleet.MemberState`s when it draws the fleet screen, at most `refresh_hz`
times a second, and hands a member's own snapshots to its screen while that one is open.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.message import Message
from textual.message_pump import MessagePump

from sovwatch.fleet import Member
from sovwatch.model.fleet import MemberState
from sovwatch.pipeline import Update
from sovwatch.redaction import redact
from sovwatch.sources.events import LogStreams, StreamHealth
from sovwatch.untrusted import neutralise


def log_streams_of(member: Member) -> LogStreams | None:
    """What opens the member's container logs now (None while it is not connected)."""
    return member.opened.log_streams if member.opened is not None else None


class MemberPublished(Message):
    """A member's pipeline published a snapshot (or, with `update` None, only time passed)."""

    def __init__(self, member: str, update: Update | None, now: float) -> None:
        super().__init__()
        self.member = member
        self.update = update
        self.now = now

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, MemberPublished)
            and message.member == self.member
            and (message.update is not None or self.update is None)
        )


class MembersChanged(Message):
    """A member came, went, or its trouble changed."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MembersChanged)


class MemberFeed:
    """A pipeline subscriber that forwards one member's snapshots and ticks to the app."""

    def __init__(self, member: str, app: MessagePump) -> None:
        self.member = member
        self.app = app

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        """Stream health reaches the screen with the next snapshot."""

    def unlisted(self, resources: list[str]) -> None:
        """The TUI does not wait for every stream to list."""

    def update(self, update: Update) -> None:
        self.app.post_message(MemberPublished(self.member, update, update.now))

    def tick(self, now: float) -> None:
        self.app.post_message(MemberPublished(self.member, None, now))

    def ended(self) -> None:
        """The member's source ended; its last snapshot stays."""


def gated(text: str) -> str:
    """A warning or notice as the fleet screen shows it: through the untrusted-text gate (file
    and cluster names are anyone's text), credentials redacted."""
    return redact(neutralise(text))


def member_states(members: Iterable[Member]) -> list[MemberState]:
    """What the fleet summary reads of each member now (its warnings gated and redacted: they
    carry file and cluster names)."""
    return [
        MemberState(
            context=m.name,
            server=m.server,
            snapshot=m.pipeline.latest,
            trouble=m.trouble,
            started_at=m.pipeline.started_at,
            now=m.pipeline.now(),
            warnings=tuple(gated(w) for w in m.warnings),
        )
        for m in members
    ]
