"""The TUI approver: ``decide`` posts a request carrying a Future and awaits it; the confirm pane
answers it. Nothing here imports Textual: the app hands in the function that posts the message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.agent import events as ev

if TYPE_CHECKING:
    from assistant.agent.approval import Decision
    from tools.base import Action

STOPPED = "stopped by the user"


@dataclass(eq=False)
class PendingApproval:
    """One action waiting for a person. ``edited_from``: the arguments before the person's edit,
    when this proposal is the re-planned result of one (the pane shows what changed)."""

    action: Action
    future: asyncio.Future[Decision]
    action_id: str | None = None
    edited_from: dict[str, Any] | None = field(default=None)

    @property
    def done(self) -> bool:
        return self.future.done()

    def answer(self, decision: Decision) -> bool:
        """Resolve once; False when it was already answered (a second key press, a stop)."""
        if self.future.done():
            return False
        self.future.set_result(decision)
        return True


class TuiApprover:
    """Implements ``Approver`` for the app. Register :meth:`observe` as a session listener so a
    request knows the action id the gate journaled for it."""

    def __init__(self, post: Callable[[PendingApproval], None]) -> None:
        self._post = post
        self.pending: list[PendingApproval] = []
        """Requests not yet answered, oldest first."""
        self._last_proposed: tuple[str, str] | None = None
        self.decided: set[str] = set()
        """Action ids whose decision the gate has journaled (Esc waits for its denials)."""
        self._edited_from: tuple[str, dict[str, Any]] | None = None

    def observe(self, event: ev.Event) -> None:
        """Session listener: remember the last proposal (the gate asks about it right after)."""
        match event:
            case ev.ActionProposed(fingerprint=fingerprint, action_id=action_id):
                self._last_proposed = (fingerprint, action_id)
            case ev.ActionDecided(action_id=action_id):
                self.decided.add(action_id)

    async def decide(self, action: Action, position: tuple[int, int] = (1, 1)) -> Decision:
        loop = asyncio.get_running_loop()
        action_id = None
        if self._last_proposed is not None and self._last_proposed[0] == action.fingerprint:
            action_id = self._last_proposed[1]
        edited_from = None
        if self._edited_from is not None and self._edited_from[0] == action.tool:
            edited_from = self._edited_from[1]
        self._edited_from = None
        request = PendingApproval(action, loop.create_future(), action_id, edited_from)
        self.pending.append(request)
        try:
            self._post(request)
            decision = await request.future
        finally:
            if request in self.pending:
                self.pending.remove(request)
        if decision.verdict == "edit":
            # the gate re-plans at once: its next proposal of this tool is the edited action
            self._edited_from = (action.tool, dict(action.args))
        return decision

    def deny_all(self, reason: str = STOPPED) -> list[PendingApproval]:
        """Answer every waiting request as denied (Esc, quit); returns the ones answered."""
        from assistant.agent.approval import Decision

        answered = [r for r in list(self.pending) if r.answer(Decision("deny", reason=reason))]
        return answered
