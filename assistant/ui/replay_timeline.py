"""The replay timeline: a session's stored events, a cursor over them, and play speed (no Textual).

The cursor is the number of events applied: 0 shows nothing, ``len(timeline)`` the whole
session. Stepping back is a redraw of the first ``position`` events, since the conversation
widgets only move forward; this module says which events, the screen paints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant import present
from assistant.agent import action_life
from assistant.agent import events as ev
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
    event: ev.Event | None
    problem: str = ""
    action_id: str | None = None

    @property
    def at(self) -> datetime | None:
        """The event's stored time as an aware datetime; None when the stamp is unreadable."""
        return present.parse_ts(self.ts)

    @property
    def is_proposal(self) -> bool:
        return isinstance(self.event, ev.ActionProposed)


def rebuild(stored: StoredEvent) -> Step:
    """A stored event as a Step (``assistant.agent.events.parse``): unknown kinds and payloads
    that no longer fit their event type become a Step with a problem instead of an exception."""
    event = ev.parse(stored.kind, stored.payload)
    if isinstance(event, ev.Unreadable):
        return Step(stored.seq, stored.ts, stored.kind, None, event.problem, event.action_id)
    action_id = getattr(event, "action_id", None)
    return Step(stored.seq, stored.ts, stored.kind, event, "", action_id or None)


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
        self.lives = action_life.fold(s.event or ev.Unreadable(s.kind, s.problem) for s in steps)
        """Every action's life: which steps tell it (a rule its approval added, say)."""
        self.position = 0
        self.speed: int | None = None
        """None: paused; otherwise a member of SPEEDS."""
        self.spans: tuple[ActionSpan, ...] = _spans(self.steps, self.lives)

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


def _spans(steps: Sequence[Step], lives: action_life.ActionFold) -> tuple[ActionSpan, ...]:
    """Each action's proposal and the steps of its life that follow it without a break."""
    spans: list[ActionSpan] = []
    index = 0
    while index < len(steps):
        life = lives.owner.get(index)
        if steps[index].is_proposal and life is not None:
            end = index + 1
            while end < len(steps) and lives.owner.get(end) is life:
                end += 1
            spans.append(ActionSpan(life.action_id, index, end))
            index = end
        else:
            index += 1
    return tuple(spans)
