"""Journal contents for the journal and history tests: a stepping clock, proposals, and a session
with one action of every outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.journal import Journal


class Clock:
    """A frozen clock that moves one second per reading, so timestamps are predictable."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 31, 9, 15, 2, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def proposed(action_id: str, tool: str = "csv_files", effect: str = "read", **extra: Any) -> dict:
    return {
        "action_id": action_id,
        "call_id": "call-" + action_id,
        "tool": tool,
        "args": {},
        "effect": effect,
        "summary": f"{tool} {action_id}",
        "preview": {"kind": "text", "text": f"preview of {action_id}", "data": {}},
        "targets": [],
        "fingerprint": "f" * 32,
        **extra,
    }


def full_session(j: Journal, **create: Any) -> str:
    """A session with one of every outcome: done, failed, denied, outcome unknown, undecided."""
    sid = j.create_session(model="openai/test", workspace="/tmp/ws", **create)
    events: list[tuple[str, dict]] = [
        ("user.message", {"text": "Clean the invoices\nand then report"}),
        ("assistant.message", {"text": "Reading the invoices first.", "tool_calls": []}),
        ("action.proposed", proposed("a-done", targets=["path:data/invoices.csv"])),
        ("action.decided", {"action_id": "a-done", "verdict": "approve", "by": "policy:read"}),
        ("action.approved", {"action_id": "a-done", "by": "policy:read"}),
        ("action.result", {"action_id": "a-done", "ok": True, "output": "42 rows, 3 duplicates"}),
        (
            "action.proposed",
            proposed(
                "a-deny",
                tool="http_request",
                effect="write",
                targets=["host:API.example.com:443"],
            ),
        ),
        (
            "action.decided",
            {"action_id": "a-deny", "verdict": "deny", "by": "human", "reason": "no"},
        ),
        ("action.proposed", proposed("a-fail", effect="write", targets=["path:data/out.csv"])),
        ("action.decided", {"action_id": "a-fail", "verdict": "approve", "by": "human"}),
        ("action.approved", {"action_id": "a-fail", "by": "human"}),
        ("action.result", {"action_id": "a-fail", "ok": False, "output": "disk full"}),
        ("action.error", {"call_id": "c9", "tool": "nope", "message": "unknown tool nope"}),
        (
            "turn.usage",
            {"model": "m", "prompt_tokens": 100, "completion_tokens": 20, "cost_usd": 0.25},
        ),
        ("action.proposed", proposed("a-lost", tool="shell_lite", effect="write")),
        ("action.decided", {"action_id": "a-lost", "verdict": "edit", "by": "human"}),
        ("action.approved", {"action_id": "a-lost", "by": "human"}),
        ("action.proposed", proposed("a-wait")),
        (
            "turn.usage",
            {"model": "m", "prompt_tokens": 7, "completion_tokens": 3, "cost_usd": None},
        ),
    ]
    for kind, payload in events:
        j.append(sid, kind, payload)
    return sid
