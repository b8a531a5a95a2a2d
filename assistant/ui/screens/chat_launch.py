"""The chat screen's launch: the session opened off the event loop after the first frame, and
nothing typed meanwhile lost (keys that reached the screen before the prompt had focus, a
prompt or a tool command sent before the session was open)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import events

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from textual.screen import Screen

    from assistant.session import Session
    from assistant.ui.approver import TuiApprover
    from assistant.ui.bridge import EventBridge
    from assistant.ui.widgets.activity import Activity
    from assistant.ui.widgets.conversation import ConversationView
    from assistant.ui.widgets.prompt import PromptInput
    from assistant.ui.widgets.status import StatusLine

    _Base = Screen[None]
else:
    _Base = object


class SessionOpening(_Base):
    """Mixed into ChatScreen, which provides the session, its widgets and how to send."""

    session: Session
    session_error: str
    approver: TuiApprover
    bridge: EventBridge
    held: str | None
    held_calls: list[tuple[str, dict[str, Any]]]
    opened: threading.Event

    if TYPE_CHECKING:

        @property
        def view(self) -> ConversationView: ...
        @property
        def prompt(self) -> PromptInput: ...
        @property
        def status(self) -> StatusLine: ...
        @property
        def activity(self) -> Activity: ...
        def run_tool(self, tool: str, args: dict[str, Any], *, follow: bool = True) -> Any: ...
        def submit_prompt(self, text: str) -> None: ...

    def _start_opening(self) -> None:
        self.run_worker(self._open_session, thread=True, name="open session", exit_on_error=False)

    def on_key(self, event: events.Key) -> None:
        """Keys typed at launch reach the screen itself, not the prompt (Textual sends them to
        the screen while nothing has focus yet, and they are handled once the prompt has):
        they are the prompt's, not lost. Enter typed before the app had the terminal arrives
        as ctrl+j (the terminal turns CR into NL until then): it sends, as in the prompt
        itself. A key the focused prompt handles never gets here."""
        prompt = self.prompt
        if self.focused not in (None, prompt) or prompt.read_only or prompt.disabled:
            return
        if event.key in ("enter", "ctrl+j"):
            event.stop()
            prompt.focus()
            if event.key == "enter" or prompt.typed_unseen(event):
                prompt.submit()
            else:
                prompt.insert("\n")
        elif event.is_printable and event.character:
            event.stop()
            prompt.focus()
            prompt.insert(event.character)

    def _open_session(self) -> None:
        try:
            self.session.open(self.approver, [self.approver.observe, self.bridge])
        except AssistantError as exc:
            self.app.call_from_thread(self.session_failed, str(exc))
            return
        finally:
            self.opened.set()
        self.app.call_from_thread(self.session_ready)

    def start_session(self, resume: str | None = None) -> None:
        """Open the session now, on the loop: ``resume`` continues a stored one, if the session
        service's resume rule lets it."""
        try:
            self.session.open(self.approver, [self.approver.observe, self.bridge], resume=resume)
        except AssistantError as exc:
            self.session_failed(str(exc))
            return
        self.session_ready()

    def session_failed(self, message: str) -> None:
        self.session_error = message
        self.view.notice(f"The session could not start: {message}", error=True)
        calls, self.held_calls = self.held_calls, []
        for tool, _ in calls:
            self.view.notice(f"not run: the {tool} command you typed (no session)", error=True)
        held, self.held = self.held, None
        if held is not None:  # not sent: the person gets the text back, nothing is lost
            self.activity.hide()
            self.prompt.load_text(held)
            self.prompt.move_cursor(self.prompt.document.end)

    def session_ready(self) -> None:
        rt = self.session.runtime
        if rt is None:
            return
        self.status.update_status(
            model=self.session.model_name or "no model (manual mode)",
            workspace=str(rt.gate.ctx.workspace.root),
            session=rt.session_id,
        )
        for note in rt.notes:
            self.view.notice(note)
        calls, self.held_calls = self.held_calls, []
        for tool, args in calls:
            self.run_tool(tool, args)
        held, self.held = self.held, None
        if held is not None:
            self.activity.hide()
            self.submit_prompt(held)

    def session_missing(self) -> bool:
        """True (and the person told why) when no session is open to work in."""
        if self.session.runtime is not None:
            return False
        if self.session_error:
            self.view.notice(f"No session: {self.session_error}", error=True)
        else:
            self.notify("The session is still opening; try again in a moment.")
        return True
