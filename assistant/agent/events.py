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
        """The payload; lone surrogates (from hostile or undecodable text) escaped as ``\\udcxx``
        so the journal, ``--json`` and any UTF-8 stream can always write it."""
        payload: dict[str, Any] = escape_surrogates(dataclasses.asdict(self))
        return payload

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
    unlocks: str | None = None
    """What approving also unlocks for the session (a private address), as the person reads it."""


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
class ToolFault(Event):
    """An exception while parsing, checking, planning or running a call: the journal keeps what
    the model is not shown. ``phase``: parse, plan, decide or run; ``error``: the exception type;
    ``message``: its full text; ``frames``: where it was raised ("tools/x.py:12 in f")."""

    kind: ClassVar[str] = "tool.fault"
    tool: str
    phase: str
    error: str
    message: str
    frames: list[str] = field(default_factory=list)
    call_id: str | None = None
    action_id: str | None = None


@dataclass(frozen=True)
class GrantAdded(Event):
    kind: ClassVar[str] = "grant.added"
    grant_id: str
    tool: str
    scope: str
    label: str


@dataclass(frozen=True)
class HostUnlocked(Event):
    """A host the HTTP tool may reach again without asking, because a person (or --approve all)
    approved a request to it. ``private``: a loopback/private address a person approved by name;
    ``unlock_id`` ("h1"...) is what /grants lists and ``grant.revoked`` names when revoked."""

    kind: ClassVar[str] = "host.unlocked"
    unlock_id: str
    host: str
    private: bool
    label: str
    by: str = "human"


@dataclass(frozen=True)
class GrantRevoked(Event):
    """A session rule (g1...) or host unlock (h1...) taken back; the next such call asks again."""

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
        ToolFault,
        GrantAdded,
        HostUnlocked,
        GrantRevoked,
        TurnUsage,
        TurnError,
        TurnEnd,
    )
}


def event_from_json(kind: str, payload: dict[str, Any]) -> Event:
    """Rebuild a stored event; unknown kinds raise KeyError (a newer journal, say)."""
    return EVENT_TYPES[kind].from_json(payload)


def escape_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings written as the text ``\\udcxx``.

    The same object comes back when there is none (the usual case, checked at C speed)."""
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "".join(
                f"\\u{ord(ch):04x}" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value
            )
        return value
    if isinstance(value, dict):
        items = [(escape_surrogates(k), escape_surrogates(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
            return value
        return dict(items)
    if isinstance(value, list | tuple):
        cleaned = [escape_surrogates(v) for v in value]
        if all(a is b for a, b in zip(cleaned, value, strict=True)):
            return value
        return type(value)(cleaned)
    return value
