"""The Textual app: opens the chat (or first-run setup), preloads litellm after the first frame
and the session open, and quits without leaving anything undecided in the journal."""

from __future__ import annotations

import dataclasses
import gc
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding

if TYPE_CHECKING:
    from textual.command import Provider

    from assistant.ui.screens.session_actions import ResumeSession, UndoRequest
    from tools.base import Tool

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.session import Session
from assistant.ui.screens.chat import ChatScreen


class AssistantApp(App[None]):
    """``assistant`` with no sub-command. Ctrl+Q (or Ctrl+C when no turn runs) quits; the
    session stays in the journal, resumable and replayable."""

    TITLE = "live-assistant"
    COMMANDS = App.COMMANDS | {lambda: _slash_provider()}
    BINDINGS = [
        Binding("ctrl+q", "quit", "quit", priority=True),
        Binding("ctrl+c", "interrupt", "stop / quit", show=False, priority=True),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        api_base: str | None = None,
        workspace: str | Path | None = None,
        preload: bool = True,
        setup: bool = True,
        clock: Callable[[], datetime] = datetime.now,
        probe: Callable[[], Any] | None = None,
        tools: Mapping[str, Tool] | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        """``preload`` imports litellm in a thread after the first frame and the session open;
        ``setup`` shows the first-run screen when no model is configured; ``probe`` replaces the
        local-server scan (tests); ``clock`` stamps decisions (snapshots freeze it); ``tools``
        replaces the built-in tools (tests); ``new_id`` makes session ids (snapshots fix them)."""
        super().__init__()
        if settings is None:
            from assistant import config

            settings = config.load()
        self.settings = dataclasses.replace(
            settings, model=model or settings.model, api_base=api_base or settings.api_base
        )
        from assistant.mcp.servers import McpStart

        # the MCP servers start with the session, in the background: the app never waits on one
        mcp = McpStart(background=True)
        self.session = Session(
            self.settings, workspace, tools, meta={"app": "tui"}, mcp=mcp, new_id=new_id
        )
        self.preload = preload
        self.setup = setup
        self.clock = clock
        self.probe = probe
        self.exit_note = ""
        self._chat = ChatScreen(self.session, clock=clock)

    @property
    def chat(self) -> ChatScreen:
        return self._chat

    def get_default_screen(self) -> ChatScreen:
        """The chat is the bottom screen itself: a default screen below it would be composed,
        styled and drawn too before the first frame."""
        return self._chat

    def on_mount(self) -> None:
        # litellm leaves this warning behind when a stream is cancelled (Esc); printed while the
        # app runs it would land on the screen, which Textual draws on stderr.
        warnings.filterwarnings(
            "ignore",
            message=r"coroutine '.*async_streaming' was never awaited",
            category=RuntimeWarning,
        )
        if self.setup and not self.settings.model:
            from assistant.ui.screens.setup import SetupScreen

            self.push_screen(SetupScreen(self.settings, probe=self.probe), self._setup_done)
        if self.preload:
            self.call_after_refresh(self._preload)

    def _preload(self) -> None:
        self.run_worker(self._load_after_open, thread=True, name="preload", exit_on_error=False)

    def _load_after_open(self) -> None:
        """Import litellm once the session is open, not beside it: two CPU-bound starts in
        threads take turns on the GIL every 5 ms and wait on each other's import locks (the
        session's tools and litellm share httpx and pydantic), which delays both; one after
        the other, the session is ready sooner and a prompt typed at launch goes sooner."""
        self.chat.opened.wait()
        _load_litellm()

    def _setup_done(self, result: dict[str, Any] | None) -> None:
        chat = self.chat
        if not result or not result.get("model"):
            chat.view.notice(
                "Manual mode: slash commands and /history work; /model NAME connects a model later."
            )
            return
        try:
            chat.session.switch_model(result["model"], result.get("api_base"))
        except AssistantError as exc:
            chat.view.notice(f"cannot use {result['model']}: {exc}", error=True)
            return
        chat.status.update_status(model=result["model"])
        chat.view.notice(
            f"connected: {result['model']}"
            + (f" at {result['api_base']}" if result.get("api_base") else "")
        )
        for note in result.get("notes", []):
            chat.view.notice(note)

    # -- leaving ----------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Deny what is pending, let the turn unwind (journaled), close the journal, exit."""
        chat = self.chat
        sid = chat.session.session_id
        await chat.shutdown()
        if sid and chat.session.recorded:
            self.exit_note = (
                f"session {sid[:8]} saved; `assistant history show {sid[:8]}` replays it"
            )
        self.exit()

    async def action_interrupt(self) -> None:
        """Ctrl+C: stop a running turn; with nothing running, quit (the session is kept)."""
        chat = self.chat
        if chat.turn_running or chat.approver.pending:
            await chat.stop()
            self.notify("Stopped. Ctrl+C again (or Ctrl+Q) quits; the session is kept.")
        else:
            await self.action_quit()

    def action_history(self) -> None:
        """Open the history screen over this session's journal."""
        from assistant.ui.screens.history import HistoryScreen

        rt = self.session.runtime
        if rt is None:
            self.notify("The journal is not open.", severity="error")
            return
        self.push_screen(HistoryScreen(rt.journal))

    def _back_to_chat(self) -> ChatScreen:
        chat = self.chat
        while self.screen is not chat and len(self.screen_stack) > 1:
            self.pop_screen()
        return chat

    def on_undo_request(self, message: UndoRequest) -> None:
        """The replay screen's undo: checked and previewed in the chat, like /undo."""
        chat = self._back_to_chat()
        chat.view.notice(f"› undo action {message.action_id}")
        chat.undo(message.action_id)

    async def on_resume_session(self, message: ResumeSession) -> None:
        """History or replay asked to continue a session in the chat."""
        chat = self._back_to_chat()
        await chat.resume(message.session_id)


def _load_litellm() -> None:
    """In the preload thread, importing our model module too keeps the loop free for keys.
    A launch runs with the collector off until litellm is in (`assistant.cli.app_class`)."""
    try:
        from assistant.agent.model import load_litellm

        load_litellm()
    finally:
        gc.enable()


def _slash_provider() -> type[Provider]:
    """The palette's slash commands, imported when the palette first opens."""
    from assistant.ui.commands import SlashProvider

    return SlashProvider
