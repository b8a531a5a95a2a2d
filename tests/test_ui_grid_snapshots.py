"""Snapshots of the data grid at 120x40 and 80x24: a csv_query run by hand, replayed (its grid
open in the card, as the person saw it), the full-screen grid of a bigger result the replay can
sort only page by page ("(this page)"), and a result held whole, sorted whole.

Update with ``pytest tests/test_ui_grid_snapshots.py --snapshot-update`` after checking the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from assistant.agent import events as ev
from assistant.journal import Journal
from assistant.ui.grid_data import GridData, grid_data
from assistant.ui.screens.grid_screen import GridScreen
from assistant.ui.screens.replay import ReplayScreen
from tests.support.grid_rows import COLUMNS, ROWS, query_events
from tests.support.history_app import NOW, HostApp, StepClock, frozen_now, settle

SnapCompare = Callable[..., bool]
SIZES = [(120, 40), (80, 24)]


@pytest.mark.parametrize("size", SIZES)
def test_a_replayed_manual_query_shows_its_grid(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    journal = Journal(
        tmp_path / "j.sqlite3", clock=StepClock(NOW), new_id=lambda: "7f3a9c2e" + "0" * 24
    )
    sid = journal.create_session(model=None, workspace="/home/ana/data")
    proposed, result = query_events()
    journal.append(sid, proposed.kind, proposed.to_json())
    journal.append(
        sid, "action.decided", ev.ActionDecided("q-1", "approve", "policy:read").to_json()
    )
    journal.append(sid, "action.approved", ev.ActionApproved("q-1", "policy:read").to_json())
    journal.append(sid, result.kind, result.to_json())
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


class GridApp(App[None]):
    def on_mount(self) -> None:
        proposed, result = query_events()
        data = grid_data(proposed, result)
        assert data is not None
        title = "csv_query  query orders.csv"
        self.push_screen(GridScreen(data, runner=None, title=title, sorted_by=(2, True)))


@pytest.mark.parametrize("size", SIZES)
def test_the_full_screen_grid_sorted_by_total(
    snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        await pilot.press("right", "down")

    assert snap_compare(GridApp(), terminal_size=size, run_before=run_before)


class HeldGridApp(App[None]):
    def on_mount(self) -> None:
        types = ["BIGINT", "VARCHAR", "DECIMAL(5,2)", "VARCHAR"]
        data = GridData("csv_query", COLUMNS, [list(r) for r in ROWS[:40]], 40, types=types)
        title = "csv_query  query orders.csv"
        self.push_screen(GridScreen(data, runner=None, title=title, sorted_by=(2, True)))


@pytest.mark.parametrize("size", SIZES)
def test_a_result_held_whole_is_sorted_whole(
    snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()

    assert snap_compare(HeldGridApp(), terminal_size=size, run_before=run_before)
