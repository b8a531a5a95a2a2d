"""The history list: what each row shows, search, filters, export and resume, with a small
journal of hand-made sessions at fixed times."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input

from assistant.journal import Journal
from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.history_filters import FilterDialog, ListFilter
from assistant.ui.screens.replay import ReplayScreen
from tests.support.history_app import (
    HostApp,
    demo_journal,
    frozen_now,
    settle,
    table_titles,
)
from tests.support.textdump import toasts

TITLES = [
    "Pull last week's orders from the shop API and save the…",
    "Poke the staging /v2/users endpoint",
    "Clean the supplier CSV and dedupe by VAT id",
    "[bold red]boom[/] \\x1b[31mred\\u202e evil",
    "(no prompt)",
]


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Journal, list[str]]:
    journal, ids = demo_journal(tmp_path / "journal.sqlite3")
    yield journal, ids
    journal.close()


def history_app(journal: Journal) -> HostApp:
    return HostApp(lambda: HistoryScreen(journal, now=frozen_now))


def rows(screen: HistoryScreen) -> list[list[str]]:
    table = screen.table
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_rows_show_when_title_model_counts_and_cost_newest_first(
    demo: tuple[Journal, list[str]],
) -> None:
    journal, ids = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert rows(screen) == [
            ["today 14:02", TITLES[0], "gpt-4.1", "2", "1", "0", "0", "$0.012"],
            ["today 11:40", TITLES[1], "claude-3-5-so…", "1", "1", "1", "1", "$0.090"],
            ["yest. 17:15", TITLES[2], "llama3.1", "1", "1", "0", "0", "unknown"],
            ["Jan 05 10:00", TITLES[3], "gpt-4.1", "0", "0", "0", "0", "<$0.001"],
            ["2024-11-02", TITLES[4], "gpt-4.1-mini", "0", "0", "0", "0", "–"],
        ]
        assert screen.head_text(5).plain == "History  ·  5 sessions"
        assert [screen.table.get_row_at(i) for i in range(1)] and screen.selected_id() == ids[0]


async def test_the_first_prompt_takes_the_width_the_terminal_has(
    demo: tuple[Journal, list[str]],
) -> None:
    journal, ids = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await pilot.press("down")
        await pilot.resize_terminal(90, 30)
        await settle(pilot)
        # below 96 columns the model column goes, so the first prompt keeps room to be read
        assert table_titles(screen.table)[0] == "Pull last week's orders from the shop AP…"
        assert "model" not in [str(c.label) for c in screen.table.columns.values()]
        assert screen.table.virtual_size.width <= 90  # the cost column is still on screen
        assert screen.selected_id() == ids[1]  # the cursor stayed on its row
        await pilot.resize_terminal(400, 30)
        await settle(pilot)
        assert table_titles(screen.table)[0] == TITLES[0].replace(" and save the…", "") + (
            " and save the paid ones as orders.csv"
        )


async def test_enter_opens_the_replay_of_the_selected_session(
    demo: tuple[Journal, list[str]],
) -> None:
    journal, ids = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen) and replay.session_id == ids[1]
        assert "chain verified ✓" in replay.head_text().plain
        await pilot.press("end")  # it opens at the first event
        await settle(pilot)
        assert [c.status for c in replay.view.cards] == ["denied"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")  # and back to whatever opened the history
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen) and len(app.screen_stack) == 1


async def test_search_narrows_the_list_and_escape_clears_it(
    demo: tuple[Journal, list[str]],
) -> None:
    journal, _ = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await pilot.press("slash")
        assert screen.query_one("#history-search", Input).has_focus
        await pilot.press(*"orders", "enter")
        await settle(pilot)
        assert table_titles(screen.table) == [TITLES[0]]
        assert "search: «orders»" in screen.filter.describe().plain
        # Words match the text of every event, not only the title ("staging" is also in session
        # 2's denied request); all words must match. "/" selects the old text, so typing replaces it.
        search = screen.query_one("#history-search", Input)
        await pilot.press("slash")
        search.value = "staging"
        await pilot.press("enter")
        await settle(pilot)
        assert table_titles(screen.table) == [TITLES[1]]
        await pilot.press("slash")
        search.value = "staging orders"
        await pilot.press("enter")
        await settle(pilot)
        assert table_titles(screen.table) == []
        assert "nothing matches" in screen.head_text(0).plain
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert screen.filter == ListFilter() and len(table_titles(screen.table)) == 5


async def test_search_with_no_words_shows_why_and_keeps_working(
    demo: tuple[Journal, list[str]],
) -> None:
    journal, _ = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await pilot.press("slash", *'"*', "enter")
        await settle(pilot)
        assert "search text has no words to look for" in screen.head_text(0).plain
        assert screen.table.row_count == 0
        screen.set_filter(ListFilter(query='"orders"*:^'))  # FTS syntax is read as plain words
        await settle(pilot)
        assert table_titles(screen.table) == [TITLES[0]]


FILTERS = [
    (ListFilter(has_writes=True), TITLES[:3]),
    (ListFilter(has_denials=True), [TITLES[1]]),
    (ListFilter(has_errors=True), [TITLES[1]]),
    (ListFilter(tool="csv_write"), [TITLES[0]]),
    (ListFilter(tool="http_request"), TITLES[:2]),
    (ListFilter(host="staging.example.com"), [TITLES[1]]),
    (ListFilter(host="staging.example.com:443"), [TITLES[1]]),
    (ListFilter(file="clean.csv"), [TITLES[2]]),
    (ListFilter(has_writes=True, tool="shell"), [TITLES[2]]),
    (ListFilter(has_writes=True, query="orders"), [TITLES[0]]),
    (ListFilter(tool="no such tool"), []),
    (ListFilter(file="../../etc/passwd"), []),
    (ListFilter(), TITLES),
]


async def test_filters_narrow_the_list(demo: tuple[Journal, list[str]]) -> None:
    journal, _ = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        for flt, expected in FILTERS:
            screen.set_filter(flt)
            await settle(pilot)
            assert (table_titles(screen.table), screen.total) == (expected, len(expected)), flt


async def test_the_filter_dialog_sets_and_clears_filters(demo: tuple[Journal, list[str]]) -> None:
    journal, _ = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await pilot.press("f")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FilterDialog)
        dialog.query_one("#f-writes", Checkbox).value = True
        dialog.query_one("#f-tool", Input).focus()
        dialog.query_one("#f-tool", Input).value = "http_request"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.filter == ListFilter(has_writes=True, tool="http_request")
        assert table_titles(screen.table) == TITLES[:2]
        bar = screen.filter.describe().plain
        # only the filters that are on are named: the bar reads right without colour
        assert bar == "filters on: [writes] tool:http_request  · f to change"

        await pilot.press("f")
        await pilot.pause()
        await pilot.click("#f-clear")
        await settle(pilot)
        assert screen.filter == ListFilter() and len(table_titles(screen.table)) == 5

        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#f-errors", Checkbox).value = True
        await pilot.press("escape")  # cancel: nothing changes
        await settle(pilot)
        assert screen.filter == ListFilter()


async def test_resume_posts_the_selected_session_to_the_app(
    demo: tuple[Journal, list[str]],
) -> None:
    journal, ids = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "r")
        await pilot.pause()
        assert app.resumed == [ids[2]]


async def test_export_writes_the_chosen_format_privately_under_the_data_dir(
    demo: tuple[Journal, list[str]], monkeypatch: pytest.MonkeyPatch, assistant_home: Path
) -> None:
    journal, ids = demo
    calls: list[tuple[Any, str, str]] = []

    def export_session(j: Journal, session_id: str, fmt: str) -> str:
        calls.append((j, session_id, fmt))
        return f"<h1>{session_id}</h1>"

    fake = types.ModuleType("assistant.export")
    fake.export_session = export_session  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "assistant.export", fake)
    app = history_app(journal)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("x", "h")
        await settle(pilot)
        target = assistant_home / "data" / "exports" / f"session-{ids[0][:12]}.html"
        assert calls == [(journal, ids[0], "html")]
        assert target.read_text() == f"<h1>{ids[0]}</h1>"
        assert target.stat().st_mode & 0o777 == 0o600
        assert [t.text for t in toasts(app)] == [f"exported HTML to {target}"]
        await pilot.press("x", "escape")  # cancelled: nothing more is exported
        await settle(pilot)
        assert len(calls) == 1


async def test_export_with_the_real_exporter_writes_markdown(
    demo: tuple[Journal, list[str]], assistant_home: Path
) -> None:
    journal, ids = demo
    app = history_app(journal)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("down", "x", "m")
        await settle(pilot)
        target = assistant_home / "data" / "exports" / f"session-{ids[1][:12]}.md"
        assert [t.text for t in toasts(app)] == [f"exported Markdown to {target}"]
        text = target.read_text()
        assert "Poke the staging /v2/users endpoint" in text and "not on staging" in text


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ValueError("[b]cannot[/b] render"), "export failed: [b]cannot[/b] render"),
        (KeyError("payload"), "export failed: KeyError: 'payload'"),
    ],
)
async def test_an_exporter_failure_is_reported_not_raised(
    demo: tuple[Journal, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    assistant_home: Path,
    error: Exception,
    message: str,
) -> None:
    journal, _ = demo

    def export_session(j: Journal, session_id: str, fmt: str) -> str:
        raise error

    fake = types.ModuleType("assistant.export")
    fake.export_session = export_session  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "assistant.export", fake)
    app = history_app(journal)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("x", "j")
        await settle(pilot)
        (note,) = toasts(app)  # shown as written: no markup read in it
        assert (note.text, note.severity) == (message, "error")
        assert not (assistant_home / "data" / "exports").exists() or not any(
            (assistant_home / "data" / "exports").iterdir()
        )


async def test_an_empty_journal_says_so(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "empty.sqlite3")
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.head_text(0).plain == "History  ·  0 sessions  ·  none yet"
        await pilot.press("enter", "x", "r", "down", "up", "pagedown", "ctrl+end")
        await settle(pilot)
        assert app.resumed == [] and isinstance(app.screen, HistoryScreen)
    journal.close()


async def test_a_closed_journal_shows_the_error_instead_of_crashing(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.close()
    app = history_app(journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert "is closed" in screen.head_text(0).plain
