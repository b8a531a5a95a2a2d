"""Rebuild a conversation from stored events, so a session can be resumed after a stop or a crash.

An action approved but never answered gets a result saying its outcome is unknown: it is never
re-run, and the model is told to check before repeating it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

OUTCOME_UNKNOWN = (
    "outcome unknown: the app stopped after this action was approved and before its result was "
    "recorded. It was NOT re-run. Check its effect before trying it again."
)

NOT_DECIDED = "not run: the session stopped before this call was decided."


def messages_from_events(events: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """(kind, payload) pairs in order -> chat messages (without the system prompt)."""
    messages: list[dict[str, Any]] = []
    pending: dict[str, str | None] = {}  # call_id -> tool text once known
    order: list[str] = []
    call_of_action: dict[str, str] = {}
    approved: set[str] = set()

    def flush() -> None:
        for call_id in order:
            text = pending.get(call_id)
            if text is None:
                actions = [a for a, c in call_of_action.items() if c == call_id]
                text = OUTCOME_UNKNOWN if approved.intersection(actions) else NOT_DECIDED
            messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        order.clear()
        pending.clear()

    for kind, payload in events:
        if kind == "user.message":
            flush()
            messages.append({"role": "user", "content": payload.get("text", "")})
        elif kind == "assistant.message":
            flush()
            calls = payload.get("tool_calls") or []
            message: dict[str, Any] = {"role": "assistant", "content": payload.get("text") or None}
            if calls:
                message["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": c["arguments"]},
                    }
                    for c in calls
                ]
                for c in calls:
                    order.append(c["id"])
                    pending[c["id"]] = None
            messages.append(message)
        elif kind == "action.proposed" and payload.get("call_id"):
            call_of_action[payload["action_id"]] = payload["call_id"]
        elif kind == "action.decided" and payload.get("verdict") == "deny":
            call_id = call_of_action.get(payload.get("action_id", ""))
            if call_id in pending:
                reason = payload.get("reason") or "no reason given"
                pending[call_id] = (
                    f"Denied by {payload.get('by', 'the user')}: {reason}. The action was not run."
                )
        elif kind == "action.approved":
            approved.add(payload.get("action_id", ""))
        elif kind == "action.result":
            call_id = call_of_action.get(payload.get("action_id", ""))
            if call_id in pending:
                pending[call_id] = payload.get("output", "")
        elif kind == "action.error":
            call_id = payload.get("call_id")
            if call_id in pending:
                pending[call_id] = f"error: {payload.get('message', '')}"
    flush()
    return messages
