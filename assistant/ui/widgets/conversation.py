"""ConversationView: paints a session's events (live or stored) as messages, replies and cards.

The chat screen feeds it events as they happen; the replay screen feeds it stored events. A stored
session has ``assistant.message`` but no deltas, so a reply is drawn either from its deltas
(streamed, batched) or whole from the message: the two end the same. Model text is Markdown with
control characters escaped; links show their address and are never opened by a click.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.await_remove import AwaitRemove
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from assistant import present
from assistant.agent import events as ev
from assistant.agent.action_life import ActionFold
from assistant.ui.widgets.action_card import ActionCard
from assistant.ui.widgets.preview import safe
from assistant.ui.widgets.reply import Reply


class Notice(Static):
    """A line from the app itself: a turn error, a granted rule, a slash command's output."""

    DEFAULT_CSS = """
    Notice { margin: 0 0 1 0; padding: 0 1; color: $text-muted; }
    Notice.-error { color: $error; }
    Notice.-user { color: $text; background: $boost; padding: 0 1; }
    """


class ConversationView(VerticalScroll):
    """Every event of a session, in order. ``apply`` is the one way in, for live and replay."""

    DEFAULT_CSS = """
    ConversationView {
        height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; scrollbar-gutter: stable;
    }
    """

    def __init__(
        self,
        *,
        live: bool = False,
        clock: Callable[[], datetime] = datetime.now,
        **kwargs: Any,
    ) -> None:
        """``live`` lets running cards tick their elapsed time; ``clock`` stamps decisions
        (a stored session's replay passes each event's time to ``apply`` instead)."""
        super().__init__(**kwargs)
        self.live = live
        self.clock = clock
        self._cards: dict[str, ActionCard] = {}
        self._reply: Reply | None = None
        self.lives = ActionFold()
        """Every action's life so far (rules and unlocks by id, edits and what they became)."""
        self.tokens = 0
        self.cost_usd: float | None = 0.0
        """Spend so far; None once any call had no known price."""

    def on_mount(self) -> None:
        self.anchor()

    # -- the one way in ---------------------------------------------------------------------------

    def apply(self, event: ev.Event, at: datetime | None = None) -> None:
        """Paint one event. Action events update their card, so applying one twice is harmless."""
        when = at or self.clock()
        if isinstance(event, ev.AssistantDelta):
            if self._reply is None:
                self._reply = Reply()
                self.mount(self._reply)
            self._reply.feed(safe(event.text))
            return
        life = self.lives.add(event)
        match event:
            case ev.AssistantMessage(text=text):
                self._end_reply(safe(text))
            case ev.UserMessage(text=text):
                self._end_reply(None)
                line = Text("you  ", style="bold")
                line.append(safe(text))
                self._add(Notice(line, classes="-user"))
            case ev.ActionProposed(action_id=action_id):
                self._end_reply(None)
                if action_id not in self._cards:
                    card = ActionCard(event, at=when, live=self.live)
                    self._cards[action_id] = card
                    self._add(card)
                before = life.edited_from if life is not None else None
                if before is not None and before.action_id in self._cards:
                    self._cards[before.action_id].replanned(action_id)
            case ev.ActionDecided() | ev.ActionApproved() | ev.ActionResult():
                self._update_card(event, when)
            case ev.ActionError(tool=tool, message=message):
                self._end_reply(None)
                self.notice(f"✗ {tool}: {message}", error=True)
            case ev.ToolFault(tool=tool, error=error, frames=frames):
                where = f" at {frames[-1]}" if frames else ""
                self.notice(f"internal error in {tool} ({error}{where}); the journal keeps it")
            case ev.GrantAdded(grant_id=rule_id, label=label, lasting=lasting):
                self.notice(
                    f"{present.granted(lasting)}: {label} (rule {rule_id}; /grants to revoke)"
                )
            case ev.HostUnlocked(unlock_id=rule_id, label=label):
                self.notice(f"unlocked: {label} ({rule_id}; /grants to revoke)")
            case ev.GrantRevoked(grant_id=rule_id):
                rule = self.lives.rules.get(rule_id)
                if isinstance(rule, ev.HostUnlocked):
                    self.notice(f"unlock {rule_id} revoked: {rule.label}")
                else:
                    self.notice(f"rule {rule_id} revoked: {rule.label if rule else rule_id}")
            case ev.TurnUsage(prompt_tokens=prompt, completion_tokens=completion):
                self.tokens += prompt + completion
                if event.cost_usd is None or self.cost_usd is None:
                    self.cost_usd = None
                else:
                    self.cost_usd += event.cost_usd
            case ev.TurnError(message=message, error=error, partial=partial):
                if partial and self._reply is None:  # a stored session: the reply as it was cut
                    self.mount(Reply(safe(partial)))
                self._end_reply(None)
                cancelled = error == "cancelled"
                self.notice(("■ " if cancelled else "✗ ") + message, error=not cancelled)
            case ev.TurnEnd():
                self._end_reply(None)

    def stream(self, take: Callable[[], str]) -> None:
        """Deltas waiting in a batch: the reply calls ``take`` (raw text) when it next repaints,
        so deltas that arrive meanwhile join the batch instead of costing a repaint each."""
        if self._reply is None:
            self._reply = Reply()
            self.mount(self._reply)
        self._reply.follow(lambda: safe(take()))

    def _update_card(
        self, event: ev.ActionDecided | ev.ActionApproved | ev.ActionResult, when: datetime
    ) -> None:
        card = self._cards.get(event.action_id)
        if card is None:
            return
        match event:
            case ev.ActionDecided():
                card.decided(event, when)
            case ev.ActionApproved():
                if card.status not in ("running", "done", "failed"):
                    card.approved(event, when)
            case ev.ActionResult() if card.result is None:
                card.finished(event)

    def clear(self) -> None:
        """Forget everything painted (the replay screen redraws from the start)."""
        self._cards.clear()
        self._reply = None
        self.lives = ActionFold()
        self.tokens = 0
        self.cost_usd = 0.0
        self.remove_children()

    def forget(self, widgets: list[Widget]) -> AwaitRemove:
        """Take widgets out of the view, their cards with them (the replay holds only what is
        on screen, and may draw a card again later)."""
        for widget in widgets:
            if isinstance(widget, ActionCard) and self._cards.get(widget.action_id) is widget:
                del self._cards[widget.action_id]
        return self.remove_children(widgets)

    def action_card(self, action_id: str) -> ActionCard | None:
        return self._cards.get(action_id)

    @property
    def cards(self) -> list[ActionCard]:
        """Every card, in the order shown (the order proposed)."""
        return [child for child in self.children if isinstance(child, ActionCard)]

    def notice(self, text: str | Text, *, error: bool = False) -> Notice:
        """Add a line of the app's own (slash command output, errors); plain text is escaped."""
        body = text if isinstance(text, Text) else Text(safe(text))
        widget = Notice(body, classes="-error" if error else "")
        self._add(widget)
        return widget

    def mark_unfinished(self) -> None:
        """The stored session ends here: running cards read "outcome unknown", pending ones
        "not decided" (a live session never calls this)."""
        for card in self._cards.values():
            card.unfinished()

    @property
    def reply(self) -> Reply | None:
        """The reply being streamed, if any."""
        return self._reply

    # -- helpers ----------------------------------------------------------------------------------

    def _add(self, widget: Static | ActionCard) -> None:
        self.mount(widget)

    def _end_reply(self, final: str | None) -> None:
        """Close the streamed reply; a final message with no deltas before it is drawn whole."""
        if self._reply is not None:
            self._reply.settle(final)
            self._reply = None
        elif final:
            self.mount(Reply(final))
