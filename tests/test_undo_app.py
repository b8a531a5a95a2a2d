"""The app's undo (/undo, and the replay screen's, which posts the same request) runs the one
restore through the confirm pane: folders come back, and later changes are shown and asked."""

from __future__ import annotations

from pathlib import Path

from tests.support.pilot import AppOpener, pending, send, wait_for
from tests.support.textdump import screen_text
from tests.support.undo_path import snapshot


async def test_undo_in_the_app_brings_back_a_removed_tree(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    (workspace_dir / "d" / "e").mkdir(parents=True)
    (workspace_dir / "d" / "e" / "f.txt").write_bytes(b"f\n")
    before = snapshot(workspace_dir)
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh rm -r d")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: not (workspace_dir / "d").exists(), "the rm")
        await send(pilot, f"/undo {app.chat.view.cards[0].action_id}")
        await pending(pilot)
        assert "recreate folder d/e/" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: snapshot(workspace_dir) == before, "the undo")


async def test_the_pane_says_what_an_undo_would_lose(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh mkdir -p a/b")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a" / "b").is_dir(), "the mkdir")
        (workspace_dir / "a" / "b" / "mine.txt").write_bytes(b"mine\n")
        await send(pilot, f"/undo {app.chat.view.cards[0].action_id}")
        await pending(pilot)
        shown = screen_text(app)
        assert "LATER CHANGES WOULD BE LOST" in shown and "a/b/mine.txt" in shown
        await pilot.press("n", "enter")
        await wait_for(pilot, lambda: app.chat.view.cards[-1].status == "denied", "the denial")
        assert (workspace_dir / "a" / "b" / "mine.txt").read_bytes() == b"mine\n"
