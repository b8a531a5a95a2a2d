"""Folding a session's action.* events into where each action ended up.

The journal commits ``action.approved`` before a tool runs, so an approved action with no
result was interrupted mid-run: its outcome is unknown, and nothing re-runs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.journal._records import (
    DENIED,
    DONE,
    FAILED,
    OUTCOME_UNKNOWN,
    PROPOSED,
    ActionRecord,
    ActionState,
    StoredEvent,
)


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fold_actions(events: Iterable[StoredEvent]) -> dict[str, ActionState]:
    """action_id -> state, in the order actions were first seen.

    An action decided "approve" or "edit" whose ``action.approved`` never got written stays
    "proposed" with its verdict set: it was not run.
    """
    acc: dict[str, dict[str, Any]] = {}
    for ev in events:
        if not ev.kind.startswith("action."):
            continue
        p = ev.payload
        action_id = p.get("action_id")
        if not isinstance(action_id, str) or not action_id:
            continue  # an action.error for a call that never became an action
        st = acc.setdefault(
            action_id,
            {
                "action_id": action_id,
                "tool": _s(p.get("tool")),
                "summary": "",
                "effect": "",
                "decided_by": None,
                "verdict": None,
                "state": PROPOSED,
            },
        )
        if ev.kind == "action.proposed":
            st.update(
                tool=_s(p.get("tool")) or st["tool"],
                summary=_s(p.get("summary")),
                effect=_s(p.get("effect")),
            )
        elif ev.kind == "action.decided":
            st["verdict"] = _s(p.get("verdict")) or None
            st["decided_by"] = _s(p.get("by")) or None
            if st["verdict"] == "deny":
                st["state"] = DENIED
        elif ev.kind == "action.approved":
            st["decided_by"] = st["decided_by"] or _s(p.get("by")) or None
            st["verdict"] = st["verdict"] or "approve"
            st["state"] = OUTCOME_UNKNOWN
        elif ev.kind == "action.result":
            st["state"] = DONE if p.get("ok") is True else FAILED
        elif ev.kind == "action.error":
            st["state"] = FAILED
    return {key: ActionState(**value) for key, value in acc.items()}


def action_record(session_id: str, action_id: str, events: Iterable[StoredEvent]) -> ActionRecord:
    """The payloads of one action's events (the last of each kind) and its folded state."""
    events = [e for e in events if e.payload.get("action_id") == action_id]
    by_kind = {e.kind.removeprefix("action."): e.payload for e in events}
    state = fold_actions(events)[action_id].state
    return ActionRecord(
        session_id=session_id,
        action_id=action_id,
        state=state,
        proposed=by_kind.get("proposed", {}),
        decided=by_kind.get("decided"),
        approved=by_kind.get("approved"),
        result=by_kind.get("result"),
        error=by_kind.get("error"),
    )
