"""The replay timeline on its own: rebuilding stored events, the cursor, action jumps, play."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.agent import events as ev
from assistant.journal import StoredEvent
from assistant.ui.replay_timeline import SPEEDS, Timeline, rebuild

TS = "2025-03-14T09:15:02.123Z"


def stored(seq: int, kind: str, payload: dict[str, Any]) -> StoredEvent:
    return StoredEvent("s" * 32, seq, TS, kind, payload, "p", "h")


def proposed(action_id: str) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "call_id": "c",
        "tool": "shell",
        "args": {"command": "ls"},
        "effect": "read",
        "summary": "ls",
        "preview": {"kind": "text", "text": "ls"},
        "targets": [],
        "fingerprint": "f",
    }


def session() -> list[StoredEvent]:
    """prompt, reply, action a (4 events), action b (2 events: denied), usage, end."""
    rows = [
        ("user.message", {"text": "hi"}),
        ("assistant.message", {"text": "ok", "tool_calls": []}),
        ("action.proposed", proposed("a")),
        ("action.decided", {"action_id": "a", "verdict": "approve", "by": "policy:read"}),
        ("action.approved", {"action_id": "a", "by": "policy:read"}),
        ("action.result", {"action_id": "a", "ok": True, "output": "x"}),
        ("action.proposed", proposed("b")),
        ("action.decided", {"action_id": "b", "verdict": "deny", "by": "human"}),
        (
            "turn.usage",
            {"model": "m", "prompt_tokens": 1, "completion_tokens": 2, "cost_usd": None},
        ),
        ("turn.end", {"reason": "done"}),
    ]
    return [stored(i, kind, payload) for i, (kind, payload) in enumerate(rows, 1)]


def test_stored_events_are_rebuilt_as_the_events_the_widgets_take() -> None:
    tl = Timeline.from_stored(session())
    assert len(tl) == 10
    assert tl.steps[0].event == ev.UserMessage("hi")
    assert isinstance(tl.steps[2].event, ev.ActionProposed) and tl.steps[2].action_id == "a"
    assert tl.steps[3].event == ev.ActionDecided("a", "approve", "policy:read")
    assert tl.steps[0].at == datetime(2025, 3, 14, 9, 15, 2, 123000, tzinfo=UTC)
    assert [(s.action_id, s.start, s.end) for s in tl.spans] == [("a", 2, 6), ("b", 6, 8)]


@pytest.mark.parametrize(
    ("kind", "payload", "problem"),
    [
        ("file.moved", {"path": "x"}, "an event kind this version lacks"),
        ("user.message", {}, "its payload does not fit user.message (it has no 'text')"),
        ("action.result", {"ok": True, "output": ""}, "(it has no 'action_id')"),
        ("user.message", {"_unreadable": "{not json"}, "its payload is not readable JSON"),
        ("user.message", {"text": ["a", "list"]}, "its field 'text' has the wrong type"),
        ("action.result", {"action_id": "a", "ok": "yes", "output": ""}, "field 'ok'"),
        (
            "turn.usage",
            {"model": "m", "prompt_tokens": True, "completion_tokens": 1, "cost_usd": 0},
            "field 'prompt_tokens'",
        ),
        ("action.proposed", {**proposed("a"), "preview": "<b>"}, "field 'preview'"),
    ],
)
def test_events_that_cannot_be_rebuilt_become_steps_with_a_reason(
    kind: str, payload: dict[str, Any], problem: str
) -> None:
    step = rebuild(stored(3, kind, payload))
    assert step.event is None and problem in step.problem and step.seq == 3


def test_an_older_payload_without_later_fields_still_reads() -> None:
    """A proposal recorded before call ids, previews and fingerprints were kept."""
    old = {"action_id": "a1", "tool": "shell", "effect": "write", "targets": ["path:a.txt"]}
    step = rebuild(stored(2, "action.proposed", old))
    assert step.event == ev.ActionProposed(
        "a1", None, "shell", {}, "write", "", {}, ["path:a.txt"], ""
    )
    result = rebuild(stored(3, "action.result", {"action_id": "a1", "output": "x"})).event
    assert result == ev.ActionResult("a1", False, "x")  # no "ok": not taken for a success
    unlock = rebuild(stored(4, "host.unlocked", {"unlock_id": "h1", "host": "x:80", "label": "x"}))
    assert unlock.event == ev.HostUnlocked("h1", "x:80", False, "x")  # not private unless said


def test_a_null_where_a_value_may_be_null_is_accepted() -> None:
    payload = {"model": "m", "prompt_tokens": 1, "completion_tokens": 2, "cost_usd": None}
    assert rebuild(stored(1, "turn.usage", payload)).event == ev.TurnUsage("m", 1, 2, None)
    assert rebuild(stored(1, "turn.usage", {**payload, "cost_usd": 1})).event is not None


def test_forward_back_and_seek_clamp_to_the_session() -> None:
    tl = Timeline.from_stored(session())
    assert tl.at_start and tl.current is None and tl.applied() == ()
    assert [s.seq for s in tl.forward(3)] == [1, 2, 3]
    assert tl.current is not None and tl.current.seq == 3
    assert tl.back(1) == 2 and [s.seq for s in tl.applied()] == [1, 2]
    assert tl.back(99) == 0
    assert tl.seek(1000) == 10 and tl.at_end and tl.forward(1) == ()
    assert tl.seek(-5) == 0
    assert tl.forward(-2) == () and tl.position == 0


def test_next_and_previous_action_jump_over_whole_actions() -> None:
    tl = Timeline.from_stored(session())
    assert tl.next_action() and tl.position == 6  # a: proposed..result applied
    assert tl.action_ids() == ["a"]
    assert tl.next_action() and tl.position == 8  # b: proposed, denied
    assert not tl.next_action() and tl.position == 8
    assert tl.previous_action() and tl.position == 6
    assert tl.previous_action() and tl.position == 0  # no action before a: the start
    assert not tl.previous_action()
    tl.seek(4)  # in the middle of a: next goes to b, previous back to the start
    assert tl.next_action() and tl.position == 8
    tl.seek(4)
    assert tl.previous_action() and tl.position == 0


def test_action_events_interleaved_with_others_end_the_span() -> None:
    rows = session()
    rows.insert(
        4,
        stored(
            99,
            "turn.usage",
            {"model": "m", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.1},
        ),
    )
    tl = Timeline.from_stored(rows)
    assert [(s.action_id, s.start, s.end) for s in tl.spans] == [("a", 2, 4), ("b", 7, 9)]


def test_play_cycles_speeds_ticks_forward_and_stops_at_the_end() -> None:
    tl = Timeline.from_stored(session())
    assert tl.tick() is None and tl.position == 0  # paused: a tick does nothing
    assert tl.cycle_speed() == SPEEDS[0] == 1
    fast = tl.interval
    assert tl.cycle_speed() == 4 and tl.interval == pytest.approx(fast / 4)
    assert tl.cycle_speed() is None
    tl.cycle_speed()
    seqs = []
    while tl.speed is not None:
        step = tl.tick()
        assert step is not None
        seqs.append(step.seq)
    assert seqs == list(range(1, 11)) and tl.at_end
    tl.cycle_speed()  # play from the end starts over
    assert tl.position == 0 and tl.speed == 1


def test_an_empty_session_is_at_start_and_end() -> None:
    tl = Timeline([])
    assert tl.at_start and tl.at_end and not tl.next_action() and tl.spans == ()


def test_the_timeline_does_not_import_textual() -> None:
    code = "import sys, assistant.ui.replay_timeline; print('textual' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"
