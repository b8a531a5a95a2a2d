"""An action a person edits is re-planned as a new action, which then runs: every view tells it
as edited and re-planned, never as "not run: no decision was recorded" (the bug this guards).
The session is made in the running app (the pane's edit key); the app's replay and export, and
`assistant history show` and `assistant export` in another process, then read it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant import paths
from assistant.agent import action_life
from assistant.journal import Journal
from assistant.ui.app import AssistantApp
from tests.support.cli import assistant
from tests.support.history_app import replay_newest, settle
from tests.support.pilot import AppOpener, wait_for
from tests.support.source_session import cli_env

NOT_RUN = "not run: no decision was recorded"


async def edit_then_approve(pilot: Pilot[Any], app: AssistantApp, edited: dict[str, Any]) -> None:
    chat = app.chat
    await wait_for(pilot, lambda: len(chat.pane.queue) >= 1, "the action in the confirm pane")
    await pilot.pause()
    chat.pane.focus()
    await pilot.press("e")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "EditArgsScreen", "the editor")
    app.screen.query_one("#args").load_text(json.dumps(edited))  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await wait_for(
        pilot,
        lambda: chat.pane.current is not None and chat.pane.current.edited_from is not None,
        "the re-planned action",
    )
    await pilot.pause()
    chat.pane.focus()
    await pilot.press("y")


async def test_an_edited_then_run_action_reads_as_edited_in_the_app_and_the_cli(
    workspace_dir: Path, assistant_home: Path, tmp_path: Path, open_app: AppOpener
) -> None:
    async with open_app(size=(120, 36)) as pilot:
        app = pilot.app
        await pilot.pause()
        app.chat.run_tool("shell", {"command": "echo hi > a.txt"})
        await edit_then_approve(pilot, app, {"command": "echo bye > b.txt"})
        await wait_for(pilot, (workspace_dir / "b.txt").exists, "the edited write")
        session_id = app.session.session_id
        assert session_id is not None
        with Journal(paths.journal_file()) as j:
            first, second = action_life.session_fold(j, session_id)[1].lives.values()
        assert (first.state, first.edited_into, second.edited_from) == ("edited", second, first)
        assert second.state == "done"

        # The app's replay of the stored session: the edited card says what it became.
        replay = await replay_newest(pilot)
        await pilot.press("end")
        await settle(pilot)
        edited_card, run_card = replay.view.cards
        assert (edited_card.status, run_card.status) == ("edited", "done")
        status = edited_card.status_text().plain
        assert f"re-planned as action {second.action_id} below" in status
        assert "not decided" not in status

        # The app's own export (x, then m for Markdown).
        await pilot.press("x", "m")
        target = paths.data_dir() / "exports" / f"session-{session_id[:12]}.md"
        await wait_for(pilot, target.exists, "the Markdown export")
        from_app = target.read_text()
    assert not (workspace_dir / "a.txt").exists()

    env = cli_env(assistant_home, tmp_path)
    shown = assistant(env, "history", "show", session_id)
    assert shown.returncode == 0, shown.stderr
    assert f"✎ edited: re-planned as action {second.action_id} (done)" in shown.stdout
    assert "no decision recorded" not in shown.stdout

    for fmt, text in (
        ("md (app)", from_app),
        ("md", assistant(env, "export", session_id, "--format", "md").stdout),
        ("html", assistant(env, "export", session_id, "--format", "html").stdout),
    ):
        assert NOT_RUN not in text, fmt
        assert f"edited: re-planned as action {second.action_id} (done)" in text, fmt
        assert f"action {first.action_id}" in text, fmt  # the second says where it came from
        assert "edited by the person" in text, fmt
