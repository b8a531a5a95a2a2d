"""Snapshots at 80x24 and 120x40 of issue 12's points 3-6: action ids on the cards, a batch in
the pane ("1 of 3", another call looked at), the pane again after Esc left the edit dialog, the
palette's usage strings, the history with filters on, the first-run screen and the replay.

Deterministic: fixed size, session and action ids, clock and home folder; the model is the fake
server through litellm. Update with ``pytest tests/test_ui_snapshots_keys.py --snapshot-update``
after checking the new SVGs by eye.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from assistant.config import Settings
from assistant.ui.app import AssistantApp
from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.history_filters import FilterDialog, ListFilter
from assistant.ui.screens.replay import ReplayScreen
from tests.support import fake_llm as llm
from tests.support.fixed_ids import fixed_action_ids
from tests.support.history_app import HostApp, demo_journal, frozen_now, settle
from tests.support.pilot import pending, send, turn_done, wait_for
from tests.support.textdump import screen_text

SMALL = (80, 24)
LARGE = (120, 40)
Run = Callable[[Pilot[Any]], Awaitable[None]]
SESSION_ID = "7f3a9c2e" + "0" * 24


@pytest.fixture
def fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the status line shows the workspace as ~/ws
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    fixed_action_ids(monkeypatch)


def chat_app(workspace: Path, server: llm.FakeLLM | None = None) -> AssistantApp:
    settings = Settings(model=server.model() if server else "openai/gpt-4.1")
    return AssistantApp(
        settings,
        api_base=server.base_url if server else None,
        workspace=workspace,
        preload=False,
        clock=lambda: datetime(2026, 11, 25, 14, 2, 11),
        new_id=lambda: SESSION_ID,
    )


def three_writes() -> llm.Reply:
    rows = {"path": "c.csv", "mode": "create", "rows": [["id", "total"], ["1", "9.50"]]}
    return llm.tool_calls(
        [
            ("shell", json.dumps({"command": "echo one > a.txt"})),
            ("shell", json.dumps({"command": "echo two > b.txt"})),
            ("csv_write", json.dumps(rows)),
        ],
        text="Three writes, one at a time.",
    )


def batch_waiting(*keys: str, wait_text: str = "") -> Run:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, AssistantApp)
        await send(pilot, "save the three files")
        await pending(pilot)
        await pilot.press(*keys)
        if wait_text:
            view = app.chat.pane.preview_view
            await wait_for(
                pilot,
                lambda: any(wait_text in view.row_text(i) for i in range(view.line_count)),
                wait_text,
            )
        await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_batch_says_1_of_3(
    snap_compare: Any,
    fixed: None,
    workspace_dir: Path,
    fake_llm: llm.FakeLLM,
    size: tuple[int, int],
) -> None:
    fake_llm.queue(three_writes())
    app = chat_app(workspace_dir, fake_llm)
    assert snap_compare(app, terminal_size=size, run_before=batch_waiting())


def test_batch_looking_at_the_next_call_at_80x24(
    snap_compare: Any, fixed: None, workspace_dir: Path, fake_llm: llm.FakeLLM
) -> None:
    fake_llm.queue(three_writes())
    app = chat_app(workspace_dir, fake_llm)
    run_before = batch_waiting("right", wait_text="create b.txt")
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_cards_show_their_ids(
    snap_compare: Any,
    fixed: None,
    workspace_dir: Path,
    fake_llm: llm.FakeLLM,
    size: tuple[int, int],
) -> None:
    fake_llm.queue(three_writes(), llm.text("Saved a.txt and c.csv; b.txt was not wanted."))
    app = chat_app(workspace_dir, fake_llm)

    async def run_before(pilot: Pilot[Any]) -> None:
        await send(pilot, "save the three files")
        for keys in (("y",), ("n", "enter"), ("y",)):
            await pending(pilot)
            await pilot.press(*keys)
            await pilot.pause()
        await turn_done(pilot)
        app.chat.view.cards[0].focus()  # a focused card: its keys in the footer
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_esc_leaves_the_edit_dialog_unapplied(
    snap_compare: Any, fixed: None, workspace_dir: Path, size: tuple[int, int]
) -> None:
    app = chat_app(workspace_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "EditArgsScreen", "editor")
        await pilot.press("end", *' "x')
        await pilot.press("escape")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_palette_shows_usage_as_written(
    snap_compare: Any, fixed: None, workspace_dir: Path, size: tuple[int, int]
) -> None:
    app = chat_app(workspace_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "palette")
        await pilot.press(*"http")
        # the palette searches on a timer of its own: wait for both hits, however long
        await wait_for(
            pilot,
            lambda: "/sh COMMAND" in screen_text(app) and "[BODY]" in screen_text(app),
            "the search hits",
        )
        for box in app.screen.query(Input):
            box.cursor_blink = False  # every shot alike, whatever the blink phase
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.fixture
def session_ids() -> Callable[[], str]:
    """Session ids 7f3a…01, 7f3a…02, … in the order the demo journal makes them."""
    counter = itertools.count(1)
    return lambda: f"7f3a{next(counter):028x}"


def filtered_history(
    tmp_path: Path, session_ids: Callable[[], str], chosen: ListFilter
) -> tuple[HostApp, Callable[[Pilot[Any]], Awaitable[None]]]:
    """The history of the demo journal, and a step that waits for it and sets ``chosen``."""
    journal, _ = demo_journal(tmp_path / "journal.sqlite3", session_ids)
    screen = HistoryScreen(journal, now=frozen_now)

    async def filtered(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen.set_filter(chosen)
        await settle(pilot)

    return HostApp(lambda: screen), filtered


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_history_with_filters_on(
    snap_compare: Any, tmp_path: Path, session_ids: Callable[[], str], size: tuple[int, int]
) -> None:
    chosen = ListFilter(has_writes=True, tool="http_request")
    app, filtered = filtered_history(tmp_path, session_ids, chosen)
    assert snap_compare(app, terminal_size=size, run_before=filtered)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_history_filter_dialog(
    snap_compare: Any, tmp_path: Path, session_ids: Callable[[], str], size: tuple[int, int]
) -> None:
    """The dialog whole: its title with the keys, the four boxes (one on), the fields."""
    chosen = ListFilter(has_denials=True, host="shop.example.com")
    app, filtered = filtered_history(tmp_path, session_ids, chosen)

    async def run_before(pilot: Pilot[Any]) -> None:
        await filtered(pilot)
        await pilot.press("f")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, FilterDialog)
        box = dialog.query_one("#filter-box")
        title, checks = dialog.query_one(".filter-title"), dialog.query_one(".filter-checks")
        for part in (title, checks, *checks.children):  # nothing cut at the box's edge
            assert part.region.right <= box.content_region.right, part

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_history_at_80x24(
    snap_compare: Any, tmp_path: Path, session_ids: Callable[[], str]
) -> None:
    journal, _ = demo_journal(tmp_path / "journal.sqlite3", session_ids)
    app = HostApp(lambda: HistoryScreen(journal, now=frozen_now))
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_replay_at_80x24(snap_compare: Any, tmp_path: Path, session_ids: Callable[[], str]) -> None:
    journal, ids = demo_journal(tmp_path / "journal.sqlite3", session_ids)
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_setup_at_80x24(snap_compare: Any, fixed: None, workspace_dir: Path) -> None:
    async def no_servers() -> list[Any]:
        return []

    app = AssistantApp(
        Settings(),
        workspace=workspace_dir,
        preload=False,
        probe=no_servers,
        setup=True,
        new_id=lambda: SESSION_ID,
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SetupScreen", "setup")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
