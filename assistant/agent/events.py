"""The events of a session: what the journal stores, the console prints and the UI draws."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of all events. ``kind`` names the type in the journal; payloads are JSON-able."""

    kind: ClassVar[str] = ""
    persist: ClassVar[bool] = True
    """False for high-rate events (text deltas) the journal folds into a final message."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Event:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in names})

    def redacted(self, redact: Callable[[Any], Any]) -> Event:
        """This event with secret values replaced; ``redact`` copies a JSON value."""
        payload = self.to_json()
        clean = redact(payload)
        return self if clean == payload else type(self).from_json(clean)


@dataclass(frozen=True)
class UserMessage(Event):
    kind: ClassVar[str] = "user.message"
    text: str


@dataclass(frozen=True)
class AssistantDelta(Event):
    kind: ClassVar[str] = "assistant.delta"
    persist: ClassVar[bool] = False
    text: str

    def redacted(self, redact: Callable[[Any], Any]) -> Event:
        # thousands per reply: the text alone, without a round trip through JSON
        text = redact(self.text)
        return self if text == self.text else AssistantDelta(text)


@dataclass(frozen=True)
class AssistantMessage(Event):
    """A complete model reply; ``tool_calls`` as sent to the model: [{id, name, arguments}]."""

    kind: ClassVar[str] = "assistant.message"
    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ActionProposed(Event):
    kind: ClassVar[str] = "action.proposed"
    action_id: str
    call_id: str | None
    tool: str
    args: dict[str, Any]
    effect: str
    summary: str
    preview: dict[str, Any]
    targets: list[str]
    fingerprint: str
    scope: str | None = None
    needs_person: str | None = None


@dataclass(frozen=True)
class ActionDecided(Event):
    """``verdict``: approve, deny or edit. ``by``: human, rule:<id>, policy:read, policy:deny,
    "--approve all", "--approve never", "headless"."""

    kind: ClassVar[str] = "action.decided"
    action_id: str
    verdict: str
    by: str
    reason: str = ""
    edited_args: dict[str, Any] | None = None
    grant: str | None = None


@dataclass(frozen=True)
class ActionApproved(Event):
    """Committed before the tool runs: a crash after this shows "outcome unknown", never a re-run."""

    kind: ClassVar[str] = "action.approved"
    action_id: str
    by: str


@dataclass(frozen=True)
class ActionResult(Event):
    kind: ClassVar[str] = "action.result"
    action_id: str
    ok: bool
    output: str
    display: str = ""
    elapsed: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    blobs: dict[str, str | None] = field(default_factory=dict)
    """Workspace path -> blob hash of its before-image (None: the file did not exist)."""


@dataclass(frozen=True)
class ActionError(Event):
    """A call that never became an action: bad JSON, unknown tool, invalid arguments, plan refused."""

    kind: ClassVar[str] = "action.error"
    call_id: str | None
    tool: str
    message: str
    action_id: str | None = None


@dataclass(frozen=True)
class GrantAdded(Event):
    kind: ClassVar[str] = "grant.added"
    grant_id: str
    tool: str
    scope: str
    label: str


@dataclass(frozen=True)
class GrantRevoked(Event):
    kind: ClassVar[str] = "grant.revoked"
    grant_id: str


@dataclass(frozen=True)
class TurnUsage(Event):
    """Tokens and cost of one model call; ``cost_usd`` None means unknown (no price), not free."""

    kind: ClassVar[str] = "turn.usage"
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class TurnError(Event):
    kind: ClassVar[str] = "turn.error"
    message: str
    error: str = "error"


@dataclass(frozen=True)
class TurnEnd(Event):
    kind: ClassVar[str] = "turn.end"
    reason: str = "done"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        UserMessage,
        AssistantDelta,
        AssistantMessage,
        ActionProposed,
        ActionDecided,
        ActionApproved,
        ActionResult,
        ActionError,
        GrantAdded,
        GrantRevoked,
        TurnUsage,
        TurnError,
        TurnEnd,
    )
}


def event_from_json(kind: str, payload: dict[str, Any]) -> Event:
    """Rebuild a stored event; unknown kinds raise KeyError (a newer journal, say)."""
    return EVENT_TYPES[kind].from_json(payload)
