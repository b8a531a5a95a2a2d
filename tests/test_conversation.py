"""Resuming: stored events become chat messages; an unanswered approved action is never re-run."""

from __future__ import annotations

from typing import Any

from assistant.agent import events as ev
from assistant.agent.conversation import NOT_DECIDED, OUTCOME_UNKNOWN, messages_from_events


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
    assert msgs[3] == {"role": "user", "content": "again"}


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
