"""The history list over 2,000 sessions: it shows one page quickly, reads one page at a time,
and pages, jumps, searches and filters without ever loading every row."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.journal import Journal
from assistant.ui.screens.history import PAGE_SIZE, HistoryScreen
from assistant.ui.screens.history_filters import ListFilter
from tests.support.history_app import (
    HostApp,
    frozen_now,
    open_journal,
    seed_sessions,
    settle,
    table_titles,
)

N = 2_000
FIRST_PAGE_BUDGET_S = 2.0
"""Generous for a busy 2-core CI machine; the bench measures the real figure (tens of ms)."""


@pytest.fixture(scope="module")
def big_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    path: Path = tmp_path_factory.mktemp("history-paging") / "journal.sqlite3"
    journal = open_journal(path, datetime(2025, 3, 1, tzinfo=UTC))
    seed_sessions(journal, N)
    yield journal
    journal.close()


@pytest.fixture
def reads(big_journal: Journal, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every Journal.sessions call the screen makes, by its arguments."""
    calls: list[dict[str, Any]] = []
    real = big_journal.sessions

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(big_journal, "sessions", spy)
    return calls


def title(i: int) -> str:
    return f"session number {i} about invoices"


async def test_the_first_page_shows_quickly_and_holds_one_page(
    big_journal: Journal, reads: list[dict[str, Any]]
) -> None:
    app = HostApp(lambda: HistoryScreen(big_journal, now=frozen_now))
    started = time.perf_counter()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        elapsed = time.perf_counter() - started
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.table.row_count == PAGE_SIZE
        assert table_titles(screen.table)[:2] == [title(N - 1), title(N - 2)]
        assert screen.head_text(PAGE_SIZE).plain == "History  ·  2,000 sessions  ·  1–100"
        assert reads == [{"limit": PAGE_SIZE, "offset": 0, **ListFilter().kwargs()}]
        assert elapsed < FIRST_PAGE_BUDGET_S, f"first page took {elapsed:.2f} s"


async def test_moving_past_either_edge_loads_the_neighbouring_page(
    big_journal: Journal, reads: list[dict[str, Any]]
) -> None:
    app = HostApp(lambda: HistoryScreen(big_journal, now=frozen_now))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        table = screen.table
        table.move_cursor(row=PAGE_SIZE - 1)
        await pilot.press("down")
        await settle(pilot)
        assert screen.page_offset == 100 and table.cursor_row == 0
        assert table_titles(table)[0] == title(N - 101) and table.row_count == PAGE_SIZE
        await pilot.press("up")
        await settle(pilot)
        assert screen.page_offset == 0 and table.cursor_row == PAGE_SIZE - 1
        assert screen.selected_id() is not None
        assert str(table.get_row_at(table.cursor_row)[1]) == title(N - 100)

        await pilot.press("pagedown")  # on the last row, pagedown turns the page ...
        await settle(pilot)
        assert screen.page_offset == 100 and table.cursor_row == 0
        await pilot.press("pagedown")  # ... elsewhere it moves within the page
        await settle(pilot)
        assert screen.page_offset == 100 and table.cursor_row > 10

        await pilot.press("ctrl+end")
        await settle(pilot)
        assert screen.page_offset == N - PAGE_SIZE and table_titles(table)[-1] == title(0)
        assert table.cursor_row == PAGE_SIZE - 1
        await pilot.press("down")  # nothing after the last page
        await settle(pilot)
        assert screen.page_offset == N - PAGE_SIZE
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert screen.page_offset == 0 and table_titles(table)[0] == title(N - 1)

        assert len(reads) == 6 and all(call["limit"] == PAGE_SIZE for call in reads)


async def test_search_and_filters_over_the_big_journal_page_too(
    big_journal: Journal, reads: list[dict[str, Any]]
) -> None:
    app = HostApp(lambda: HistoryScreen(big_journal, now=frozen_now))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        screen.set_filter(ListFilter(tool="shell"))
        await settle(pilot)
        assert screen.total == 667 and screen.table.row_count == PAGE_SIZE
        screen.set_filter(ListFilter(has_denials=True, tool="csv_write"))  # i % 30 == 0
        await settle(pilot)
        assert screen.total == 67 and screen.table.row_count == 67
        screen.set_filter(ListFilter(query="number 42"))  # "42" as a prefix: 42, 420…429
        await settle(pilot)
        assert sorted(table_titles(screen.table)) == sorted(
            title(i) for i in [42, *range(420, 430)]
        )
        assert all(call["limit"] == PAGE_SIZE for call in reads)
