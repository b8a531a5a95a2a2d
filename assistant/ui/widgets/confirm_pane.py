"""The confirm pane: the queue of actions waiting for a person, one shown at a time with its
typed preview, answered by keys that only work while the pane has focus (Enter never approves)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from assistant import present
from assistant.ui.approver import PendingApproval
from assistant.ui.widgets.line_view import LineView
from assistant.ui.widgets.pane_batch import BatchView
from assistant.ui.widgets.preview import arguments_diff, safe
from assistant.ui.widgets.preview_lines import PreviewLines, preview_lines

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


class ConfirmPane(BatchView, Vertical, can_focus=True):
    """Shows the first waiting action; y approve, n deny (reason), e edit, a allow for session,
    f the full preview on its own screen; arrows, PgUp/PgDn, Home/End scroll the preview.

    When the model's reply holds several calls the title says which one this is ("2 of 3"), and
    ←/→ show the others of the reply: those before it as they were decided and ran, those after
    it planned ahead as things stand now (they are planned again, and asked, in their turn).
    Only the waiting action can be decided: y/n/e/a answer it, never the one looked at."""

    # The summary docks at the top and the keys at the bottom, so they stay in view whatever the
    # preview's length; the preview takes what height is left and scrolls inside it.
    DEFAULT_CSS = """
    ConfirmPane {
        display: none; height: auto; max-height: 70%;
        border: round $warning; border-title-color: $warning; border-title-style: bold;
        padding: 0 1; background: $surface;
    }
    ConfirmPane.-active { display: block; }
    ConfirmPane:focus-within { border: round $accent; border-title-color: $accent; }
    ConfirmPane > .pane-top { dock: top; height: auto; }
    ConfirmPane > .pane-top > Static { height: auto; }
    ConfirmPane > .pane-top > .pane-cuts { color: $warning; }
    ConfirmPane > LineView { height: auto; max-height: 100%; background: $surface; }
    ConfirmPane > .pane-bottom { dock: bottom; height: auto; }
    ConfirmPane > .pane-bottom > ReasonInput { display: none; }
    ConfirmPane.-reason > .pane-bottom > ReasonInput { display: block; }
    ConfirmPane > .pane-bottom > .pane-keys { height: auto; }
    """

    BINDINGS = [
        Binding("y", "approve", "approve", show=False),
        Binding("n", "deny", "deny…", show=False),
        Binding("e", "edit", "edit…", show=False),
        Binding("a", "allow_session", "allow for session", show=False),
        Binding("r", "save_rule", "save rule", show=False),
        Binding("f", "full_preview", "full screen", show=False),
        Binding("left", "look(-1)", "previous call", show=False),
        Binding("right", "look(1)", "next call", show=False),
        Binding("up", "scroll_preview(-1)", show=False),
        Binding("down", "scroll_preview(1)", show=False),
        Binding("pageup", "page_preview(-1)", show=False),
        Binding("pagedown", "page_preview(1)", show=False),
        Binding("home", "preview_edge(0)", show=False),
        Binding("end", "preview_edge(1)", show=False),
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
        self._shown: PendingApproval | None = None
        """The request whose lines the preview view holds (its scroll position is kept)."""
        self._lines: tuple[PendingApproval, PreviewLines] | None = None
        self.init_batch()

    async def build(self) -> None:
        """Make the pane's parts; called when the first action arrives, not before the first
        frame (the app appears sooner)."""
        if self.children:
            return
        await self.mount_all(
            [
                Vertical(
                    Static("", classes="pane-summary"),
                    Static("", classes="pane-cuts"),
                    classes="pane-top",
                ),
                LineView(classes="pane-preview"),
                Vertical(
                    ReasonInput(
                        placeholder="reason for the model (optional); Enter denies, Esc goes back"
                    ),
                    Static("", classes="pane-keys"),
                    classes="pane-bottom",
                ),
            ]
        )

    @property
    def preview_view(self) -> LineView:
        """The scrollable preview (tests read what is on screen through it)."""
        return self.query_one(LineView)

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
            self._shown = None
            self.looking = None
            return
        if self.looking is not None and self.looking_for is not request:
            self.looking = None  # looking around belongs to the request it started from
        self._draw(request)

    def shown_lines(self, request: PendingApproval) -> PreviewLines:
        """Every line of ``request``'s preview (built once per request)."""
        if self._lines is not None and self._lines[0] is request:
            return self._lines[1]
        action = request.action
        lines = preview_lines(action.tool, dict(action.args), action.preview)
        if request.edited_from is not None:
            edit = [Text("Your edit, re-planned:", style="bold")]
            edit += arguments_diff(request.edited_from, dict(action.args)).split("\n")
            lines.lines[:0] = [*edit, Text("")]
        self._lines = (request, lines)
        return lines

    def _draw(self, request: PendingApproval) -> None:
        if self.looking is not None and self.looking < len(self.reply_calls):
            self._draw_other(request, self.looking)
            return
        self.looking = None
        action = request.action
        tag = present.effect_tag(action.effect.value)
        n, of = self.position(request)
        title = Text(f"Action {n} of {of} · {tag} · {safe(action.tool, 30)}")
        if of > 1 and self.batch_index(request) is not None:
            title.append(" · ←→ the others")
        if not self.has_focus_within:
            title.append(" · Tab to review")
        self.border_title = title
        lines = self.shown_lines(request)
        if self._shown is not request:
            self._shown = request
            self.preview_view.set_lines(lines.lines)
        self.query_one(".pane-summary", Static).update(self._summary(request))
        cuts = self.query_one(".pane-cuts", Static)
        cuts.update(self._cuts(lines))
        cuts.display = bool(lines.cuts)
        self.query_one(".pane-keys", Static).update(self._keys(request))
        self.refresh_bindings()

    def _summary(self, request: PendingApproval) -> Text:
        action = request.action
        summary = Text(safe(action.summary), style="bold")
        if action.needs_person:
            summary.append("\n! " + safe(action.needs_person), style="bold red")
        return summary

    @staticmethod
    def _cuts(lines: PreviewLines) -> Text:
        if not lines.cuts:
            return Text("")
        out = Text("Summarised: ", style="bold")
        out.append("; ".join(lines.cuts) + ". ")
        out.append("[f]", style="bold")
        out.append(" full screen")
        return out

    def _keys(self, request: PendingApproval) -> Text:
        action = request.action
        keys = Text()
        for key, label in (("y", "approve"), ("n", "deny…"), ("e", "edit…"), ("f", "full screen")):
            keys.append(f"[{key}]", style="bold")
            keys.append(f" {label}  ")
        keys.append("↑↓ PgUp PgDn Home End", style="dim")
        if len(self.reply_calls) > 1 and self.batch_index(request) is not None:
            keys.append("  [←] [→]", style="bold")
            keys.append(" the other calls")
        unlocks = request.unlocks
        if unlocks:
            # No session rule for a private address: approving this one request is the unlock.
            keys.append("\n[y] ", style="bold red")
            keys.append(safe(unlocks), style="red")
        elif action.scope is not None:
            keys.append("\n[a]", style="bold")
            keys.append(" allow for this session: ")
            keys.append(safe(action.scope.label), style="bold")
            keys.append(" (until revoked with /grants)")
            keys.append("\n[r]", style="bold")
            keys.append(" always allow this in this workspace: a saved rule, kept until revoked")
        return keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide "allow for session" (footer included) when the action offers no session rule."""
        if action in ("allow_session", "save_rule"):
            request = self.current
            return request is not None and offers_session(request)
        return True

    def on_focus(self) -> None:
        self.refresh_pane()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self.refresh_pane)

    def on_blur(self) -> None:
        self.call_after_refresh(self.refresh_pane)

    # -- answers ----------------------------------------------------------------------------------

    def _answer(self, decision: Decision) -> None:
        request = self.current
        if request is None or self._looking_elsewhere():
            return
        self.looking = None
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
        if request is None or self._looking_elsewhere():
            return
        if not offers_session(request):
            self.notify(
                "This action offers no session rule; approve it once with y.", severity="warning"
            )
            return
        self._answer(decision("approve", remember=True))

    def action_save_rule(self) -> None:
        """Approve and save the action's kind as a rule for this workspace (it lasts)."""
        request = self.current
        if request is None:
            return
        if not offers_session(request):
            self.notify("This action offers no rule; approve it once with y.", severity="warning")
            return
        self._answer(decision("approve", save=True))

    def action_deny(self) -> None:
        if self.current is None or self._looking_elsewhere():
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
        if request is not None and not self._looking_elsewhere():
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

    def action_full_preview(self) -> None:
        """Open every line of the preview on a screen of its own; Esc comes back here."""
        from assistant.ui.screens.preview_screen import FullPreviewScreen

        request = self.current
        if request is None or self._looking_elsewhere():
            return
        screen = FullPreviewScreen(
            request.action, self.shown_lines(request), position=self.position(request)
        )

        def back(_: None) -> None:
            self.focus()

        self.app.push_screen(screen, back)

    def action_scroll_preview(self, lines: int) -> None:
        self.preview_view.scroll_relative(y=lines, animate=False, immediate=True)

    def action_page_preview(self, direction: int) -> None:
        view = self.preview_view
        page = max(1, view.scrollable_content_region.height - 1)
        view.scroll_relative(y=direction * page, animate=False, immediate=True)

    def action_preview_edge(self, end: int) -> None:
        view = self.preview_view
        if end:
            view.scroll_end(animate=False, immediate=True)
        else:
            view.scroll_home(animate=False, immediate=True)


def offers_session(request: PendingApproval) -> bool:
    """An "allow for this session" exists for this action: it has a scope and needs no person."""
    return request.action.scope is not None and not request.action.needs_person
