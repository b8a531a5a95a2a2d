"""Brings the chat's ConversationView to a replay cursor, forward and back, through ``apply``.

The view only moves forward, and a redraw from the start costs every widget of the session
again (seconds for a few hundred actions). So going back undoes each step's mark instead: a
widget the step added is hidden (and shown again when the step is redone), and a card the step
changed is reset and fed its earlier events again. Cards hidden by a jump keep their state until
they are shown again, and are reset then only if that state runs past the cursor. Only
ActionCard's public state and ConversationView's ``apply`` are used.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from textual.widget import Widget

from assistant.agent import events as ev
from assistant.ui.replay_timeline import Step, Timeline
from assistant.ui.widgets.action_card import ActionCard
from assistant.ui.widgets.conversation import ConversationView
from assistant.ui.widgets.preview import safe

_CARD_EVENTS = (ev.ActionDecided, ev.ActionApproved, ev.ActionResult)
_UNFINISHED = ("unknown", "undecided")
"""Card states only ``mark_unfinished`` sets (the session ended there)."""


class ReplayPainter:
    """What one ConversationView shows of one timeline: ``shown`` steps, marked or not."""

    def __init__(
        self,
        view: ConversationView,
        timeline: Timeline,
        local: Callable[[datetime], datetime],
    ) -> None:
        """``local`` turns a stored UTC time into the time shown (the screen's time zone)."""
        self.view = view
        self.timeline = timeline
        self.local = local
        self.shown = 0
        self.marked = False
        """True once ``mark_unfinished`` ran: the cursor is at the end of the log."""
        self._added: dict[int, Widget] = {}
        """Step index -> the widget applying it added to the view (hidden while undone)."""
        self._proposed_at: dict[str, int] = {}
        """Action id -> index of the step that added its card."""
        self._upto: dict[str, int] = {}
        """Action id -> its card shows exactly its events with an index below this."""
        self._card_steps: dict[str, list[int]] = defaultdict(list)
        for index, step in enumerate(timeline.steps):
            if step.action_id and isinstance(step.event, _CARD_EVENTS):
                self._card_steps[step.action_id].append(index)

    async def paint(self, target: int) -> None:
        """Show the first ``target`` steps (clamped), whichever way the cursor moved."""
        steps = self.timeline.steps
        target = max(0, min(len(steps), target))
        with self.view.app.batch_update():
            if self.marked and target != self.shown:
                await self._unmark()
            for index in range(self.shown - 1, target - 1, -1):
                await self._undo(index, target)
            await self._reset_stale(range(self.shown, target), target)
            for index in range(self.shown, target):
                self._redo(index)
        self.shown = target
        if target == len(steps) and steps and not self.marked:
            self.view.mark_unfinished()  # the log ends here: running means outcome unknown
            self.marked = True

    # -- forward --------------------------------------------------------------------------------

    def _redo(self, index: int) -> None:
        widget = self._added.get(index)
        if widget is not None:  # added the first time this step was applied
            widget.display = True
            return
        step = self.timeline.steps[index]
        action_id = step.action_id or ""
        if isinstance(step.event, _CARD_EVENTS) and index < self._upto.get(action_id, 0):
            return  # the card still shows it (hidden by a jump back, shown again unchanged)
        before = len(self.view.children)
        self.apply(step)
        if isinstance(step.event, _CARD_EVENTS) and action_id in self._upto:
            self._upto[action_id] = index + 1
        if len(self.view.children) > before:
            added = self.view.children[-1]
            self._added[index] = added
            if isinstance(added, ActionCard):
                self._proposed_at[added.action_id] = index
                self._upto[added.action_id] = index + 1

    def apply(self, step: Step) -> None:
        """One step through the view's own ``apply``; one it cannot rebuild becomes a notice."""
        if step.event is None:
            self.view.notice(
                f"event {step.seq} ({safe(step.kind, 40)}) cannot be shown: {step.problem}",
                error=True,
            )
            return
        at = step.at
        self.view.apply(step.event, at=self.local(at) if at else None)

    # -- back -----------------------------------------------------------------------------------

    async def _undo(self, index: int, target: int) -> None:
        widget = self._added.get(index)
        if widget is not None:
            widget.display = False
            return
        step = self.timeline.steps[index]
        if not isinstance(step.event, _CARD_EVENTS):
            return  # it drew nothing (usage, the end of a turn): nothing to take back
        card = self.view.action_card(step.event.action_id)
        if card is None or self._proposed_at.get(card.action_id, -1) >= target:
            return  # no card, or one this move hides: it is checked when shown again
        if self._upto.get(card.action_id, 0) > index:
            await self._rebuild(card, upto=index)

    async def _reset_stale(self, indexes: range, target: int) -> None:
        """Cards shown again by this move whose state runs past ``target``: back to a bare
        proposal, all at once (their events up to the cursor are then redone in order)."""
        stale = []
        for index in indexes:
            card = self._added.get(index)
            if not isinstance(card, ActionCard):
                continue
            upto = self._upto.get(card.action_id, 0)
            if any(target <= i < upto for i in self._card_steps[card.action_id]):
                stale.append(card)
                self._upto[card.action_id] = index + 1
        await self._reset(stale)

    async def _unmark(self) -> None:
        """Take back ``mark_unfinished``: cards it changed get their own events' state again."""
        for card in self.view.cards:
            if card.status in _UNFINISHED:
                await self._rebuild(card, upto=min(self._upto.get(card.action_id, 0), self.shown))
        self.marked = False

    async def _rebuild(self, card: ActionCard, upto: int) -> None:
        """Reset a card to its proposal, then apply its events that come before step ``upto``."""
        await self._reset([card])
        steps = self.timeline.steps
        for index in self._card_steps[card.action_id]:
            if index < upto:
                self.apply(steps[index])
        self._upto[card.action_id] = max(upto, self._proposed_at.get(card.action_id, 0) + 1)

    @staticmethod
    async def _reset(cards: list[ActionCard]) -> None:
        """Cards back to a bare proposal: no decision, no result (its fold removed)."""
        folds = [fold for card in cards if (fold := card.fold("result")) is not None]
        if folds:  # removed together: one wait, not one per card
            await asyncio.gather(*(fold.remove() for fold in folds))
        for card in cards:
            card.result = None
            card.elapsed = None
            card.decided_by = ""
            card.reason = ""
            card.decided_at = None
            card.set_status("proposed")
