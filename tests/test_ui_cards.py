"""Every action's card shows its id, as `/undo ID` and `assistant undo ID` take it; `u` on a
focused card undoes that action through the same restore as /undo (previewed in the pane,
run only when approved), a card that cannot be undone says why, and `c` copies the id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from assistant.ui.app import AssistantApp
from assistant.ui.widgets.action_card import ActionCard
from tests.support.pilot import AppOpener, pending, send, wait_for
from tests.support.textdump import screen_text

SMALL = (80, 24)
ROOT = Path(__file__).resolve().parent.parent


def notices(app: AssistantApp) -> list[str]:
    return [str(n.render()) for n in app.chat.view.query("Notice").results()]  # type: ignore[attr-defined]


async def write_file(pilot, app: AssistantApp, workspace: Path) -> ActionCard:  # type: ignore[no-untyped-def]
    await send(pilot, "/sh echo hi > a.txt")
    await pending(pilot)
    await pilot.press("y")
    await wait_for(pilot, lambda: app.chat.view.cards[-1].status == "done", "the write")
    assert (workspace / "a.txt").read_text() == "hi\n"
    return app.chat.view.cards[-1]


async def test_the_card_shows_its_id_and_u_undoes_it_previewed(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app(size=SMALL) as pilot:
        app = pilot.app
        card = await write_file(pilot, app, workspace_dir)
        assert f"id {card.action_id} · approved by you" in screen_text(app)
        card.focus()
        await pilot.press("u")
        await pending(pilot)
        pane = app.chat.pane
        assert str(pane.border_title).startswith("Action 1 of 1 · WRITE · restore")
        assert pane.has_focus  # the prompt was empty: the pane decides, not the card
        assert f"› undo action {card.action_id}" in notices(app)
        assert (workspace_dir / "a.txt").exists()  # previewed, not run
        await pilot.press("y")
        await wait_for(pilot, lambda: not (workspace_dir / "a.txt").exists(), "the undo")
        restore = app.chat.view.cards[-1]
        assert restore.proposed.tool == "restore" and restore.status == "done"


async def test_u_on_a_card_that_cannot_be_undone_says_why(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    (workspace_dir / "notes.txt").write_text("x\n")
    async with open_app(size=SMALL) as pilot:
        app = pilot.app
        await send(pilot, "/sh cat notes.txt")  # a read: runs without asking
        await wait_for(
            pilot,
            lambda: app.chat.view.cards and app.chat.view.cards[0].status == "done",
            "the read",
        )
        card = app.chat.view.cards[0]
        card.focus()
        await pilot.press("u")
        await wait_for(pilot, lambda: "nothing to undo" in " ".join(notices(app)), "the refusal")
        assert f"action {card.action_id} (shell) changed no files: nothing to undo" in notices(app)
        assert app.chat.pane.current is None and len(app.chat.view.cards) == 1

        await send(pilot, "/sh echo hi > a.txt")  # waiting: not finished, so not undoable yet
        await pending(pilot)
        waiting = app.chat.view.cards[-1]
        waiting.focus()
        await pilot.press("u")
        await pilot.pause()
        assert len(app.chat.pane.queue) == 1  # no restore was asked for
        assert waiting.status == "waiting"


async def test_c_copies_the_id_that_the_cli_undo_takes(
    workspace_dir: Path,
    shared_keyring: dict[str, str],
    assistant_home: Path,
    open_app: AppOpener,
) -> None:
    async with open_app(size=SMALL) as pilot:
        app = pilot.app
        card = await write_file(pilot, app, workspace_dir)
        card.focus()
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == card.action_id
        copied = app.clipboard
        await pilot.press("escape")  # Esc from a card goes back to the prompt
        await pilot.pause()
        assert app.chat.prompt.has_focus
    # the id as copied is what `assistant undo` takes, with the preview it shows first
    env = {**shared_keyring, "ASSISTANT_HOME": str(assistant_home), "LITELLM_OFFLINE_MODE": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "undo", copied, "--approve", "all"],
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not (workspace_dir / "a.txt").exists()
