"""A session read for export: redacted once more, and folded into the items a reader follows
(prompts, answers, each action's life from proposal to outcome, rules and errors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.agent import action_life
from assistant.agent import events as ev

if TYPE_CHECKING:
    from assistant.journal import Journal, SessionInfo, StoredEvent, VerifyResult

Redact = Callable[[Any], Any]


def text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


NOTES = {
    "call_error": "Tool call refused",
    "fault": "Internal error",
    "turn_error": "Turn stopped",
    "grant": "Allowed for the session",
    "unlock": "Unlocked for the session",
    "revoked": "Revoked",
    "end": "Turn ended",
    "unreadable": "An event this version cannot read",
}
"""How each item that is not a prompt, an answer or an action is introduced."""


@dataclass
class Item:
    """One thing that happened: kind is user, assistant, action, call_error, fault, turn_error,
    grant, unlock, revoked, unreadable or end."""

    kind: str
    ts: str
    text: str = ""
    life: action_life.Life | None = None
    extra: str = ""
    faults: list[ev.ToolFault] = field(default_factory=list)
    cut: str = ""
    """For an answer that did not finish (the person stopped it, the stream broke): its mark,
    ``present.cut_off``; its text is what had been shown."""


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


def fold(stored: list[StoredEvent]) -> list[Item]:
    """Events in order -> items; an action's decision, approval, result, faults and the rules it
    left join its proposal (the life ``assistant.agent.action_life`` folds)."""
    events, lives = action_life.fold_stored(stored)
    items: list[Item] = []
    for index, (e, row) in enumerate(zip(events, stored, strict=True)):
        ts = row.ts
        owner = lives.owner.get(index)
        match e:
            case ev.UserMessage(text=said):
                items.append(Item("user", ts, said))
            case ev.AssistantMessage(text=said, tool_calls=calls):
                names = ", ".join(text(c.get("name")) for c in calls if isinstance(c, dict))
                if said or names:
                    items.append(Item("assistant", ts, said, extra=names))
            case ev.ActionProposed() if owner is not None:
                items.append(Item("action", ts, life=owner))
            case ev.ActionError(message=message, tool=tool) if owner is None:
                items.append(
                    Item(
                        "call_error",
                        ts,
                        message,
                        extra=tool,
                        faults=lives.call_faults.get(index, []),
                    )
                )
            case ev.ToolFault() if index not in lives.claimed:
                items.append(Item("fault", ts, fault_line(e), extra=e.tool, faults=[e]))
            case ev.TurnError(message=message, error=error, partial=partial):
                if partial:  # a reply cut off is no assistant.message: the text it had shown
                    items.append(Item("assistant", ts, partial, cut=present.cut_off(error)))
                items.append(Item("turn_error", ts, message, extra=error))
            case ev.GrantAdded(label=label, grant_id=rule_id) if owner is None:
                items.append(Item("grant", ts, label, extra=rule_id))
            case ev.HostUnlocked(label=label, unlock_id=rule_id) if owner is None:
                items.append(Item("unlock", ts, label, extra=rule_id))
            case ev.GrantRevoked(grant_id=rule_id):
                items.append(Item("revoked", ts, rule_label(lives, rule_id), extra=rule_id))
            case ev.TurnEnd(reason=reason) if reason != "done":
                items.append(Item("end", ts, reason))
            case ev.Unreadable(stored_kind=kind, problem=problem):
                items.append(Item("unreadable", ts, problem, extra=kind))
    return items


def rule_label(lives: action_life.ActionFold, rule_id: str) -> str:
    """What a revoked rule or unlock had allowed, in words ("" when the session never said)."""
    rule = lives.rules.get(rule_id)
    if isinstance(rule, ev.HostUnlocked):
        return f"unlock of {rule.label}"
    return rule.label if rule is not None else ""


def fault_line(fault: ev.ToolFault) -> str:
    """An internal error in one line: where it happened, its type and message, where raised."""
    where = f" at {fault.frames[-1]}" if fault.frames else ""
    return f"while {fault.phase}: {fault.error}: {fault.message}{where}"


def header_facts(t: Transcript) -> list[tuple[str, str]]:
    """(label, value) pairs that open every transcript."""
    info = t.info
    facts = [
        ("session", info.id),
        ("title", text(info.title) or "(untitled)"),
        ("model", info.model or "none"),
        ("workspace", info.workspace),
        ("started", present.utc(info.created_at)),
        ("last event", present.utc(info.updated_at)),
    ]
    if info.parent:
        facts.append(("parent session", info.parent))
    imported = info.meta.get("imported") if isinstance(info.meta, dict) else None
    if isinstance(imported, dict):
        facts.append(("imported from", text(imported.get("source_session"))))
    recipe = info.meta.get("recipe") if isinstance(info.meta, dict) else None
    if isinstance(recipe, dict):
        facts.append(("recipe", text(recipe.get("path"))))
    cost = present.session_cost(info)
    facts.append(
        (
            "actions",
            f"{info.n_actions} (writes {info.n_writes}, denied {info.n_denied}), errors "
            f"{info.n_errors}, tokens {info.tokens}, cost {cost}",
        )
    )
    facts.append(("journal", "chain intact" if t.check.ok else f"ALTERED: {t.check.reason}"))
    return facts


def action_facts(life: action_life.Life) -> list[tuple[str, str]]:
    """(label, value) pairs under an action's heading: its story in the order it happened."""
    facts: list[tuple[str, str]] = []
    if life.edited_from is not None:
        facts.append(("Edited from", f"action {life.edited_from.action_id}"))
    if life.proposed.needs_person:
        facts.append(("Needs a person", life.proposed.needs_person))
    decision = action_life.decision_line(life)
    if decision:
        facts.append(("Decision", decision))
    for rule in life.rules:
        rule_id = action_life.rule_id(rule)
        what = (
            present.granted(rule.lasting).capitalize()
            if isinstance(rule, ev.GrantAdded)
            else "Unlocked"
        )
        revoked = " (revoked later)" if rule_id in life.revoked else ""
        facts.append((what, f"{rule_id}: {rule.label}{revoked}"))
    for fault in life.faults:
        facts.append(("Internal error", fault_line(fault)))
    facts.append(("Outcome", action_life.outcome(life)))
    return facts
