"""The live-step export dialog on its own: several steps marked, a step unmarked and marked
again, a session with nothing to mark, and column names that hold commas or quotes. Sessions are
written straight into a journal here (fast, fixed); the whole path from a session recorded
through `assistant run` is in test_recipe_live_export.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input

from assistant.agent import events as ev
from assistant.journal import Journal
from assistant.recipes import LiveStepError, load_recipe
from assistant.ui.screens.recipe_live import LiveExportDialog
from assistant.ui.screens.recipe_live_form import join_columns, split_columns
from tests.support.live_recipe import session, settle


class DialogHost(App[None]):
    """The dialog alone over an empty screen, as the replay opens it on action ``a2``."""

    def __init__(self, journal: Journal, session_id: str) -> None:
        super().__init__()
        self.journal = journal
        self.session_id = session_id
        self.results: list[Any] = []

    def on_mount(self) -> None:
        dialog = LiveExportDialog(self.journal, self.session_id, action_id="a2")
        self.push_screen(dialog, self.results.append)


async def test_several_steps_can_be_marked_and_unmarking_keeps_what_was_typed(
    tmp_path: Path, assistant_home: Path
) -> None:
    journal, sid = session(tmp_path / "j.sqlite3", tmp_path)
    app = DialogHost(journal, sid)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, LiveExportDialog) and dialog.current == 2
            await pilot.press("ctrl+s")
            await settle(pilot)
            said = str(dialog.query_one("#live-error").render())
            assert said == "mark a step live first (space on a step)"
            await pilot.press("space", *"Write ${output_csv}", "shift+tab", "space")
            await pilot.pause()
            assert dialog.marked == set() and not dialog.query_one("#fields").display
            await pilot.press("space")  # marked again: the prompt typed is still there
            assert dialog.query_one("#prompt", Input).value == "Write ${output_csv}"
            await pilot.press("up", "enter", *"Count the people in ${input_csv}")
            await pilot.press("ctrl+s")
            await settle(pilot)
    finally:
        journal.close()
    (result,) = app.results
    assert result.live == (1, 2)
    recipe = load_recipe(result.path)
    counted, written = recipe.steps
    assert (counted.kind, counted.prompt, counted.tools) == (
        "live", "Count the people in ${input_csv}", ("csv_read", "csv_query"),
    )  # fmt: skip
    assert counted.expect == {}  # a query writes no file: nothing to check unless told
    assert (written.kind, written.prompt, written.max_calls) == ("live", "Write ${output_csv}", 5)
    assert written.expect == {"file": "${output_csv}", "columns": ["name", "email"]}


async def test_a_session_with_no_step_says_so_and_exports_nothing(
    tmp_path: Path, assistant_home: Path
) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.create_session(model="m", workspace=str(tmp_path), title="hello")
    journal.append(sid, "user.message", ev.UserMessage("hello").to_json())
    app = DialogHost(journal, sid)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            intro = str(app.screen.query_one("#live-intro").render())
            assert intro == (
                "cannot export: this session has no approved action, so no step to mark live"
            )
            await pilot.press("space", "ctrl+s", "escape")
            await settle(pilot)
    finally:
        journal.close()
    assert app.results == [None]
    assert not (assistant_home / "data" / "exports").exists()


@pytest.mark.parametrize(
    "columns", [["name", "email"], ["last, first", " padded ", 'say "hi"', "ünï"], ["a"]]
)
def test_a_header_shown_in_the_columns_field_reads_back_as_the_same_names(
    columns: list[str],
) -> None:
    """The default columns come from a real file's header: commas, quotes and spaces in a name
    survive the field (quoted), so the expectation checks the header the file has."""
    assert split_columns(2, join_columns(columns)) == columns


@pytest.mark.parametrize("text", ['"last, first', 'a "b" c'])
def test_a_columns_field_with_a_stray_quote_is_refused(text: str) -> None:
    with pytest.raises(LiveStepError) as caught:
        split_columns(2, text)
    assert caught.value.field == "columns" and "quote a column name" in caught.value.detail
