"""The confirm pane: the queue of actions waiting for a person, one shown at a time with its
typed preview, answered by keys that only work while the pane has focus (Enter never approves)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from assistant.ui.approver import PendingApproval
from assistant.ui.widgets.action_card import TAGS
from assistant.ui.widgets.preview import arguments_diff, render_preview, safe

if TYPE_CHECKING:
    from assistant.agent.approval import Decision


def decision(verdict: str, **kwargs: Any) -> Decision:
    """A person's decision (the approval module is imported on the first answer, not at start)."""
    from assistant.agent.approval import Decision

    return Decision(verdict, **kwargs)  # type: ignore[arg-type]


class ReasonInput(Input):
    """The optional reason for a denial; Enter denies, Esc goes back to the pane."""

    BINDINGS = [Binding("escape", "cancel", "back", show=False)]

    class Cancelled(Message):
        pass

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())


class ConfirmPane(Vertical, can_focus=True):
    """Shows the first waiting action; y approve, n deny (reason), e edit, a allow for session."""

    DEFAULT_CSS = """
    ConfirmPane {
        display: none; height: auto; max-height: 60%;
        border: round $warning; border-title-color: $warning; border-title-style: bold;
        padding: 0 1; background: $surface;
    }
    ConfirmPane.-active { display: block; }
    ConfirmPane:focus-within { border: round $accent; border-title-color: $accent; }
    ConfirmPane > .pane-summary { height: auto; }
    ConfirmPane > VerticalScroll { height: auto; max-height: 24; margin: 1 0 0 0; }
    ConfirmPane > .pane-edit { height: auto; color: $text-muted; }
    ConfirmPane > ReasonInput { display: none; margin: 1 0 0 0; }
    ConfirmPane.-reason > ReasonInput { display: block; }
    ConfirmPane > .pane-keys { height: auto; margin: 1 0 0 0; }
    """

    BINDINGS = [
        Binding("y", "approve", "approve"),
        Binding("n", "deny", "deny…"),
        Binding("e", "edit", "edit…"),
        Binding("a", "allow_session", "allow for session"),
        Binding("up", "scroll_preview(-1)", show=False),
        Binding("down", "scroll_preview(1)", show=False),
        Binding("pageup", "scroll_preview(-10)", show=False),
        Binding("pagedown", "scroll_preview(10)", show=False),
    ]

    class Answered(Message):
        """A request was answered from the pane (the screen moves focus on)."""

        def __init__(self, request: PendingApproval, decision: Decision) -> None:
            super().__init__()
            self.request = request
            self.decision = decision

    class EditRequested(Message):
        """The person pressed e: the screen opens the arguments editor for ``request``."""

        def __init__(self, request: PendingApproval) -> None:
            super().__init__()
            self.request = request

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queue: list[PendingApproval] = []

    async def build(self) -> None:
        """Make the pane's parts; called when the first action arrives, not before the first
        frame (the app appears sooner)."""
        if self.children:
            return
        await self.mount_all(
            [
                Static("", classes="pane-summary"),
                Static("", classes="pane-edit"),
                VerticalScroll(Static("", classes="pane-preview"), can_focus=False),
                ReasonInput(
                    placeholder="reason for the model (optional); Enter denies, Esc goes back"
                ),
                Static("", classes="pane-keys"),
            ]
        )

    # -- the queue --------------------------------------------------------------------------------

    @property
    def current(self) -> PendingApproval | None:
        self.prune()
        return self.queue[0] if self.queue else None

    def enqueue(self, request: PendingApproval) -> None:
        """Add a request (after :meth:`build`)."""
        self.queue.append(request)
        self.refresh_pane()

    def prune(self) -> None:
        """Drop requests answered elsewhere (Esc denies all, a quit)."""
        self.queue = [r for r in self.queue if not r.done]

    def refresh_pane(self) -> None:
        """Redraw for the first waiting request, or hide when none is left."""
        request = self.current
        self.set_class(request is not None, "-active")
        if request is None or not self.children:
            self.set_class(False, "-reason")
            return
        self._draw(request)

    def _draw(self, request: PendingApproval) -> None:
        action = request.action
        tag, _ = TAGS.get(action.effect.value, (action.effect.value.upper(), ""))
        title = f"Action 1 of {len(self.queue)} · {tag} · {safe(action.tool, 30)}"
        if not self.has_focus_within:
            title += " · Tab to review"
        self.border_title = title
        summary = Text(safe(action.summary), style="bold")
        if action.needs_person:
            summary.append("\n! " + safe(action.needs_person), style="bold red")
        self.query_one(".pane-summary", Static).update(summary)
        edit = self.query_one(".pane-edit", Static)
        if request.edited_from is not None:
            edit.update(
                Group(
                    Text("Your edit, re-planned:"),
                    arguments_diff(request.edited_from, dict(action.args)),
                )
            )
            edit.display = True
        else:
            edit.update("")
            edit.display = False
        self.query_one(".pane-preview", Static).update(self._preview(request))
        self.query_one(".pane-keys", Static).update(self._keys(request))

    def _preview(self, request: PendingApproval) -> RenderableType:
        return render_preview(request.action.preview)

    def _keys(self, request: PendingApproval) -> Text:
        keys = Text()
        for key, label in (("y", "approve"), ("n", "deny…"), ("e", "edit…")):
            keys.append(f"[{key}]", style="bold")
            keys.append(f" {label}   ")
        scope = request.action.scope
        if scope is not None and not request.action.needs_person:
            keys.append("[a]", style="bold")
            keys.append(" allow for this session: ")
            keys.append(safe(scope.label), style="bold")
            keys.append(" (approves this and later matching calls until revoked with /grants)")
        elif request.action.needs_person:
            keys.append("(only a person approving this exact request can allow it)", style="dim")
        return keys

    def on_focus(self) -> None:
        self.refresh_pane()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self.refresh_pane)

    def on_blur(self) -> None:
        self.call_after_refresh(self.refresh_pane)

    # -- answers ----------------------------------------------------------------------------------

    def _answer(self, decision: Decision) -> None:
        request = self.current
        if request is None:
            return
        self.set_class(False, "-reason")
        if request.answer(decision):
            self.post_message(self.Answered(request, decision))
        self.refresh_pane()
        if self.current is not None:
            self.focus()

    def action_approve(self) -> None:
        self._answer(decision("approve"))

    def action_allow_session(self) -> None:
        request = self.current
        if request is None:
            return
        if request.action.scope is None or request.action.needs_person:
            self.notify(
                "This action offers no session rule; approve it once with y.", severity="warning"
            )
            return
        self._answer(decision("approve", remember=True))

    def action_deny(self) -> None:
        if self.current is None:
            return
        self.add_class("-reason")
        reason = self.query_one(ReasonInput)
        reason.value = ""
        reason.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(decision("deny", reason=event.value.strip()))

    def on_reason_input_cancelled(self, event: ReasonInput.Cancelled) -> None:
        event.stop()
        self.set_class(False, "-reason")
        self.focus()

    def action_edit(self) -> None:
        request = self.current
        if request is not None:
            self.post_message(self.EditRequested(request))

    def submit_edit(self, request: PendingApproval, edited: dict[str, Any] | None) -> None:
        """The editor closed: an object re-plans the action (shown again before it can run)."""
        if edited is None or request.done:
            self.focus()
            return
        answer = decision("edit", edited_args=edited)
        if request.answer(answer):
            self.post_message(self.Answered(request, answer))
        self.refresh_pane()

    def action_scroll_preview(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)
