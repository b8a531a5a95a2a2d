"""Snapshots of the history list and a replay: fixed terminal size, frozen clocks, fixed ids.

Update after an intended change with ``pytest tests/test_ui_history_snapshots.py
--snapshot-update`` and look at the report before committing the new SVGs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.history_filters import ListFilter
from assistant.ui.screens.replay import ReplayScreen
from tests.support.history_app import HostApp, demo_journal, frozen_now, settle

SnapCompare = Callable[..., bool]


@pytest.fixture
def fixed_ids() -> Callable[[], str]:
    """The journal's id factory: session ids 7f3a0000…0001, …0002, in creation order."""
    counter = itertools.count(1)
    return lambda: f"7f3a{next(counter):028x}"


def test_history_list(
    snap_compare: SnapCompare, tmp_path: Path, fixed_ids: Callable[[], str]
) -> None:
    journal, _ = demo_journal(tmp_path / "journal.sqlite3", fixed_ids)
    app = HostApp(lambda: HistoryScreen(journal, now=frozen_now))
    assert snap_compare(app, terminal_size=(120, 14), run_before=settle)


def test_history_list_filtered(
    snap_compare: SnapCompare, tmp_path: Path, fixed_ids: Callable[[], str]
) -> None:
    journal, _ = demo_journal(tmp_path / "journal.sqlite3", fixed_ids)
    screen = HistoryScreen(journal, now=frozen_now)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        screen.set_filter(ListFilter(has_writes=True, tool="http_request", query="staging"))
        await settle(pilot)

    app = HostApp(lambda: screen)
    assert snap_compare(app, terminal_size=(120, 10), run_before=run_before)


def test_replay_of_a_session(
    snap_compare: SnapCompare, tmp_path: Path, fixed_ids: Callable[[], str]
) -> None:
    journal, ids = demo_journal(tmp_path / "journal.sqlite3", fixed_ids)
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_replay_opens_at_the_first_event(
    snap_compare: SnapCompare, tmp_path: Path, fixed_ids: Callable[[], str], size: tuple[int, int]
) -> None:
    journal, ids = demo_journal(tmp_path / "journal.sqlite3", fixed_ids)
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_replay_at_a_decision_shows_the_pane_as_the_person_saw_it(
    snap_compare: SnapCompare, tmp_path: Path, fixed_ids: Callable[[], str], size: tuple[int, int]
) -> None:
    """n to the read, then the write's proposal and the person's decision: the pane with its
    preview, the action's id in the header, who decided and when."""
    journal, ids = demo_journal(tmp_path / "journal.sqlite3", fixed_ids)
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("home", "n", "right", "right")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_replay_stepped_to_the_second_action(
    snap_compare: SnapCompare, tmp_path: Path, fixed_ids: Callable[[], str]
) -> None:
    """home, n, then two steps: the read is done; the write is proposed and approved, not yet run."""
    journal, ids = demo_journal(tmp_path / "journal.sqlite3", fixed_ids)
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("home", "n", "right", "right")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 24), run_before=run_before)
