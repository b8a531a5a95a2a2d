"""The TUI approver: ``decide`` posts a request carrying a Future and awaits it; the confirm pane
answers it. Nothing here imports Textual: the app hands in the function that posts the message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.agent import events as ev
    from assistant.agent.approval import ApprovalRequest, Decision
    from tools.base import Action

STOPPED = "stopped by the user"
RECORD_WAIT = 5.0
"""Seconds a stop waits for the gate to journal the denials it answered (it does so at once)."""


@dataclass(eq=False)
class PendingApproval:
    """One action waiting for a person, under the id the gate journaled it with."""

    request: ApprovalRequest
    future: asyncio.Future[Decision]
    recorded: asyncio.Future[None] = field(default_factory=lambda: _loop_future())
    """Done once the gate has journaled the decision (a stop waits on it, not on a timer)."""

    @property
    def action(self) -> Action:
        return self.request.action

    @property
    def action_id(self) -> str:
        return self.request.action_id

    @property
    def edited_from(self) -> Mapping[str, Any] | None:
        """The arguments before the person's edit, when this is the edited action (the pane
        shows what changed)."""
        return self.request.edited_from

    @property
    def unlocks(self) -> str | None:
        return self.request.unlocks

    @property
    def done(self) -> bool:
        return self.future.done()

    def answer(self, decision: Decision) -> bool:
        """Resolve once; False when it was already answered (a second key press, a stop)."""
        if self.future.done():
            return False
        self.future.set_result(decision)
        return True


def _loop_future() -> asyncio.Future[None]:
    return asyncio.get_running_loop().create_future()


class TuiApprover:
    """Implements ``Approver`` for the app. Register :meth:`observe` as a session listener: it
    tells each answered request when the gate has journaled its decision."""

    def __init__(self, post: Callable[[PendingApproval], None]) -> None:
        self._post = post
        self.pending: list[PendingApproval] = []
        """Requests not yet answered, oldest first."""
        self._unrecorded: dict[str, PendingApproval] = {}

    def observe(self, event: ev.Event) -> None:
        """Session listener: an ``action.decided`` settles the request with that action id."""
        from assistant.agent.events import ActionDecided

        if isinstance(event, ActionDecided):
            request = self._unrecorded.pop(event.action_id, None)
            if request is not None and not request.recorded.done():
                request.recorded.set_result(None)

    async def decide(self, request: ApprovalRequest) -> Decision:
        waiting = PendingApproval(request, asyncio.get_running_loop().create_future())
        self.pending.append(waiting)
        self._unrecorded[request.action_id] = waiting
        try:
            self._post(waiting)
            return await waiting.future
        finally:
            if waiting in self.pending:
                self.pending.remove(waiting)

    def deny_all(self, reason: str = STOPPED) -> list[PendingApproval]:
        """Answer every waiting request as denied (Esc, quit); returns the ones answered."""
        from assistant.agent.approval import Decision

        return [r for r in list(self.pending) if r.answer(Decision("deny", reason=reason))]

    async def stop(self, reason: str = STOPPED) -> list[PendingApproval]:
        """Deny every waiting request and return once the gate has journaled each denial, so a
        turn cancelled next leaves "denied: stopped by the user" in the journal, never an
        undecided action. Bounded: a journal that fails to record does not hang the app."""
        answered = self.deny_all(reason)
        waits = [r.recorded for r in answered]
        if waits:
            await asyncio.wait(waits, timeout=RECORD_WAIT)
        for request in answered:
            self._unrecorded.pop(request.action_id, None)
        return answered
