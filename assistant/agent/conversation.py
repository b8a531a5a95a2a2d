"""Rebuild a conversation from stored events, so a session can be resumed after a stop or a crash.

Each tool call gets the text the model read for it live, told by the life of its action (an
edited call by the action it was re-planned as). An action approved but never answered gets a
result saying its outcome is unknown: it is never re-run, and the model is told to check before
repeating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.agent import action_life
from assistant.agent import events as ev

OUTCOME_UNKNOWN = (
    "outcome unknown: the app stopped after this action was approved and before its result was "
    "recorded. It was NOT re-run. Check its effect before trying it again."
)

NOT_DECIDED = "not run: the session stopped before this call was decided."


def messages_from_events(events: Sequence[ev.Event]) -> list[dict[str, Any]]:
    """A session's typed events, in order -> chat messages (without the system prompt)."""
    lives = action_life.fold(events)
    first_of_call: dict[str, action_life.Life] = {}
    for life in lives.lives.values():
        if life.proposed.call_id and life.edited_from is None:
            first_of_call.setdefault(life.proposed.call_id, life)
    refused: dict[str, str] = {}  # call id -> the error of a call that never became an action
    for index, event in enumerate(events):
        if isinstance(event, ev.ActionError) and event.call_id and index not in lives.owner:
            refused[event.call_id] = event.message

    def tool_text(call_id: str) -> str:
        life = first_of_call.get(call_id)
        if life is None:
            return f"error: {refused[call_id]}" if call_id in refused else NOT_DECIDED
        return _told(life.final)

    messages: list[dict[str, Any]] = []
    waiting: list[str] = []

    def flush() -> None:
        messages.extend(
            {"role": "tool", "tool_call_id": cid, "content": tool_text(cid)} for cid in waiting
        )
        waiting.clear()

    for event in events:
        match event:
            case ev.UserMessage(text=text):
                flush()
                messages.append({"role": "user", "content": text})
            case ev.AssistantMessage(text=text, tool_calls=calls):
                flush()
                message: dict[str, Any] = {"role": "assistant", "content": text or None}
                good = [c for c in calls if isinstance(c, dict) and isinstance(c.get("id"), str)]
                if good:
                    message["tool_calls"] = [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c.get("name"), "arguments": c.get("arguments")},
                        }
                        for c in good
                    ]
                    waiting.extend(c["id"] for c in good)
                messages.append(message)
    flush()
    return messages


def _told(life: action_life.Life) -> str:
    """What the model read for the last action of a call."""
    if life.result is not None:
        return life.result.output
    if life.error is not None:
        return f"error: {life.error.message}"
    if life.approved is not None:
        return OUTCOME_UNKNOWN
    if life.verdict in ("deny", "edit"):  # an edit that was not re-planned ran nothing either
        who = "the user" if life.decided_by == "human" else life.decided_by
        reason = life.reason or "no reason given"
        return f"Denied by {who}: {reason}. The action was not run."
    return NOT_DECIDED
