"""The life of each action, folded once from a session's events: every view renders from it.

An action is proposed, decided (by a person, a rule or a policy), maybe edited (the gate then
re-plans the call as a new action, proposed next), approved, and ends in a result, an error or
a fault; approving it may add a session rule or unlock a host, which may later be revoked.
The journal commits ``action.approved`` before a tool runs, so an approved action with no
result was cut off mid-run: its outcome is unknown, and nothing re-runs it.

The fold is incremental (``ActionFold.add``), so the live conversation and a stored session go
through the same steps; events that are not about an action are left to the views. ``outcome``
and ``decision_line`` say where an action ended up and who decided, for records (history show,
the exports).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant import present
from assistant.agent import events as ev

PROPOSED = "proposed"
"""No decision was recorded: it was not run."""
DENIED = "denied"
EDITED = "edited"
"""A person edited its arguments: the gate re-planned the call as ``edited_into``."""
OUTCOME_UNKNOWN = "outcome unknown"
DONE = "done"
FAILED = "failed"

Rule = ev.GrantAdded | ev.HostUnlocked
"""What an approval can leave behind for the session: a rule (g1…) or a host unlock (h1…)."""


class Stored(Protocol):
    """A stored event as the journal returns it (``assistant.journal.StoredEvent``)."""

    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def ts(self) -> str: ...


@dataclass(eq=False)
class Life:
    """One action from proposal to outcome; ``*_at`` are journal times ("" when live)."""

    proposed: ev.ActionProposed
    at: str = ""
    call_arguments: str | None = None
    """The arguments as the model sent them (raw JSON), when they are this action's own (a call
    from the model, not re-planned after an edit)."""
    decision: ev.ActionDecided | None = None
    decided_at: str = ""
    approved: ev.ActionApproved | None = None
    approved_at: str = ""
    result: ev.ActionResult | None = None
    finished_at: str = ""
    error: ev.ActionError | None = None
    """The call refused once it was an action (or, after an edit, the edited arguments)."""
    faults: list[ev.ToolFault] = field(default_factory=list)
    edited_from: Life | None = None
    edited_into: Life | None = None
    grant: ev.GrantAdded | None = None
    unlocks: list[ev.HostUnlocked] = field(default_factory=list)
    revoked: dict[str, str] = field(default_factory=dict)
    """Id of its rule or unlock -> when it was revoked."""
    batch: tuple[int, int] | None = None
    """(n, of): its call's place among the calls of the model reply that asked for it, as
    the confirm pane said it ("Action 2 of 3"); None for an action typed by hand."""

    @property
    def action_id(self) -> str:
        return self.proposed.action_id

    @property
    def verdict(self) -> str | None:
        """approve, deny or edit; "approve" when only the approval was recorded."""
        if self.decision is not None:
            return self.decision.verdict
        return "approve" if self.approved is not None else None

    @property
    def decided_by(self) -> str | None:
        """human, rule:<id>, policy:read, policy:deny or the approval mode; None: undecided."""
        if self.decision is not None and self.decision.by:
            return self.decision.by
        return self.approved.by if self.approved is not None and self.approved.by else None

    @property
    def reason(self) -> str:
        return self.decision.reason if self.decision is not None else ""

    @property
    def state(self) -> str:
        """Where it ended up: one of the state constants of this module."""
        if self.result is not None:
            return DONE if self.result.ok is True else FAILED
        if self.error is not None:
            return FAILED
        if self.approved is not None:
            return OUTCOME_UNKNOWN
        if self.verdict == "deny":
            return DENIED
        if self.verdict == "edit":
            return EDITED
        return PROPOSED

    @property
    def rules(self) -> list[Rule]:
        """The rule and host unlocks approving it left for the session, in order."""
        return ([self.grant] if self.grant is not None else []) + list(self.unlocks)

    @property
    def final(self) -> Life:
        """The last action of its edit chain (itself when it was not edited)."""
        life = self
        while life.edited_into is not None:
            life = life.edited_into
        return life

    @property
    def chain(self) -> list[Life]:
        """Every action of its edit chain, the first proposal first."""
        first = self
        while first.edited_from is not None:
            first = first.edited_from
        out = [first]
        while (after := out[-1].edited_into) is not None:
            out.append(after)
        return out


class ActionFold:
    """Lives of the actions of one session, fed its events in order (``add``)."""

    def __init__(self) -> None:
        self.lives: dict[str, Life] = {}
        """Action id -> its life, in the order proposed."""
        self.rules: dict[str, Rule] = {}
        """Rule or unlock id -> the event that made it."""
        self.revoked: dict[str, str] = {}
        """Rule or unlock id -> when it was revoked."""
        self.owner: dict[int, Life] = {}
        """Index of an event (the order ``add`` saw it) -> the life it is part of."""
        self.calls: dict[str, str] = {}
        """Call id -> the raw JSON arguments the model sent."""
        self._count = 0
        self._edits: dict[tuple[str | None, str], Life] = {}
        """(call id, tool) -> the life whose edit the gate is about to re-plan."""
        self._running: Life | None = None
        self._rule_at: dict[str, int] = {}
        self.call_faults: dict[int, list[ev.ToolFault]] = {}
        """Index of an error for a call that never became an action -> the faults recorded
        with it (the error is what the model read; a fault keeps the exception)."""
        self.claimed: set[int] = set()
        """Indexes of faults folded into a life or a call's error (not shown on their own)."""
        self._orphans: list[tuple[int, ev.ToolFault]] = []
        self._batch: dict[str, tuple[int, int]] = {}
        """Call id -> (n, of) in the latest model reply."""

    def add(self, event: ev.Event, at: str = "") -> Life | None:
        """Fold one event; returns the life it belongs to (None: not about an action)."""
        index = self._count
        self._count += 1
        life = self._apply(event, at, index)
        if life is not None:
            self.owner[index] = life
        return life

    def life(self, action_id: str | None) -> Life | None:
        return self.lives.get(action_id) if action_id else None

    def _apply(self, event: ev.Event, at: str, index: int) -> Life | None:
        match event:
            case ev.UserMessage() | ev.TurnEnd() | ev.TurnError():
                self._edits.clear()  # a re-planned edit is proposed at once, within its turn
            case ev.AssistantMessage(tool_calls=calls):
                self._edits.clear()
                ids = [
                    c["id"] for c in calls if isinstance(c, dict) and isinstance(c.get("id"), str)
                ]
                self._batch = {call_id: (n, len(ids)) for n, call_id in enumerate(ids, 1)}
                for call in calls:
                    if isinstance(call, dict) and isinstance(call.get("id"), str):
                        arguments = call.get("arguments")
                        if isinstance(arguments, str):
                            self.calls[call["id"]] = arguments
            case ev.ActionProposed(action_id=aid) if aid:
                if aid in self.lives:  # seen before (a replay going back and forth)
                    seen = self.lives[aid]
                    key = (event.call_id, event.tool)
                    if seen.edited_from is not None and self._edits.get(key) is seen.edited_from:
                        del self._edits[key]
                    return seen
                before = self._edits.pop((event.call_id, event.tool), None)
                spelled = self.calls.get(event.call_id or "") if before is None else None
                life = Life(event, at, spelled, batch=self._batch.get(event.call_id or ""))
                if before is not None:
                    before.edited_into, life.edited_from = life, before
                self.lives[aid] = life
                return life
            case ev.ActionDecided(action_id=aid) if aid in self.lives:
                life = self.lives[aid]
                life.decision, life.decided_at = event, at
                if event.grant and event.grant in self.rules:
                    rule = self.rules[event.grant]
                    if isinstance(rule, ev.GrantAdded):
                        life.grant = rule
                        self.owner[self._rule_at[event.grant]] = life
                if event.verdict == "edit" and event.edited_args is not None:
                    self._edits[(life.proposed.call_id, life.proposed.tool)] = life
                return life
            case ev.ActionApproved(action_id=aid) if aid in self.lives:
                life = self.lives[aid]
                life.approved, life.approved_at = event, at
                self._running = life
                return life
            case ev.ActionResult(action_id=aid) if aid in self.lives:
                life = self.lives[aid]
                life.result, life.finished_at = event, at
                if self._running is life:
                    self._running = None
                return life
            case ev.ActionError(action_id=aid) if aid is not None and aid in self.lives:
                life = self.lives[aid]
                life.error = life.error or event
                return life
            case ev.ActionError():
                ended = self._open_call(event.call_id, event.tool)
                faults = self._claim_faults(event.call_id, event.tool)
                self.claimed.update(i for i, _ in faults)
                if ended is None:
                    if faults:
                        self.call_faults[index] = [f for _, f in faults]
                    return None
                ended.error = ended.error or event
                self._edits.pop((event.call_id, event.tool), None)
                for fault_index, fault in faults:
                    ended.faults.append(fault)
                    self.owner[fault_index] = ended
                return ended
            case ev.ToolFault(action_id=aid) if aid is not None and aid in self.lives:
                self.lives[aid].faults.append(event)
                self.claimed.add(index)
                return self.lives[aid]
            case ev.ToolFault():
                failing = self._open_call(event.call_id, event.tool)
                if failing is not None:
                    failing.faults.append(event)
                    self.claimed.add(index)
                    return failing
                self._orphans.append((index, event))
            case ev.GrantAdded(grant_id=made) | ev.HostUnlocked(unlock_id=made):
                self.rules[made] = event
                self._rule_at[made] = index
                if isinstance(event, ev.HostUnlocked) and self._running is not None:
                    self._running.unlocks.append(event)
                    return self._running
            case ev.GrantRevoked(grant_id=revoked):
                self.revoked[revoked] = at
                for life in self.lives.values():
                    if any(rule_id(r) == revoked for r in life.rules):
                        life.revoked[revoked] = at
        return None

    def _open_call(self, call_id: str | None, tool: str) -> Life | None:
        """The action an error or fault without an action id ends: the edit the gate was
        re-planning, or the newest action of that call that has no outcome yet (its decision or
        its run failed). A call without an id (typed by a person) can only end the newest one."""
        edited = self._edits.get((call_id, tool))
        if edited is not None:
            return edited
        lives = list(self.lives.values())
        for life in reversed(lives if call_id is not None else lives[-1:]):
            if life.proposed.call_id == call_id and life.proposed.tool == tool:
                open_ = life.result is None and life.error is None and life.verdict != "deny"
                return life if open_ else None
        return None

    def _claim_faults(self, call_id: str | None, tool: str) -> list[tuple[int, ev.ToolFault]]:
        """Faults recorded just before this call's error (the error is what the model read)."""
        mine = [(i, f) for i, f in self._orphans if (f.call_id, f.tool) == (call_id, tool)]
        self._orphans = [(i, f) for i, f in self._orphans if (f.call_id, f.tool) != (call_id, tool)]
        return mine


def rule_id(rule: Rule) -> str:
    """g1… for a session rule, h1… for a host unlock."""
    return rule.grant_id if isinstance(rule, ev.GrantAdded) else rule.unlock_id


def fold(events: Iterable[ev.Event], times: Sequence[str] = ()) -> ActionFold:
    """Every action's life in a session; ``times[i]`` is when event i was recorded."""
    result = ActionFold()
    for index, event in enumerate(events):
        result.add(event, times[index] if index < len(times) else "")
    return result


def typed(stored: Iterable[Stored]) -> list[ev.Event]:
    """Stored events as typed events (``Unreadable`` where one cannot be read)."""
    return [ev.parse(s.kind, s.payload) for s in stored]


def fold_stored(stored: Sequence[Stored]) -> tuple[list[ev.Event], ActionFold]:
    """A stored session's typed events and the lives folded from them, with their times."""
    events = typed(stored)
    return events, fold(events, [s.ts for s in stored])


class Source(Protocol):
    """What the fold reads a stored session from (``assistant.journal.Journal``)."""

    def events(self, session_id: str) -> Sequence[Stored]: ...


def session_fold(journal: Source, session_id: str) -> tuple[list[ev.Event], ActionFold]:
    """A stored session's typed events and every action's life."""
    return fold_stored(journal.events(session_id))


def find(journal: Source, session_id: str, action_id: str) -> Life | None:
    """One action's life, folded from its whole session (edits, unlocks and revocations are
    told by the events around it)."""
    return session_fold(journal, session_id)[1].lives.get(action_id)


# -- in words (the notations are assistant.present's) ---------------------------------------


def outcome(life: Life) -> str:
    """Where an action ended up, in words that stand alone in a record."""
    state = life.state
    if state == DONE:
        return "done"
    if state == FAILED:
        if life.result is None and life.error is not None:
            edited = life.verdict == "edit"
            return ("failed: the edited call was refused" if edited else "failed: refused") + (
                f": {life.error.message}"
            )
        return "failed"
    if state == DENIED:
        return "denied"
    if state == OUTCOME_UNKNOWN:
        return "outcome unknown: approved, but no result was recorded; it was not re-run"
    if state == EDITED:
        into = life.edited_into
        if into is None:
            return "edited: the edited call was not run"
        return f"edited: re-planned as action {into.action_id} ({outcome(into)})"
    return "not run: no decision was recorded"


def decision_line(life: Life, *, person: str = "the person") -> str:
    """ "approved by the person", 'denied by you: "not that folder"', 'approved by session rule
    "csv_write create in data"'; "" when nothing was decided."""
    verdict, by = life.verdict, life.decided_by or ""
    if verdict is None:
        return ""
    if by.startswith("rule:"):  # a rule's decision gives its label as the reason
        return f"{present.VERBS.get(verdict, verdict)} by {present.decider(by, rule=life.reason)}"
    line = f"{present.VERBS.get(verdict, verdict)} by {present.decider(by, person=person)}"
    return line + (f': "{life.reason}"' if life.reason else "")
