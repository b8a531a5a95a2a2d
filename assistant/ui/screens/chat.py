"""The chat screen: status line, conversation, confirm pane, prompt. Workers run the agent turn
and slash-command tools; the session's listener posts events here; handlers paint."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerCancelled, WorkerError, WorkerFailed, WorkerState

from assistant import present
from assistant.agent import events as ev
from assistant.errors import AssistantError
from assistant.session import Session
from assistant.ui.approver import STOPPED, TuiApprover
from assistant.ui.bridge import ApprovalRequested, DeltaBatch, EventBridge, SessionEvent
from assistant.ui.screens.chat_commands import SlashCommands
from assistant.ui.screens.chat_launch import SessionOpening
from assistant.ui.screens.chat_resume import SessionSwitch
from assistant.ui.widgets.activity import OPENING, Activity
from assistant.ui.widgets.confirm_pane import ConfirmPane
from assistant.ui.widgets.conversation import ConversationView
from assistant.ui.widgets.prompt import PromptInput
from assistant.ui.widgets.status import StatusLine

if TYPE_CHECKING:
    from tools.base import Action

MANUAL_MODE = (
    "No model is connected, so this prompt was not sent. Connect one with /model NAME "
    "(e.g. /model openai/gpt-4.1-mini, with its key from /keys set OPENAI_API_KEY), or restart "
    "with `assistant --model NAME [--api-base URL]`. Slash commands work now: /help lists them."
)


class ChatScreen(SessionOpening, SlashCommands, SessionSwitch, Screen[None]):
    """Where people spend their day. Esc stops the turn; Tab reviews a waiting action."""

    # The status line on top, the conversation, the confirm pane docked above the prompt. In
    # DEFAULT_CSS, not CSS_PATH: the chat is the app's default screen, whose CSS_PATH Textual
    # does not read.
    DEFAULT_CSS = """
    ChatScreen { layout: vertical; }
    ChatScreen > #conversation { height: 1fr; }
    ChatScreen > #confirm { margin: 0 1; }
    ChatScreen > #prompt { margin: 0 1; }
    """
    AUTO_FOCUS = "PromptInput"
    BINDINGS = [
        Binding("escape", "stop", "stop"),
        Binding("tab", "review", "review", show=False, priority=True),
        Binding("f2", "app.history", "history"),
        Binding("ctrl+p", "app.command_palette", "palette"),
    ]

    def __init__(self, session: Session, *, clock: Callable[[], datetime] = datetime.now) -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.bridge = EventBridge(self, clock)
        self.approver = TuiApprover(self.bridge.approval)
        self.turn_worker: Worker[Any] | None = None
        self.session_error = ""
        self.held: str | None = None
        """A prompt sent before the session was open: it goes the moment the session is."""
        self.held_calls: list[tuple[str, dict[str, Any]]] = []
        """Tool commands typed before the session was open: they run the moment it is."""
        self.opened = threading.Event()
        """Set once the launch's session open has finished (opened or failed)."""

    class McpNotice(Message):
        """An MCP server became ready or failed (posted from the server's thread)."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield ConversationView(live=True, clock=self.clock, id="conversation")
        yield ConfirmPane(id="confirm")
        yield Activity(id="activity")
        yield PromptInput(id="prompt")
        yield Footer()

    @property
    def view(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def pane(self) -> ConfirmPane:
        return self.query_one(ConfirmPane)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def activity(self) -> Activity:
        return self.query_one(Activity)

    def on_mount(self) -> None:
        self.status.update_status(workspace=str(self.session.workspace or ""))
        self.pane.lives = lambda: self.view.lives
        self.pane.look_ahead = self._look_ahead
        # an MCP server's ready or failed line comes from its own thread: posted, painted here
        self.session.on_mcp = self._post_mcp_notice
        # Off the event loop and after the first frame: opening the journal and importing the
        # tools (httpx, pydantic) takes a moment that the first frame and the first keystrokes
        # should not wait for (in a thread beside the first frame, it takes turns with it on
        # the GIL and delays it).
        self.call_after_refresh(self._start_opening)

    def _post_mcp_notice(self, line: str) -> None:
        self.post_message(self.McpNotice(line))

    def on_chat_screen_mcp_notice(self, message: McpNotice) -> None:
        self.view.notice(message.line, error="gone for this session" in message.line)

    # -- prompts and turns ------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    def submitted(self, message: PromptInput.Submitted) -> None:
        from assistant.ui.slash import is_command

        text = message.text
        self.view.scroll_end(animate=False)  # what was sent, and what follows, in view again
        if is_command(text):
            self.run_slash(text)
            return
        if text.startswith("//"):
            text = text[1:]
        if self.session.runtime is None and not self.session_error:
            if self.held is None:  # typed at launch: held (and said so), sent once it is open
                self.held = text
                self.activity.show("opening", OPENING)
            else:
                self.prompt.load_text(text)
                self.prompt.move_cursor(self.prompt.document.end)
                self.notify("Your first message is still waiting for the session to open.")
            return
        if self.session_missing():
            return
        self.submit_prompt(text)

    def submit_prompt(self, text: str) -> None:
        """Send a prompt (a turn), unless one runs or no model is connected."""
        if self.turn_running or self.held is not None:
            self.prompt.load_text(text)
            self.prompt.move_cursor(self.prompt.document.end)
            self.notify(
                "A turn is running: wait for it, or press Esc to stop it.", severity="warning"
            )
            return
        if not self.session.model_name:
            line = Text("you  ", style="bold")
            line.append(text)
            self.view.notice(line)
            self.view.notice(MANUAL_MODE)
            return
        self.start_turn(text)

    @property
    def turn_running(self) -> bool:
        return self.turn_worker is not None and self.turn_worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def start_turn(self, prompt: str) -> Worker[Any]:
        self.status.update_status(state="working…")
        self.activity.show("thinking", present.THINKING)
        self.turn_worker = self.run_worker(
            self._turn(prompt), name="turn", group="turn", exclusive=True, exit_on_error=False
        )
        return self.turn_worker

    async def _turn(self, prompt: str) -> None:
        # building the model may wait on the keyring: off the event loop
        await asyncio.to_thread(self.session.model)
        await self.session.turn(prompt)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures become something the person reads."""
        worker = event.worker
        if worker is self.turn_worker and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.status.update_status(state="")
            self.activity.hide()
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        if isinstance(error, AssistantError):
            self.view.notice(str(error), error=True)
        else:
            self.view.notice(
                f"internal error in {worker.name}: {type(error).__name__}: {error}", error=True
            )
            self.log.error(repr(error))

    # -- painting ---------------------------------------------------------------------------------

    def _look_ahead(self, name: str, arguments: str | Mapping[str, Any]) -> Action:
        """Plan a later call of the reply for the pane to show (nothing runs or is recorded)."""
        from tools.base import ToolError

        rt = self.session.runtime
        if rt is None:
            raise ToolError("the session is closed")
        return rt.gate.look_ahead(name, arguments)

    def on_session_event(self, message: SessionEvent) -> None:
        event = message.event
        self.activity.follow(event)
        if isinstance(event, ev.TurnWait):
            return  # shown by the activity line only; the conversation has nothing of it
        self.view.apply(event, message.at)
        match event:
            case ev.AssistantMessage(tool_calls=calls):
                self.pane.set_batch(calls)
            case ev.ActionDecided() | ev.ActionResult() | ev.ActionError():
                self.pane.changed()
            case ev.TurnUsage():
                self.status.update_status(tokens=self.view.tokens, cost=self.view.cost_usd)
            case ev.TurnEnd(reason="cancelled"):
                self.view.mark_unfinished()  # a tool cut off mid-run: its outcome is unknown

    def on_delta_batch(self, message: DeltaBatch) -> None:
        self.activity.follow(ev.AssistantDelta(""))  # text is arriving: nothing is waited for
        self.view.stream(message.take)

    async def on_approval_requested(self, message: ApprovalRequested) -> None:
        await self.pane.build()
        request = message.request
        if request.done:
            return
        card = self.view.action_card(request.action_id)
        if card is not None:
            card.waiting()
        was_idle = self.pane.current is None
        self.pane.enqueue(request)
        self.status.update_status(state="waiting for you")
        # Only an empty prompt gives the pane focus: keys typed for a prompt never decide.
        if was_idle and not self.prompt.text.strip() and self.app.screen is self:
            self.pane.focus()
        self.pane.refresh_pane()

    def on_confirm_pane_answered(self, message: ConfirmPane.Answered) -> None:
        if self.pane.current is None:
            self.prompt.focus()
            self.status.update_status(state="working…" if self.turn_running else "")

    def on_confirm_pane_edit_requested(self, message: ConfirmPane.EditRequested) -> None:
        from assistant.ui.screens.dialogs import EditArgsScreen

        request = message.request

        def done(result: dict[str, Any] | None) -> None:
            self.pane.submit_edit(request, result)

        self.app.push_screen(EditArgsScreen(request.action.tool, dict(request.action.args)), done)

    # -- keys -------------------------------------------------------------------------------------

    def action_review(self) -> None:
        if self.pane.current is not None and not self.pane.has_focus_within:
            self.pane.focus()
        else:
            self.focus_next()

    async def action_stop(self) -> None:
        """Esc: from a card (or anywhere in the conversation) back to the prompt; elsewhere it
        stops the turn, denying what waits."""
        focused = self.focused
        if focused is not None and self.view in focused.ancestors_with_self:
            self.prompt.focus()
            self.view.scroll_end(animate=False)
            return
        if self.turn_running or self.approver.pending or self.held is not None:
            await self.stop(STOPPED)
        elif focused is not self.prompt:
            self.prompt.focus()

    async def stop(self, reason: str = STOPPED) -> None:
        """Cancel the turn first: the gate journals the action it was asking about as denied
        ("interrupted before a decision") and the agent journals turn.error/turn.end
        "cancelled", and nothing after it (the next call, the next request to the model) can
        start. Then deny what else waits (a slash command's action) and wait until the gate has
        journaled each denial."""
        held, self.held = self.held, None
        if held is not None:  # a prompt still waiting for the session: back to the person
            self.activity.hide()
            self.prompt.load_text(held)
        worker = self.turn_worker
        running = worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
        if running:
            assert worker is not None
            worker.cancel()
        await self.approver.stop(reason)
        self.pane.refresh_pane()
        if running:
            assert worker is not None
            await _settle(worker)
        if self.pane.current is None and self.app.screen is self:
            self.prompt.focus()

    async def shutdown(self) -> None:
        """Quit: nothing pending is left undecided in the journal, and the journal is closed."""
        await self.stop(STOPPED)
        for worker in [w for w in self.workers if w.node is self]:
            if worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
                worker.cancel()
                await _settle(worker)
        self.session.close()


async def _settle(worker: Worker[Any], timeout: float = 5.0) -> None:
    """Wait (bounded) for a cancelled worker's task to finish its cleanup (the agent journals
    the cancellation as it unwinds)."""
    with contextlib.suppress(WorkerCancelled, WorkerFailed, WorkerError, TimeoutError):
        await asyncio.wait_for(worker.wait(), timeout)
