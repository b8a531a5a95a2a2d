"""Replay end to end: a real session (the agent loop with a scripted model, the real shell tool,
the gate and the journal) opened from the history list and stepped through event by event,
drawn by the chat's own ConversationView."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from textual.app import App, ComposeResult

from assistant import config
from assistant.agent.approval import Decision
from assistant.agent.loop import Agent
from assistant.agent.model_reply import ModelReply, ToolCall, Usage
from assistant.journal import Journal
from assistant.runtime import Runtime, start_session
from assistant.ui.replay_timeline import Timeline
from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.replay import ReplayScreen
from assistant.ui.screens.replay_painter import ReplayPainter
from assistant.ui.widgets.conversation import ConversationView
from assistant.undo import undo_args
from tests.support.approvers import ScriptedApprover
from tests.support.history_app import (
    HostApp,
    demo_journal,
    describe,
    frozen_now,
    settle,
    shown,
)
from tests.support.textdump import toasts
from tools import all_tools

PROMPT = "put hello in notes.txt, then show it"


class ScriptedModel:
    """The model's side of the turn, scripted: streamed text, then the reply with its tool calls.
    (litellm's own path to a server is tested with the model adapter; this keeps the UI tests
    free of its seconds-long import.)"""

    model = "openai/fake"

    def __init__(self, replies: list[ModelReply]) -> None:
        self.replies = list(replies)

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], **_: Any
    ) -> AsyncIterator[str | ModelReply]:
        reply = self.replies.pop(0)
        for word in reply.text.split(" "):
            yield word + " "
        yield reply


def call(call_id: str, command: str) -> ToolCall:
    return ToolCall(call_id, "shell", json.dumps({"command": command}))


async def make_session(ws: Path) -> Runtime:
    """One agent turn: the model writes notes.txt (a person approves), reads it back, answers."""
    usage = Usage(120, 30, 0.0021)
    model = ScriptedModel(
        [
            ModelReply("Writing it.", (call("c1", "echo hello > notes.txt"),), usage, "tool_calls"),
            ModelReply("", (call("c2", "cat notes.txt"),), usage, "tool_calls"),
            ModelReply("notes.txt now says hello.", (), usage, "stop"),
        ]
    )
    rt = start_session(
        config.load(),
        approver=ScriptedApprover([Decision("approve")]),
        tools=all_tools(),
        workspace=ws,
        model=model.model,
    )
    outcome = await Agent(model, rt.gate, rt.log).turn(PROMPT)
    assert outcome.reason == "done", outcome
    assert (ws / "notes.txt").read_text() == "hello\n"
    return rt


# What the view shows after each step from the start; one entry per stored event.
EXPECTED = [
    ("user.message", [f"notice you  {PROMPT}"]),
    ("turn.usage", [f"notice you  {PROMPT}"]),
    ("assistant.message", [f"notice you  {PROMPT}", "reply Writing it."]),
    ("action.proposed", [f"notice you  {PROMPT}", "reply Writing it.", "card shell proposed"]),
    ("action.decided", [f"notice you  {PROMPT}", "reply Writing it.", "card shell approved"]),
    ("action.approved", [f"notice you  {PROMPT}", "reply Writing it.", "card shell running"]),
    ("action.result", [f"notice you  {PROMPT}", "reply Writing it.", "card shell done"]),
    ("turn.usage", None),
    ("assistant.message", None),
    ("action.proposed", [..., "card shell done", "card shell proposed"]),
    ("action.decided", [..., "card shell done", "card shell approved"]),
    ("action.approved", [..., "card shell done", "card shell running"]),
    ("action.result", [..., "card shell done", "card shell done"]),
    ("turn.usage", None),
    ("assistant.message", [..., "card shell done", "reply notes.txt now says hello."]),
    ("turn.end", None),
]


async def test_history_opens_the_session_just_made_and_replays_it_step_by_step(
    workspace_dir: Path,
) -> None:
    rt = await make_session(workspace_dir)
    kinds = [e.kind for e in rt.journal.events(rt.session_id)]
    assert kinds == [kind for kind, _ in EXPECTED]
    app = HostApp(lambda: HistoryScreen(rt.journal, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert history.selected_id() == rt.session_id  # newest first: the one just made
        await pilot.press("enter")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        view = replay.query_one(ConversationView)
        # It opens on the first event, with the chain checked; end shows the whole session.
        assert replay.timeline.position == 1
        assert shown(view) == [f"notice you  {PROMPT}"]
        assert "chain verified ✓" in replay.head_text().plain
        await pilot.press("end")
        await settle(pilot)
        assert shown(view)[-3:] == [
            "card shell done",
            "card shell done",
            "reply notes.txt now says hello.",
        ]

        await pilot.press("home")
        await settle(pilot)
        assert shown(view) == []
        assert "event 0 / 16" in replay.head_text().plain
        for n, (kind, expected) in enumerate(EXPECTED, 1):
            await pilot.press("right")
            await settle(pilot)
            assert f"event {n} / 16  ·  {kind}" in replay.head_text().plain
            if expected is None:
                continue
            now = shown(view)
            if expected[0] is ...:
                assert now[-(len(expected) - 1) :] == expected[1:], (n, kind, now)
            else:
                assert now == expected, (n, kind, now)

        # The write card says who decided it and when, keeps its preview and its result.
        write, read = view.cards
        assert write.decided_by == "human" and write.proposed.effect == "write"
        assert "approved by you at " in write.status_text().plain
        assert write.fold("preview") is not None and write.fold("result") is not None
        assert read.decided_by == "policy:read"
        assert "approved by read policy" in read.status_text().plain

        # Back one event: the final reply disappears (the view is redrawn to event 15).
        await pilot.press("left", "left")
        await settle(pilot)
        assert shown(view)[-1] == "card shell done" and replay.timeline.position == 14


async def test_keys_jump_between_actions_and_play_advances(workspace_dir: Path) -> None:
    rt = await make_session(workspace_dir)
    app = HostApp(lambda: ReplayScreen(rt.journal, rt.session_id[:8], now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        view = replay.view
        await pilot.press("home", "n")
        await settle(pilot)
        assert replay.timeline.position == 7 and shown(view)[-1] == "card shell done"
        await pilot.press("n")
        await settle(pilot)
        assert replay.timeline.position == 13 and [c.status for c in view.cards] == ["done", "done"]
        await pilot.press("N")
        await settle(pilot)
        assert replay.timeline.position == 7 and shown(view)[-1] == "card shell done"
        assert [c.status for c in view.cards if c.display] == ["done"]

        await pilot.press("p")
        assert replay.timeline.speed == 1 and "playing 1×" in replay.head_text().plain
        await pilot.press("p")
        assert replay.timeline.speed == 4
        replay.play_tick()  # what the timer calls; called here rather than waited for
        assert replay.timeline.position == 8
        await pilot.press("right")  # a manual step stops play
        assert replay.timeline.speed is None and replay.timeline.position == 9


async def test_undo_asks_the_app_to_undo_that_action_and_resume_asks_to_continue(
    workspace_dir: Path,
) -> None:
    rt = await make_session(workspace_dir)
    app = HostApp(lambda: ReplayScreen(rt.journal, rt.session_id, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")
        await settle(pilot)
        write_id = app.screen.view.cards[0].action_id
        await pilot.press("u")
        await settle(pilot)
        (request,) = app.undo_requests
        assert request.action_id == write_id
        args, workspace = undo_args(rt.journal, request.action_id)  # what the chat will run
        assert args == {
            "source": write_id,
            "tool": "shell",
            "paths": [{"path": "notes.txt", "to": {"kind": "absent"}, "left": ANY}],
        }
        assert args["paths"][0]["left"]["kind"] == "file"
        assert workspace == str(workspace_dir.resolve())
        assert (workspace_dir / "notes.txt").exists()  # the screen itself ran nothing

        await pilot.press("r")
        await settle(pilot)
        assert app.resumed == [rt.session_id]


async def test_undo_before_any_write_is_shown_explains_instead(workspace_dir: Path) -> None:
    rt = await make_session(workspace_dir)
    app = HostApp(lambda: ReplayScreen(rt.journal, rt.session_id, now=frozen_now))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("home", "right", "right", "right", "right", "u")
        await settle(pilot)
        assert app.undo_requests == []
        assert [t.text for t in toasts(app)] == ["no file write shown here to undo"]


@pytest.mark.parametrize("tamper", ["payload", "delete"])
async def test_a_tampered_session_shows_a_broken_chain_badge(
    workspace_dir: Path, tamper: str
) -> None:
    import sqlite3

    rt = await make_session(workspace_dir)
    db = sqlite3.connect(rt.journal.path)
    if tamper == "payload":
        db.execute(
            "UPDATE events SET payload = replace(payload, 'hello', 'HELLO')"
            " WHERE session_id = ? AND seq = 1",
            (rt.session_id,),
        )
    else:
        db.execute("DELETE FROM events WHERE session_id = ? AND seq = 5", (rt.session_id,))
    db.commit()
    db.close()
    app = HostApp(lambda: ReplayScreen(rt.journal, rt.session_id, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        head = app.screen.head_text().plain
        assert "chain BROKEN at event" in head and "✗" in head and "verified" not in head


async def test_events_this_version_cannot_draw_are_shown_as_notices(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.create_session(model=None, workspace=str(tmp_path))
    journal.append(sid, "user.message", {"text": "hi [b]there[/b]"})
    journal.append(sid, "file.moved", {"path": "a"})  # a kind from some newer version
    bad = {"action_id": "x1", "call_id": None, "tool": "t", "args": {}, "effect": "write"}
    journal.append(
        sid,
        "action.proposed",
        {**bad, "summary": "s", "preview": "<b>", "targets": [], "fingerprint": "f"},
    )
    journal.append(sid, "action.result", {"action_id": "nope", "ok": True, "output": "orphan"})
    journal.append(sid, "turn.error", {"message": "model went away", "error": "error"})
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await pilot.press("end")
        await settle(pilot)
        assert shown(replay.view) == [
            "notice you  hi [b]there[/b]",
            "notice event 2 (file.moved) cannot be shown: an event kind this version lacks",
            "notice event 3 (action.proposed) cannot be shown: its field 'preview' has the wrong"
            " type for action.proposed",
            "notice ✗ model went away",
        ]
        assert "event 5 / 5" in replay.head_text().plain
    journal.close()


async def test_a_session_that_is_not_there_says_so(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    app = HostApp(lambda: ReplayScreen(journal, "deadbeef", now=frozen_now))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        assert shown(replay.view) == [
            "notice cannot replay this session: no session matches 'deadbeef'"
        ]
        assert replay.head_text().plain == "Replay  s:deadbeef  ·  not loaded"
        await pilot.press("right", "n", "p", "u", "x", "r")  # nothing to act on: nothing happens
        await settle(pilot)
        assert app.resumed == [] and app.undo_requests == [] and replay.timeline.speed is None
    journal.close()


async def test_an_action_left_running_reads_outcome_unknown_at_the_end(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.create_session(model=None, workspace=str(tmp_path))
    proposed = {"action_id": "w1", "call_id": None, "tool": "csv_write", "args": {}, "effect": "write",
                "summary": "create a.csv", "preview": {}, "targets": [], "fingerprint": "f"}  # fmt: skip
    journal.append(sid, "action.proposed", proposed)
    journal.append(sid, "action.decided", {"action_id": "w1", "verdict": "approve", "by": "human"})
    journal.append(sid, "action.approved", {"action_id": "w1", "by": "human"})
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)  # loaded first: an End pressed before the timeline is read is lost
        await pilot.press("end")
        await settle(pilot)
        view = app.screen.view
        assert shown(view) == ["card csv_write unknown"]  # the log ends after approval: a crash
        await pilot.press("left")
        await settle(pilot)
        assert shown(view) == ["card csv_write approved"]
        await pilot.press("right")
        await settle(pilot)
        assert shown(view) == ["card csv_write unknown"]
    journal.close()


async def test_undo_of_a_focused_http_card_explains_why_not(tmp_path: Path) -> None:
    journal, ids = demo_journal(tmp_path / "j.sqlite3")
    app = HostApp(lambda: ReplayScreen(journal, ids[0], now=frozen_now))
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await pilot.press("end")
        await settle(pilot)
        read_card, write_card = replay.view.cards
        read_card.focus()
        await pilot.press("u")
        await settle(pilot)
        assert app.undo_requests == []
        assert [t.text for t in toasts(app)] == [
            "cannot undo: HTTP requests cannot be undone: the server has already acted on it"
        ]
        write_card.focus()
        await pilot.press("u")
        await settle(pilot)
        (request,) = app.undo_requests
        args, workspace = undo_args(journal, request.action_id)  # what the chat will run
        assert args == {  # recorded without an after-state: left None (a person decides)
            "source": "a-12",
            "tool": "csv_write",
            "paths": [{"path": "orders.csv", "to": {"kind": "absent"}, "left": None}],
        }
        assert workspace == "/home/ana/data/q3-pull"
    journal.close()


class ViewHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationView()


@pytest.mark.parametrize("which", [0, 1, 2])
async def test_going_back_shows_exactly_what_going_forward_showed(
    tmp_path: Path, which: int
) -> None:
    """Each position reached by stepping back (and forward again) looks as it did when first
    reached from the start: the cheap undo of a step matches a fresh draw."""
    journal, ids = demo_journal(tmp_path / "j.sqlite3")
    timeline = Timeline.from_stored(journal.events(ids[which]))
    n = len(timeline)
    reference: list[list[str]] = []
    host = ViewHost()
    async with host.run_test(size=(120, 60)) as pilot:
        fresh = ReplayPainter(host.query_one(ConversationView), timeline, lambda at: at)
        for position in range(n + 1):
            await fresh.paint(position)
            await pilot.pause()
            reference.append(describe(fresh.view))
    assert reference[-1] != reference[0]

    app = HostApp(lambda: ReplayScreen(journal, ids[which], now=frozen_now))
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        assert describe(replay.view) == reference[1]  # it opens at the first event
        await pilot.press("end")
        await settle(pilot)
        assert describe(replay.view) == reference[n]
        for position in range(n - 1, -1, -1):  # the keys' own actions (keys: other tests)
            replay.action_step(-1)
            await replay.settled()
            await pilot.pause()
            assert describe(replay.view) == reference[position], ("back", position)
        for position in range(1, n + 1):
            replay.action_step(1)
            await replay.settled()
            await pilot.pause()
            assert describe(replay.view) == reference[position], ("forward", position)
        await pilot.press("home", "n")  # jumps undo and redo many steps at once
        await settle(pilot)
        assert describe(replay.view) == reference[replay.timeline.position]
        await pilot.press("end", "N")
        await settle(pilot)
        assert describe(replay.view) == reference[replay.timeline.position]
        for position in random.Random(which).choices(range(n + 1), k=20):  # arbitrary jumps
            replay.timeline.seek(position)
            replay.request_paint()
            await replay.settled()
            await pilot.pause()
            assert describe(replay.view) == reference[position], ("seek", position)
    journal.close()
