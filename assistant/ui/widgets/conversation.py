"""ConversationView: paints a session's events (live or stored) as messages, replies and cards.

The chat screen feeds it events as they happen; the replay screen feeds it stored events. A stored
session has ``assistant.message`` but no deltas, so a reply is drawn either from its deltas
(streamed, batched) or whole from the message: the two end the same. Model text is Markdown with
control characters escaped; links show their address and are never opened by a click.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from assistant.ui.widgets.action_card import ActionCard
from assistant.ui.widgets.preview import safe
from assistant.ui.widgets.reply import Reply

if TYPE_CHECKING:  # events are told apart by ``kind``: importing them is not needed to draw
    from assistant.agent import events as ev


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
        self._grants: dict[str, str] = {}
        self.tokens = 0
        self.cost_usd: float | None = 0.0
        """Spend so far; None once any call had no known price."""

    def on_mount(self) -> None:
        self.anchor()

    # -- the one way in ---------------------------------------------------------------------------

    def apply(self, event: ev.Event, at: datetime | None = None) -> None:
        """Paint one event. Action events update their card, so applying one twice is harmless."""
        when = at or self.clock()
        kind = event.kind
        if kind == "assistant.delta":
            if self._reply is None:
                self._reply = Reply()
                self.mount(self._reply)
            self._reply.feed(safe(cast("ev.AssistantDelta", event).text))
            return
        if kind == "assistant.message":
            self._end_reply(safe(cast("ev.AssistantMessage", event).text))
        elif kind == "user.message":
            self._end_reply(None)
            line = Text("you  ", style="bold")
            line.append(safe(cast("ev.UserMessage", event).text))
            self._add(Notice(line, classes="-user"))
        elif kind == "action.proposed":
            proposed = cast("ev.ActionProposed", event)
            self._end_reply(None)
            if proposed.action_id not in self._cards:
                card = ActionCard(proposed, at=when, live=self.live)
                self._cards[proposed.action_id] = card
                self._add(card)
        elif kind in ("action.decided", "action.approved", "action.result"):
            self._update_card(event, when)
        elif kind == "action.error":
            error = cast("ev.ActionError", event)
            self._end_reply(None)
            self.notice(f"✗ {error.tool}: {error.message}", error=True)
        elif kind == "grant.added":
            grant = cast("ev.GrantAdded", event)
            self._grants[grant.grant_id] = grant.label
            self.notice(
                f"allowed for this session: {grant.label} (rule {grant.grant_id}; /grants to revoke)"
            )
        elif kind == "host.unlocked":
            unlock = cast("ev.HostUnlocked", event)
            self._grants[unlock.unlock_id] = unlock.label
            self.notice(f"unlocked: {unlock.label} ({unlock.unlock_id}; /grants to revoke)")
        elif kind == "grant.revoked":
            grant_id = cast("ev.GrantRevoked", event).grant_id
            label = self._grants.pop(grant_id, grant_id)
            self.notice(f"rule {grant_id} revoked: {label}")
        elif kind == "turn.usage":
            usage = cast("ev.TurnUsage", event)
            self.tokens += usage.prompt_tokens + usage.completion_tokens
            if usage.cost_usd is None or self.cost_usd is None:
                self.cost_usd = None
            else:
                self.cost_usd += usage.cost_usd
        elif kind == "turn.error":
            failure = cast("ev.TurnError", event)
            self._end_reply(None)
            cancelled = failure.error == "cancelled"
            self.notice(("■ " if cancelled else "✗ ") + failure.message, error=not cancelled)
        elif kind == "turn.end":
            self._end_reply(None)

    def stream(self, take: Callable[[], str]) -> None:
        """Deltas waiting in a batch: the reply calls ``take`` (raw text) when it next repaints,
        so deltas that arrive meanwhile join the batch instead of costing a repaint each."""
        if self._reply is None:
            self._reply = Reply()
            self.mount(self._reply)
        self._reply.follow(lambda: safe(take()))

    def _update_card(self, event: ev.Event, when: datetime) -> None:
        card = self._cards.get(getattr(event, "action_id", ""))
        if card is None:
            return
        if event.kind == "action.decided":
            card.decided(cast("ev.ActionDecided", event), when)
        elif event.kind == "action.approved":
            if card.status not in ("running", "done", "failed"):
                card.approved(cast("ev.ActionApproved", event), when)
        elif card.result is None:
            card.finished(cast("ev.ActionResult", event))

    def clear(self) -> None:
        """Forget everything painted (the replay screen redraws from the start)."""
        self._cards.clear()
        self._reply = None
        self._grants.clear()
        self.tokens = 0
        self.cost_usd = 0.0
        self.remove_children()

    def action_card(self, action_id: str) -> ActionCard | None:
        return self._cards.get(action_id)

    @property
    def cards(self) -> list[ActionCard]:
        """Every card, in the order proposed."""
        return list(self._cards.values())

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
