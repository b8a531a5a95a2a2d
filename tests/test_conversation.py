"""Resuming: stored events become chat messages; an unanswered approved action is never re-run."""

from __future__ import annotations

from assistant.agent.conversation import OUTCOME_UNKNOWN, messages_from_events


def call(cid: str, name: str = "note") -> dict[str, str]:
    return {"id": cid, "name": name, "arguments": "{}"}


def test_every_tool_call_gets_its_result_in_order() -> None:
    events = [
        ("user.message", {"text": "go"}),
        (
            "assistant.message",
            {"text": "", "tool_calls": [call("c1"), call("c2"), call("c3"), call("c4")]},
        ),
        ("action.proposed", {"action_id": "a1", "call_id": "c1"}),
        ("action.decided", {"action_id": "a1", "verdict": "approve", "by": "human"}),
        ("action.approved", {"action_id": "a1"}),
        ("action.result", {"action_id": "a1", "output": "wrote x"}),
        ("action.proposed", {"action_id": "a2", "call_id": "c2"}),
        ("action.decided", {"action_id": "a2", "verdict": "deny", "by": "human", "reason": "no"}),
        ("action.error", {"call_id": "c3", "tool": "nope", "message": "unknown tool"}),
        ("action.proposed", {"action_id": "a4", "call_id": "c4"}),
        ("action.decided", {"action_id": "a4", "verdict": "approve", "by": "human"}),
        ("action.approved", {"action_id": "a4"}),
    ]
    msgs = messages_from_events(events)
    assert [m["role"] for m in msgs] == ["user", "assistant", "tool", "tool", "tool", "tool"]
    texts = [m["content"] for m in msgs[2:]]
    assert texts[0] == "wrote x"
    assert "Denied by human: no" in texts[1]
    assert texts[2] == "error: unknown tool"
    assert texts[3] == OUTCOME_UNKNOWN and "NOT re-run" in texts[3]


def test_a_call_never_decided_reads_as_not_run() -> None:
    events = [
        ("user.message", {"text": "go"}),
        ("assistant.message", {"text": "ok", "tool_calls": [call("c1")]}),
        ("action.proposed", {"action_id": "a1", "call_id": "c1"}),
        ("user.message", {"text": "again"}),
    ]
    msgs = messages_from_events(events)
    assert msgs[2]["content"].startswith("not run")
    assert msgs[3] == {"role": "user", "content": "again"}
