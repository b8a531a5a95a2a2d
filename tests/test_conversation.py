"""Resuming: stored events become chat messages; an unanswered approved action is never re-run."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.agent import events as ev
from assistant.agent.conversation import (
    NOT_DECIDED,
    OUTCOME_UNKNOWN,
    Conversation,
    messages_from_events,
)


def call(cid: str, name: str = "note") -> dict[str, str]:
    return {"id": cid, "name": name, "arguments": "{}"}


def proposed(action_id: str, call_id: str | None, **args: Any) -> ev.ActionProposed:
    return ev.ActionProposed(action_id, call_id, "note", args, "write", "note", {}, [], "f")


def test_every_tool_call_gets_its_result_in_order() -> None:
    events = [
        ev.UserMessage("go"),
        ev.AssistantMessage("", [call("c1"), call("c2"), call("c3"), call("c4")]),
        proposed("a1", "c1"),
        ev.ActionDecided("a1", "approve", "human"),
        ev.ActionApproved("a1", "human"),
        ev.ActionResult("a1", True, "wrote x"),
        proposed("a2", "c2"),
        ev.ActionDecided("a2", "deny", "human", "no"),
        ev.ActionError("c3", "nope", "unknown tool"),
        proposed("a4", "c4"),
        ev.ActionDecided("a4", "approve", "human"),
        ev.ActionApproved("a4", "human"),
    ]
    msgs = messages_from_events(events)
    assert [m["role"] for m in msgs] == ["user", "assistant", "tool", "tool", "tool", "tool"]
    texts = [m["content"] for m in msgs[2:]]
    assert texts[0] == "wrote x"
    # the words the model read live (the gate's): "the user", not the journal's "human"
    assert texts[1] == "Denied by the user: no. The action was not run."
    assert texts[2] == "error: unknown tool"
    assert texts[3] == OUTCOME_UNKNOWN and "NOT re-run" in texts[3]


def test_a_call_never_decided_reads_as_not_run() -> None:
    events = [
        ev.UserMessage("go"),
        ev.AssistantMessage("ok", [call("c1")]),
        proposed("a1", "c1"),
        ev.UserMessage("again"),
    ]
    msgs = messages_from_events(events)
    assert msgs[2]["content"] == NOT_DECIDED
    # the turn of "go" never ended (the app stopped): the next message says so
    assert msgs[3]["role"] == "user" and msgs[3]["content"].endswith("\nagain")
    assert "Your last turn did not finish: the app stopped" in msgs[3]["content"]
    assert "- note (c1) note: not run: no decision was recorded" in msgs[3]["content"]


def test_an_edited_call_reads_as_what_its_edited_action_did() -> None:
    """The edit re-plans the call as a new action: the model read that action's result."""
    events = [
        ev.UserMessage("go"),
        ev.AssistantMessage("", [call("c1"), call("c2")]),
        proposed("a1", "c1", text="draft"),
        ev.ActionDecided("a1", "edit", "human", edited_args={"text": "final"}),
        proposed("a2", "c1", text="final"),
        ev.ActionDecided("a2", "approve", "human"),
        ev.ActionApproved("a2", "human"),
        ev.ActionResult("a2", True, "noted final"),
        proposed("a3", "c2", text="x"),
        ev.ActionDecided("a3", "edit", "human", edited_args={"text": ["not", "text"]}),
        ev.ActionError("c2", "note", "text: expected a string"),
    ]
    texts = [m["content"] for m in messages_from_events(events) if m["role"] == "tool"]
    assert texts == ["noted final", "error: text: expected a string"]


def resumed_then(stored: list[ev.Event], later: list[ev.Event]) -> list[dict[str, Any]]:
    """What a session resumed after ``stored`` sends once ``later`` happened in it."""
    conversation = Conversation.rebuild(stored)
    for event in later:
        conversation.add(event)
    return conversation.messages()


CRASHED_TURN = [
    ev.UserMessage("go"),
    ev.AssistantMessage("", [call("c1"), call("c2")]),
    proposed("a1", "c1"),
    ev.ActionDecided("a1", "approve", "human"),
    ev.ActionApproved("a1", "human"),  # the app was killed while it ran
]
BY_HAND_OPEN = [
    ev.UserMessage("go"),
    ev.AssistantMessage("done", []),
    ev.TurnEnd("done"),
    proposed("h1", None, text="by hand"),  # waiting for the person when the app was killed
]


@pytest.mark.parametrize("stored", [CRASHED_TURN, BY_HAND_OPEN])
def test_a_resume_sends_what_a_rebuild_of_the_longer_session_sends(stored: list[ev.Event]) -> None:
    """The live resumed session and a later rebuild of the whole journal agree on every message,
    whatever the stored part left open (a crashed turn, a by-hand action never decided)."""
    later = [ev.UserMessage("next"), ev.AssistantMessage("ok", []), ev.TurnEnd("done")]
    live = resumed_then(stored, later)
    assert live == messages_from_events(stored + later)
    assert "[the person's message]\nnext" in live[-2]["content"]


def test_a_crashed_turn_is_told_with_the_next_message() -> None:
    msgs = resumed_then(CRASHED_TURN, [ev.UserMessage("did it run?")])
    assert [m["content"] for m in msgs if m["role"] == "tool"] == [OUTCOME_UNKNOWN, NOT_DECIDED]
    note = msgs[-1]["content"]
    assert "Your last turn did not finish" in note
    assert "- note (c1) note: outcome unknown" in note and "- note (c2): not run" in note


def test_a_by_hand_action_still_open_is_told_now_and_again_when_it_ends() -> None:
    events = [
        proposed("h1", None, text="x"),
        ev.UserMessage("first"),  # the person's action still waits for their decision
        ev.TurnEnd("done"),
        ev.ActionDecided("h1", "approve", "human"),
        ev.ActionApproved("h1", "human"),
        ev.ActionResult("h1", True, "noted x"),
        ev.UserMessage("second"),
        ev.TurnEnd("done"),
        ev.UserMessage("third"),
    ]
    msgs = messages_from_events(events)
    first, second, third = (m["content"] for m in msgs)
    assert "- note (write) note: not decided yet, not run" in first
    assert "- note (write) note: done" in second and "noted x" in second
    assert third == "third"  # told once it ended; not again


def test_calls_after_a_limit_read_why_they_were_not_run() -> None:
    events = [
        ev.UserMessage("go"),
        ev.AssistantMessage("", [call("c1"), call("c2")]),
        ev.ActionError("c1", "note", "bad"),
        ev.TurnError("turn stopped: the same note call failed 3 times", "limit"),
        ev.TurnEnd("limit"),
        ev.UserMessage("why?"),
    ]
    msgs = messages_from_events(events)
    assert [m["content"] for m in msgs if m["role"] == "tool"] == [
        "error: bad",
        "not run (turn stopped: the same note call failed 3 times)",
    ]
    assert (
        "Your last turn ended early: turn stopped: the same note call failed 3 times."
        in (msgs[-1]["content"])
    )
