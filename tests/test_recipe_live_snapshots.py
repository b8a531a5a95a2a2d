"""Snapshots of the dialog that marks steps live on export, at 120x40 (a step marked live, its
fields filled) and at 80x24 (the whole dialog still fits, with an error shown).

Update after an intended change with ``pytest tests/test_recipe_live_snapshots.py
--snapshot-update`` and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Input

from assistant.journal import Journal
from assistant.ui.screens.recipe_live import LiveExportDialog
from tests.support.live_recipe import session

SnapCompare = Callable[..., bool]


class Host(App[None]):
    def __init__(self, journal: Journal, session_id: str) -> None:
        super().__init__()
        self.journal = journal
        self.session_id = session_id

    def on_mount(self) -> None:
        self.push_screen(LiveExportDialog(self.journal, self.session_id, action_id="a2"))


async def settle(pilot: Any) -> None:
    """Wait for the dialog's threads; the input cursor stops blinking so every shot is alike."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def test_the_dialog_with_a_step_marked_live_at_120x40(
    snap_compare: SnapCompare, tmp_path: Path
) -> None:
    journal, sid = session(tmp_path / "j.sqlite3", tmp_path)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("space", *"Map the columns of ${input_csv} to name and email")
        await settle(pilot)

    try:
        assert snap_compare(Host(journal, sid), terminal_size=(120, 40), run_before=run_before)
    finally:
        journal.close()


def test_the_dialog_fits_80x24_with_an_error(snap_compare: SnapCompare, tmp_path: Path) -> None:
    journal, sid = session(tmp_path / "j.sqlite3", tmp_path)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press(
            "space", *"Map ${people}", "tab", "tab", "ctrl+a", "ctrl+k", "9", "ctrl+s"
        )
        await settle(pilot)

    try:
        assert snap_compare(Host(journal, sid), terminal_size=(80, 24), run_before=run_before)
    finally:
        journal.close()
