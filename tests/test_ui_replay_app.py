"""History and replay inside the real app: a write made in the chat is found in the history,
replayed, undone through the app's own gate (previewed, approved in the confirm pane) and the
session resumed. Checks that the app handles the screens' requests, not only a test host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant.ui.app import AssistantApp
from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.replay import ReplayScreen
from tests.support.history_app import settle
from tests.support.pilot import AppOpener, wait_for


async def approve_pending(pilot: Pilot[Any], app: AssistantApp) -> None:
    chat = app.chat
    await wait_for(pilot, lambda: len(chat.pane.queue) >= 1, "an action in the confirm pane")
    await pilot.pause()
    chat.pane.focus()
    await pilot.press("y")


async def test_a_write_is_replayed_undone_through_the_gate_and_resumed(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    target = workspace_dir / "a.txt"
    async with open_app(size=(120, 36)) as pilot:
        app = pilot.app
        await pilot.pause()
        app.chat.run_tool("shell", {"command": "echo hi > a.txt"})
        await approve_pending(pilot, app)
        await wait_for(pilot, target.exists, "the write")

        app.action_history()
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen) and history.table.row_count == 1
        await pilot.press("enter")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        assert "chain verified ✓" in replay.head_text().plain
        await pilot.press("end")  # it opens at the first event
        await settle(pilot)
        assert [c.status for c in replay.view.cards] == ["done"]

        await pilot.press("u")  # the app takes it back to the chat and asks there
        await approve_pending(pilot, app)
        await wait_for(pilot, lambda: not target.exists(), "the undo")
        assert app.screen is app.chat

        app.action_history()
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen) and history.table.row_count == 1
        assert str(history.table.get_row_at(0)[3]) == "2"  # the write and its undo
        chosen = history.selected_id()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.chat.session.resume_id == chosen, "the resume")
        assert app.screen is app.chat
