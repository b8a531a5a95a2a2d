"""Brings the chat's ConversationView to a replay cursor, holding only what is on screen.

A session of 10,000 events would be thousands of widgets; building them all took seconds. So the
view holds a window: the last ``window`` items (messages, replies, cards, notices) the cursor has
reached, each built through the view's own ``apply`` only when it enters the window, and taken out
when it leaves. A card in the window is brought to the cursor by applying its later events
(forward) or by a reset and its earlier events again (back). Each move costs the items that
change, never the session's length. Only ActionCard's public state and ConversationView's
``apply``/``forget`` are used.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
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
WINDOW = 16
"""Items held by default: more than a 40-row screen shows (a card is at least three rows)."""


def draws(step: Step, first_proposal: bool) -> bool:
    """Whether applying ``step`` adds a widget to the view (ConversationView.apply's cases)."""
    event = step.event
    match event:
        case None:
            return True  # drawn as a notice by ``ReplayPainter.apply``
        case ev.ActionProposed():
            return first_proposal
        case ev.AssistantMessage(text=text):
            return bool(safe(text))
        case (
            ev.UserMessage()
            | ev.ActionError()
            | ev.ToolFault()
            | ev.GrantAdded()
            | ev.HostUnlocked()
            | ev.GrantRevoked()
            | ev.TurnError()
        ):
            return True
    return False


class ReplayPainter:
    """What one ConversationView shows of one timeline: a window of items up to the cursor."""

    def __init__(
        self,
        view: ConversationView,
        timeline: Timeline,
        local: Callable[[datetime], datetime],
        *,
        window: int = WINDOW,
    ) -> None:
        """``local`` turns a stored UTC time into the time shown (the screen's time zone)."""
        self.view = view
        self.timeline = timeline
        self.local = local
        self.window = window
        self.shown = 0
        self.marked = False
        """True once ``mark_unfinished`` ran: the cursor is at the end of the log."""
        self.items: list[int] = []
        """Indexes of the steps that add a widget, in order."""
        self._card_steps: dict[str, list[int]] = defaultdict(list)
        """Action id -> indexes of the steps that change its card."""
        self._held: dict[int, list[Widget]] = {}
        """Item (step index) -> its widgets, for the items in the window (one, or a cut-off
        reply's text and the notice of the turn's end, which one ``turn.error`` draws)."""
        self._upto: dict[str, int] = {}
        """Action id -> how many of its card steps its held card shows."""
        proposed: set[str] = set()
        for index, step in enumerate(timeline.steps):
            event = step.event
            first = False
            if isinstance(event, ev.ActionProposed):
                first = event.action_id not in proposed
                proposed.add(event.action_id)
            elif step.action_id and isinstance(event, _CARD_EVENTS):
                self._card_steps[step.action_id].append(index)
            if draws(step, first):
                self.items.append(index)
        view.lives = timeline.lives  # rules, unlocks and edits known whatever the window holds

    @property
    def held(self) -> list[Widget]:
        """The widgets the view holds now, in order (tests and the bench read it)."""
        return [widget for i in sorted(self._held) for widget in self._held[i]]

    def more_before(self) -> bool:
        """Whether items the cursor has reached lie above the window."""
        return bisect_left(self.items, self.shown) > len(self._held)  # items, not widgets

    def grow(self, more: int) -> None:
        """Hold ``more`` earlier items next time (the person scrolled to the top of the window)."""
        self.window += max(0, more)

    async def paint(self, target: int) -> None:
        """Show the steps before ``target`` (clamped), whichever way the cursor moved."""
        steps = self.timeline.steps
        target = max(0, min(len(steps), target))
        reached = bisect_left(self.items, target)
        wanted = self.items[max(0, reached - self.window) : reached]
        with self.view.app.batch_update():
            gone = [i for i in self._held if i not in set(wanted)]
            if gone:
                await self._drop(gone)
            unmark = self.marked and target != len(steps)
            for index in sorted(self._held):
                widget = self._held[index][-1]
                if isinstance(widget, ActionCard):
                    await self._sync(
                        widget, target, rebuild=unmark and widget.status in _UNFINISHED
                    )
            self.marked = self.marked and not unmark
            first_held = min(self._held) if self._held else None
            anchor = self._held[first_held][0] if first_held is not None else None
            for index in wanted:
                if index in self._held:
                    continue
                built = self._build(index, target)
                if anchor is not None and index < (first_held or 0):
                    for widget in built:  # earlier items go above, in their own order
                        self.view.move_child(widget, before=anchor)
        self.shown = target
        if target == len(steps) and steps:
            self.view.mark_unfinished()  # the log ends here: running means outcome unknown
            self.marked = True  # (again for cards that came into the window)

    # -- items in and out -----------------------------------------------------------------------

    def _build(self, index: int, target: int) -> list[Widget]:
        """The widgets of item ``index`` as they stand before step ``target``."""
        before = len(self.view.children)
        self.apply(self.timeline.steps[index])
        built = list(self.view.children[before:])
        if not built:
            return built
        self._held[index] = built
        widget = built[-1]
        if isinstance(widget, ActionCard):
            self._upto[widget.action_id] = 0
            self._forward(widget, target)
        return built

    async def _drop(self, indexes: list[int]) -> None:
        widgets = [widget for i in indexes for widget in self._held.pop(i)]
        for widget in widgets:
            if isinstance(widget, ActionCard):
                self._upto.pop(widget.action_id, None)
        await self.view.forget(widgets)

    async def _sync(self, card: ActionCard, target: int, *, rebuild: bool = False) -> None:
        """Bring a held card to ``target``: its later events, or back to its earlier ones."""
        want = bisect_left(self._card_steps[card.action_id], target)
        if rebuild or want < self._upto.get(card.action_id, 0):
            await _reset([card])
            self._upto[card.action_id] = 0
        self._forward(card, target)

    def _forward(self, card: ActionCard, target: int) -> None:
        mine = self._card_steps[card.action_id]
        done = self._upto.get(card.action_id, 0)
        want = bisect_left(mine, target)
        for index in mine[done:want]:
            self.apply(self.timeline.steps[index])
        self._upto[card.action_id] = max(done, want)

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
