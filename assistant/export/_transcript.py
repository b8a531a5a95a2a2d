"""A session read for export: redacted once more, and folded into the items a reader follows
(prompts, answers, each action with its preview, decision and result)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.journal import Journal, SessionInfo, StoredEvent, VerifyResult

Redact = Callable[[Any], Any]

STATE_WORDS = {
    "done": "done",
    "failed": "failed",
    "denied": "denied",
    "outcome unknown": "outcome unknown: approved, but no result was recorded; it was not re-run",
    "proposed": "not run: no decision was recorded",
}


def who(by: Any) -> str:
    """Who decided, in words: a person, a read policy, a session rule or an approval mode."""
    by = str(by or "")
    if by == "human":
        return "the person"
    if by == "policy:read":
        return "policy (reads run)"
    if by == "policy:deny":
        return "a deny rule in the config"
    if by.startswith("rule:"):
        return f"session rule {by[5:]}"
    return by or "unknown"


def text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


@dataclass
class ActionView:
    """One action's story, from proposal to result."""

    action_id: str
    ts: str
    tool: str
    effect: str
    summary: str
    preview: str
    needs_person: str = ""
    decisions: list[dict[str, Any]] = field(default_factory=list)
    approved_by: str = ""
    result: dict[str, Any] | None = None
    state: str = "proposed"


@dataclass
class Item:
    """One thing that happened: kind is user, assistant, action, call_error, turn_error, grant,
    revoked or end."""

    kind: str
    ts: str
    text: str = ""
    action: ActionView | None = None
    extra: str = ""


@dataclass
class Transcript:
    """A session as an export sees it: facts, chain check, items and the redacted events."""

    info: SessionInfo
    check: VerifyResult
    items: list[Item]
    events: list[StoredEvent]
    """The events as exported (payloads redacted again)."""
    changed: set[int] = field(default_factory=set)
    """Seqs whose payload this export's redaction changed (a secret the journal kept)."""


def default_redact() -> Redact:
    from assistant.secrets import redactor

    return redactor().redact


def load(journal: Journal, session_id: str, redact: Redact | None = None) -> Transcript:
    """Read a session, pass every payload through the Redactor again, and fold it into items."""
    import dataclasses

    redact = redact or default_redact()
    info = journal.get_session(session_id)
    check = journal.verify(info.id)
    info = dataclasses.replace(info, title=redact(info.title), meta=redact(info.meta))
    events, changed = [], set()
    for e in journal.events(info.id):
        clean = redact(e.payload)
        if clean != e.payload:
            changed.add(e.seq)
        events.append(dataclasses.replace(e, payload=clean))
    return Transcript(info, check, fold(events), events, changed)


def fold(events: list[StoredEvent]) -> list[Item]:
    """Events in order -> items; an action's decision, approval and result join its proposal."""
    items: list[Item] = []
    actions: dict[str, ActionView] = {}
    for e in events:
        p = e.payload
        action_id = p.get("action_id")
        view = actions.get(action_id) if isinstance(action_id, str) else None
        if e.kind == "user.message":
            items.append(Item("user", e.ts, text(p.get("text"))))
        elif e.kind == "assistant.message":
            raw_calls = p.get("tool_calls")
            calls = raw_calls if isinstance(raw_calls, list) else []
            names = ", ".join(text(c.get("name")) for c in calls if isinstance(c, dict))
            if text(p.get("text")) or names:
                items.append(Item("assistant", e.ts, text(p.get("text")), extra=names))
        elif e.kind == "action.proposed" and isinstance(action_id, str):
            raw_preview = p.get("preview")
            preview = raw_preview if isinstance(raw_preview, dict) else {}
            view = ActionView(
                action_id=action_id,
                ts=e.ts,
                tool=text(p.get("tool")),
                effect=text(p.get("effect")),
                summary=text(p.get("summary")),
                preview=text(preview.get("text")),
                needs_person=text(p.get("needs_person")),
            )
            actions[action_id] = view
            items.append(Item("action", e.ts, action=view))
        elif e.kind == "action.decided" and view is not None:
            view.decisions.append(p)
            if p.get("verdict") == "deny":
                view.state = "denied"
        elif e.kind == "action.approved" and view is not None:
            view.approved_by = text(p.get("by"))
            view.state = "outcome unknown"
        elif e.kind == "action.result" and view is not None:
            view.result = p
            view.state = "done" if p.get("ok") is True else "failed"
        elif e.kind == "action.error":
            items.append(
                Item("call_error", e.ts, text(p.get("message")), extra=text(p.get("tool")))
            )
        elif e.kind == "turn.error":
            items.append(
                Item("turn_error", e.ts, text(p.get("message")), extra=text(p.get("error")))
            )
        elif e.kind == "grant.added":
            items.append(Item("grant", e.ts, text(p.get("label")), extra=text(p.get("grant_id"))))
        elif e.kind == "grant.revoked":
            items.append(Item("revoked", e.ts, extra=text(p.get("grant_id"))))
        elif e.kind == "turn.end" and p.get("reason") not in (None, "done"):
            items.append(Item("end", e.ts, text(p.get("reason"))))
    return items


def header_facts(t: Transcript) -> list[tuple[str, str]]:
    """(label, value) pairs that open every transcript."""
    info = t.info
    facts = [
        ("session", info.id),
        ("title", text(info.title) or "(untitled)"),
        ("model", info.model or "none"),
        ("workspace", info.workspace),
        ("started", info.created_at),
        ("last event", info.updated_at),
    ]
    if info.parent:
        facts.append(("parent session", info.parent))
    imported = info.meta.get("imported") if isinstance(info.meta, dict) else None
    if isinstance(imported, dict):
        facts.append(("imported from", text(imported.get("source_session"))))
    recipe = info.meta.get("recipe") if isinstance(info.meta, dict) else None
    if isinstance(recipe, dict):
        facts.append(("recipe", text(recipe.get("path"))))
    if info.cost_usd is None:
        cost = "unknown" if info.cost_unknown else "none"
    else:
        cost = f"{'at least ' if info.cost_unknown else ''}${info.cost_usd:.4f}"
    facts.append(
        (
            "actions",
            f"{info.n_actions} (writes {info.n_writes}, denied {info.n_denied}), errors "
            f"{info.n_errors}, tokens {info.tokens}, cost {cost}",
        )
    )
    facts.append(("journal", "chain intact" if t.check.ok else f"ALTERED: {t.check.reason}"))
    return facts


def decision_lines(view: ActionView) -> list[str]:
    out = []
    for d in view.decisions:
        verdict = {"approve": "approved", "deny": "denied", "edit": "edited"}.get(
            text(d.get("verdict")), text(d.get("verdict"))
        )
        reason = f': "{text(d.get("reason"))}"' if d.get("reason") else ""
        out.append(f"{verdict} by {who(d.get('by'))}{reason}")
    if not view.decisions and view.approved_by:
        out.append(f"approved by {who(view.approved_by)}")
    return out
