"""The bridge from a session's events to the screen: the listener posts, handlers paint.

Deltas are coalesced: one message announces a batch, and new deltas join it until the reply
takes it at its next repaint, so a 4,000-chunk answer costs one message per repaint, not one per
chunk. Any other event ends the batch first (the reply takes what is left before painting that
event), so the order on screen is the order of the events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message
from textual.message_pump import MessagePump

from assistant.agent import events as ev

if TYPE_CHECKING:
    from assistant.ui.approver import PendingApproval


class SessionEvent(Message, bubble=False):
    """One session event (not a delta) to paint, with the time it happened."""

    def __init__(self, event: ev.Event, at: datetime) -> None:
        super().__init__()
        self.event = event
        self.at = at


class DeltaBatch(Message, bubble=False):
    """Text deltas that arrived since the last repaint; the reply calls :meth:`take` when it
    repaints, not the handler when the message arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.closed = False

    def take(self) -> str:
        """Everything queued so far; later deltas start a new batch."""
        self.closed = True
        text = "".join(self.parts)
        self.parts.clear()
        return text


class ApprovalRequested(Message, bubble=False):
    """An action waits for a person; the confirm pane answers ``request.future``."""

    def __init__(self, request: PendingApproval) -> None:
        super().__init__()
        self.request = request


class EventBridge:
    """A session listener that posts events to ``target`` (the chat screen)."""

    def __init__(self, target: MessagePump, clock: Callable[[], datetime] = datetime.now) -> None:
        self.target = target
        self.clock = clock
        self._batch: DeltaBatch | None = None

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.AssistantDelta):
            batch = self._batch
            if batch is None or batch.closed:
                batch = self._batch = DeltaBatch()
                self.target.post_message(batch)
            batch.parts.append(event.text)
            return
        if self._batch is not None:
            self._batch.closed = True  # later deltas go after this event, in a new batch
            self._batch = None
        self.target.post_message(SessionEvent(event, self.clock()))

    def approval(self, request: PendingApproval) -> None:
        """The approver's ``post`` function."""
        self.target.post_message(ApprovalRequested(request))
