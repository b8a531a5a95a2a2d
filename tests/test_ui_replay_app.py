"""History and replay inside the real app: a write made in the chat is found in the history,
replayed, undone through the app's own gate (previewed, approved in the confirm pane) and the
session resumed. Checks that the app handles the screens' requests, not only a test host."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant.ui.app import AssistantApp
from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.replay import ReplayScreen
from assistant.ui.screens.replay_pane import DecisionPane
from tests.support import fake_llm as llm
from tests.support.history_app import replay_newest, settle
from tests.support.pilot import AppOpener, send, turn_done, wait_for


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


async def test_the_replay_pane_names_a_calls_place_in_its_batch_as_the_live_pane_did(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    """A reply asking for three calls: the second, a write, waited as "Action 2 of 3"; at its
    proposal the replay's pane says the same, the reads it shows no pane for."""
    calls = [("shell", json.dumps({"command": c})) for c in ("ls", "mkdir out", "pwd")]
    fake_llm.queue(llm.tool_calls(calls), llm.text("done"))
    async with open_app(fake_llm, size=(120, 36)) as pilot:
        app = pilot.app
        await send(pilot, "make a folder")
        await wait_for(pilot, lambda: len(app.chat.pane.queue) >= 1, "the write in the pane")
        await pilot.pause()
        live = str(app.chat.pane.border_title)
        assert live.startswith("Action 2 of 3 · WRITE · shell")
        app.chat.pane.focus()
        await pilot.press("y")
        await turn_done(pilot)

        replay = await replay_newest(pilot)
        pane = replay.query_one(DecisionPane)
        titles = []
        while not replay.timeline.at_end:
            await pilot.press("right")
            await settle(pilot)
            if pane.display:
                titles.append(str(pane.border_title))
        (card,) = [c for c in app.chat.view.cards if "mkdir" in c.proposed.summary]
        assert titles == [f"Action 2 of 3 · WRITE · shell · id {card.action_id}"] * 2
