"""Replay of long sessions: the view holds only a window of items up to the cursor, built when
they come into it, and shows the same items as a full draw; at a decision the pane is shown as
the person saw it; the action under the cursor is named and is what `u` undoes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from assistant.agent import events as ev
from assistant.export import export_session, import_jsonl
from assistant.journal import Journal
from assistant.ui.replay_timeline import Timeline
from assistant.ui.screens.replay import ReplayScreen
from assistant.ui.screens.replay_painter import WINDOW, ReplayPainter
from assistant.ui.screens.replay_pane import DecisionPane
from assistant.ui.widgets.conversation import ConversationView
from tests.support.history_app import HostApp, demo_journal, describe, frozen_now, settle, shown
from tests.support.textdump import toasts


def long_session(journal: Journal, actions: int) -> str:
    """A prompt, then ``actions`` approved file writes with results (4 events each)."""
    sid = journal.create_session(model="openai/x", workspace="/tmp/ws")
    journal.append(sid, "user.message", {"text": "a long session"})
    for i in range(actions):
        aid = f"w{i:04d}"
        proposed = ev.ActionProposed(
            aid, None, "shell", {}, "write", f"echo {i} > f{i}.txt",
            {"kind": "text", "text": f"+++ f{i}.txt\n+{i}"}, [f"path:f{i}.txt"], "fp",
        )  # fmt: skip
        journal.append(sid, proposed.kind, proposed.to_json())
        journal.append(sid, "action.decided", ev.ActionDecided(aid, "approve", "human").to_json())
        journal.append(sid, "action.approved", ev.ActionApproved(aid, "human").to_json())
        result = ev.ActionResult(aid, True, f"wrote f{i}.txt", blobs={f"f{i}.txt": None})
        journal.append(sid, result.kind, result.to_json())
    return sid


async def test_a_long_session_opens_at_its_first_event_and_holds_only_a_window(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sid = long_session(journal, 300)
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        view = replay.view
        assert shown(view) == ["notice you  a long session"]
        assert "event 1 / 1201  ·  user.message" in replay.head_text().plain

        await pilot.press("end")
        await settle(pilot)
        assert len(view.children) == WINDOW  # not 301 widgets: only the last screenfuls
        assert [c.action_id for c in view.cards] == [f"w{i:04d}" for i in range(300 - WINDOW, 300)]
        assert {c.status for c in view.cards} == {"done"}

        await pilot.press("left", "left", "left", "left")  # the last action taken back
        await settle(pilot)
        assert len(view.children) == WINDOW
        assert view.cards[-1].action_id == "w0298" and view.cards[-1].status == "done"
        await pilot.press("home", "n", "n")
        await settle(pilot)
        assert [c.action_id for c in view.cards] == ["w0000", "w0001"]
        assert shown(view)[0] == "notice you  a long session"

        # Scrolled to the top of the window at the end: earlier items are built too.
        await pilot.press("end")
        await settle(pilot)
        view.scroll_home(animate=False)
        await settle(pilot)
        assert len(view.children) == 2 * WINDOW
        assert view.cards[0].action_id == f"w{300 - 2 * WINDOW:04d}"
    journal.close()


class ViewHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationView()


@pytest.mark.parametrize("which", [0, 1, 2])
async def test_a_small_window_shows_the_tail_of_what_a_full_draw_shows(
    tmp_path: Path, which: int
) -> None:
    """Whatever the moves, a window of 2 items shows exactly the last 2 items of a full draw at
    that position, in the state the full draw shows them."""
    journal, ids = demo_journal(tmp_path / "j.sqlite3")
    timeline = Timeline.from_stored(journal.events(ids[which]))
    n = len(timeline)
    full: list[list[str]] = []
    host = ViewHost()
    async with host.run_test(size=(120, 60)) as pilot:
        painter = ReplayPainter(host.query_one(ConversationView), timeline, lambda at: at)
        for position in range(n + 1):
            await painter.paint(position)
            await pilot.pause()
            full.append(describe(painter.view))
    host = ViewHost()
    async with host.run_test(size=(120, 60)) as pilot:
        small = ReplayPainter(host.query_one(ConversationView), timeline, lambda at: at, window=2)
        moves = [
            *range(n + 1),
            *range(n, -1, -1),
            *random.Random(which).choices(range(n + 1), k=30),
        ]
        for position in moves:
            await small.paint(position)
            await pilot.pause()
            assert describe(small.view) == full[position][-2:], position
    journal.close()


async def test_at_a_decision_the_pane_shows_the_preview_and_who_decided(tmp_path: Path) -> None:
    journal, ids = demo_journal(tmp_path / "j.sqlite3")
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        pane = replay.query_one(DecisionPane)
        await pilot.press("n")  # the read: decided by the read policy, no person asked
        await settle(pilot)
        assert not pane.display and "action a-11" in replay.head_text().plain
        for _ in range(4):  # back over the read's proposal: still no pane
            await pilot.press("left")
            await settle(pilot)
            assert not pane.display
        await pilot.press("n", "right")  # the write's proposal: the pane, as it waited
        await settle(pilot)
        assert pane.display and "action a-12" in replay.head_text().plain
        assert pane.border_title == "Action · WRITE · csv_write · id a-12"
        assert pane.verdict_text().plain == "waiting for you: the person was shown this pane"
        preview = pane.query_one(".decision-preview")
        assert "+10231,2025-03-07,ACME GmbH,120.00,EUR,paid" in preview.visible_lines()  # type: ignore[attr-defined]
        await pilot.press("right")  # the decision
        await settle(pilot)
        assert pane.display and pane.verdict_text(frozen_now()).plain.startswith(
            "approved by you at"
        )
        assert "approved by you at 14:02:" in str(pane.query_one(".decision-by").content)
        await pilot.press("right")  # approved, running: the pane was gone by then
        await settle(pilot)
        assert not pane.display

    app = HostApp(lambda: ReplayScreen(journal, ids[1], now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        pane = replay.query_one(DecisionPane)
        assert pane.display
        assert 'denied by you: "not on staging" at' in str(pane.query_one(".decision-by").content)
    journal.close()


async def test_u_undoes_the_action_the_cursor_is_on_and_an_imported_copy_refuses(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sid = long_session(journal, 3)
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await pilot.press("n", "n", "left")  # the second write, approved, its result not yet shown
        await settle(pilot)
        assert "action w0001" in replay.head_text().plain
        await pilot.press("right", "u")  # its result: u undoes it, from here
        await settle(pilot)
        assert [r.action_id for r in app.undo_requests] == ["w0001"]

    other = Journal(tmp_path / "other.sqlite3")
    copy = import_jsonl(other, export_session(journal, sid, "jsonl")).session_id
    app = HostApp(lambda: ReplayScreen(other, copy, now=frozen_now))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "u")
        await settle(pilot)
        assert app.undo_requests == []
        (note,) = [t.text for t in toasts(app)]
        assert note.startswith("cannot undo: action w0001:") and "import" in note
    other.close()
    journal.close()


async def test_the_pane_of_an_edited_action_shows_the_edit_above_its_preview(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.create_session(model="openai/x", workspace="/tmp/ws")
    first = {"path": "a.csv", "mode": "create", "rows": [["n"], ["1"]]}
    second = {**first, "path": "b.csv"}
    for aid, args in (("e1", first), ("e2", second)):
        proposed = ev.ActionProposed(
            aid, "c1", "csv_write", args, "write", f"create {args['path']}",
            {"kind": "text", "text": f"+++ {args['path']}"}, [], "fp",
        )  # fmt: skip
        journal.append(sid, proposed.kind, proposed.to_json())
        verdict = ev.ActionDecided(aid, "edit", "human", edited_args=second) if aid == "e1" else (
            ev.ActionDecided(aid, "approve", "human")
        )  # fmt: skip
        journal.append(sid, verdict.kind, verdict.to_json())
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        pane = replay.query_one(DecisionPane)
        await pilot.press("right")  # e1 decided: edited by the person
        await settle(pilot)
        assert pane.verdict_text(None).plain == "edited by you"
        await pilot.press("right")  # e2, the re-planned call, as the pane showed it
        await settle(pilot)
        lines = pane.query_one(".decision-preview").visible_lines()  # type: ignore[attr-defined]
        assert lines[0] == "Your edit, re-planned:"
        assert any('"path": "b.csv"' in line and line.startswith("+") for line in lines)
    journal.close()
