"""The replay timeline: a session's stored events, a cursor over them, and play speed (no Textual).

The cursor is the number of events applied: 0 shows nothing, ``len(timeline)`` the whole
session. Stepping back is a redraw of the first ``position`` events, since the conversation
widgets only move forward; this module says which events, the screen paints them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.agent.events import Event, event_from_json
from assistant.journal import StoredEvent

SPEEDS: tuple[int, ...] = (1, 4)
"""Play speeds offered, in the order the play key cycles through them (then pause)."""
BASE_INTERVAL = 0.6
"""Seconds between two events when playing at 1×."""


@dataclass(frozen=True)
class Step:
    """One stored event, rebuilt; ``event`` is None when it could not be (``problem`` says why)."""

    seq: int
    ts: str
    kind: str
    event: Event | None
    problem: str = ""
    action_id: str | None = None

    @property
    def at(self) -> datetime | None:
        """The event's stored time as an aware datetime; None when the stamp is unreadable."""
        return parse_ts(self.ts)

    @property
    def is_proposal(self) -> bool:
        return self.kind == "action.proposed" and self.event is not None


def parse_ts(ts: str) -> datetime | None:
    """A journal timestamp ("2025-01-31T09:15:02.123Z") as an aware UTC datetime, or None."""
    try:
        moment = datetime.fromisoformat(ts)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rebuild(stored: StoredEvent) -> Step:
    """A stored event as a Step. Unknown kinds and payloads that no longer fit their event type
    (a newer journal, an edited row) become a Step with a problem instead of an exception."""
    payload: dict[str, Any] = stored.payload if isinstance(stored.payload, dict) else {}
    raw_id = payload.get("action_id")
    action_id = raw_id if isinstance(raw_id, str) and raw_id else None
    if "_unreadable" in payload:
        return Step(stored.seq, stored.ts, stored.kind, None, "its payload is not readable JSON")
    try:
        event = event_from_json(stored.kind, payload)
    except KeyError:
        return Step(stored.seq, stored.ts, stored.kind, None, "an event kind this version lacks")
    except (TypeError, ValueError) as exc:
        problem = f"its payload does not fit {stored.kind} ({type(exc).__name__})"
        return Step(stored.seq, stored.ts, stored.kind, None, problem, action_id)
    wrong = _mistyped_field(event)
    if wrong:
        problem = f"its field {wrong!r} has the wrong type for {stored.kind}"
        return Step(stored.seq, stored.ts, stored.kind, None, problem, action_id)
    return Step(stored.seq, stored.ts, stored.kind, event, "", action_id)


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
    "None": (type(None),),
}


def _mistyped_field(event: Event) -> str | None:
    """The first field whose value does not match its annotation's outer type, so a hand-edited
    payload cannot hand the widgets a list where they expect a dict."""
    for f in dataclasses.fields(event):
        annotation = re.sub(r"\[.*\]", "", str(f.type))  # "dict[str, Any] | None" -> "dict | None"
        allowed: tuple[type, ...] = ()
        for name in (part.strip() for part in annotation.split("|")):
            if name not in _TYPES:
                allowed = ()
                break
            allowed += _TYPES[name]
        if not allowed:
            continue  # Any, or a type this check does not know: accept
        value = getattr(event, f.name)
        if isinstance(value, bool) and bool not in allowed:
            return f.name
        if not isinstance(value, allowed):
            return f.name
    return None


@dataclass(frozen=True)
class ActionSpan:
    """The run of consecutive steps about one action, starting at its proposal."""

    action_id: str
    start: int
    """Index of the action.proposed step."""
    end: int
    """Cursor position once the whole run is applied (index of its last step + 1)."""


class Timeline:
    """A cursor over a session's steps, with event-by-event and action-by-action moves."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps: tuple[Step, ...] = tuple(steps)
        self.position = 0
        self.speed: int | None = None
        """None: paused; otherwise a member of SPEEDS."""
        self.spans: tuple[ActionSpan, ...] = _spans(self.steps)

    @classmethod
    def from_stored(cls, events: Iterable[StoredEvent]) -> Timeline:
        return cls([rebuild(e) for e in events])

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def at_start(self) -> bool:
        return self.position == 0

    @property
    def at_end(self) -> bool:
        return self.position == len(self.steps)

    @property
    def current(self) -> Step | None:
        """The last applied step (None before the first)."""
        return self.steps[self.position - 1] if self.position else None

    def applied(self) -> tuple[Step, ...]:
        """Every step up to the cursor: what a redraw from the start applies."""
        return self.steps[: self.position]

    def seek(self, position: int) -> int:
        """Move the cursor, clamped to the timeline; returns the new position."""
        self.position = max(0, min(len(self.steps), int(position)))
        return self.position

    def forward(self, n: int = 1) -> tuple[Step, ...]:
        """Advance up to ``n`` steps; returns the steps newly applied (empty at the end)."""
        start = self.position
        self.seek(start + max(0, n))
        return self.steps[start : self.position]

    def back(self, n: int = 1) -> int:
        """Go back up to ``n`` steps; returns the new position (the screen redraws to it)."""
        return self.seek(self.position - max(0, n))

    def next_action(self) -> bool:
        """Jump to the end of the next action whose proposal is not yet applied."""
        for span in self.spans:
            if span.start >= self.position:
                self.position = span.end
                return True
        return False

    def previous_action(self) -> bool:
        """Jump back to the end of the last action completed before the cursor (or the start)."""
        if self.position == 0:
            return False
        target = 0
        for span in self.spans:
            if span.end < self.position:
                target = span.end
        self.position = target
        return True

    def action_ids(self) -> list[str]:
        """Ids of the actions proposed up to the cursor, in order."""
        return [span.action_id for span in self.spans if span.start < self.position]

    # -- play -------------------------------------------------------------------------------------

    def cycle_speed(self) -> int | None:
        """Paused → 1× → 4× → paused; playing from the end starts over from the beginning."""
        if self.speed is None:
            self.speed = SPEEDS[0]
            if self.at_end:
                self.position = 0
        else:
            index = SPEEDS.index(self.speed) + 1
            self.speed = SPEEDS[index] if index < len(SPEEDS) else None
        return self.speed

    def pause(self) -> None:
        self.speed = None

    @property
    def interval(self) -> float:
        """Seconds between events at the current speed (1× when paused)."""
        return BASE_INTERVAL / (self.speed or 1)

    def tick(self) -> Step | None:
        """One step of play: apply the next event; pauses itself at the end."""
        applied = self.forward(1) if self.speed is not None else ()
        if self.at_end:
            self.speed = None
        return applied[0] if applied else None


def _spans(steps: Sequence[Step]) -> tuple[ActionSpan, ...]:
    spans: list[ActionSpan] = []
    index = 0
    while index < len(steps):
        step = steps[index]
        if step.is_proposal and step.action_id:
            end = index + 1
            while end < len(steps) and steps[end].action_id == step.action_id:
                end += 1
            spans.append(ActionSpan(step.action_id, index, end))
            index = end
        else:
            index += 1
    return tuple(spans)
