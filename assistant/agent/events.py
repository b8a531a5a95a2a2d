"""The events of a session: what the journal stores, the console prints and the UI draws."""

from __future__ import annotations

import dataclasses
import re
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
    """A person's "allow": for this session (g1...) or, ``lasting``, saved as a rule for the
    workspace (r1..., in the rules file, until revoked)."""

    kind: ClassVar[str] = "grant.added"
    grant_id: str
    tool: str
    scope: str
    label: str
    lasting: bool = False


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
    """A turn that ended early. ``error``: cancelled (the person stopped it), limit, budget or a
    model error's kind. ``partial``: the reply text shown before a stop or a broken stream (a
    reply cut off is not an ``assistant.message``), so the model is told what it had said and
    the history and exports show it, marked ``present.cut_off``."""

    kind: ClassVar[str] = "turn.error"
    message: str
    error: str = "error"
    partial: str = ""


@dataclass(frozen=True)
class TurnWait(Event):
    """The model is being waited for; shown, never stored. ``state``: "starting" (the turn
    waits for tools still starting; ``reason`` says which, in words), "loading" (the model
    library is still importing), "thinking" (a request is out, nothing has come back yet) or
    "retrying" (backing off: ``seconds`` until attempt ``attempt``, ``reason`` in words, e.g.
    "rate limited" or "server error 500")."""

    kind: ClassVar[str] = "turn.wait"
    persist: ClassVar[bool] = False
    state: str
    seconds: float = 0.0
    reason: str = ""
    attempt: int = 0


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
        TurnWait,
    )
}


@dataclass(frozen=True)
class Unreadable(Event):
    """A stored event this version cannot type: a kind it lacks (a newer journal), or a payload
    that no longer fits its class (an older or hand-edited one). Readers show it as such; it is
    never stored (``stored_kind`` and ``payload`` are what the journal holds)."""

    kind: ClassVar[str] = "unreadable"
    persist: ClassVar[bool] = False
    stored_kind: str
    problem: str
    payload: dict[str, Any] = field(default_factory=dict)
    action_id: str | None = None
    """The payload's action id, when it has a readable one (so the action's story shows where)."""


def parse(kind: str, payload: Any) -> Event:
    """A stored (kind, payload) as its typed event; never raises.

    Tolerant of older and newer payloads: unknown keys are ignored, and a field a payload lacks
    takes its default, or else an empty value of its type ("", 0, False, {}, [], None), so an
    action recorded before a field existed still reads. Not readable (``Unreadable``, saying
    why): a kind this version lacks, a payload without the event's first field (what it is
    about: the text, the action id, the rule id), or a value of the wrong outer type (a list
    where a dict belongs, ``true`` for a count)."""
    data: dict[str, Any] = payload if isinstance(payload, dict) else {}
    raw_id = data.get("action_id")
    action_id = raw_id if isinstance(raw_id, str) and raw_id else None

    def unreadable(problem: str) -> Unreadable:
        return Unreadable(str(kind), problem, data, action_id)

    if not isinstance(payload, dict) or "_unreadable" in data:
        return unreadable("its payload is not readable JSON")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return unreadable("an event kind this version lacks")
    shape = _shape(cls)
    if shape.first not in data:
        return unreadable(f"its payload does not fit {kind} (it has no {shape.first!r})")
    missing = {name: empty() for name, empty in shape.empty.items() if name not in data}
    event = cls.from_json({**data, **missing} if missing else data)
    for name, allowed in shape.checks:
        value = getattr(event, name)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            return unreadable(f"its field {name!r} has the wrong type for {kind}")
    return event


_OUTER_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
    "None": (type(None),),
}
_EMPTY: dict[type, Callable[[], Any]] = {
    type(None): lambda: None,
    str: str,
    int: int,
    float: float,
    bool: bool,
    dict: dict,
    list: list,
}


@dataclass(frozen=True)
class _Shape:
    """What ``parse`` knows of an event class, worked out once per class."""

    first: str
    """The field the event is about: a payload without it is not this event."""
    empty: dict[str, Callable[[], Any]]
    """Fields without a default -> a maker of their empty value (filled when missing)."""
    checks: list[tuple[str, tuple[type, ...]]]
    """(field, the outer types its annotation allows) for each field a check can know."""


_SHAPES: dict[type[Event], _Shape] = {}


def _shape(cls: type[Event]) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is not None:
        return shape
    fields = dataclasses.fields(cls)
    empty: dict[str, Callable[[], Any]] = {}
    checks = []
    for f in fields:
        outer = re.sub(r"\[.*\]", "", str(f.type))  # "dict[str, Any] | None" -> "dict | None"
        names = [part.strip() for part in outer.split("|")]
        if not all(name in _OUTER_TYPES for name in names):
            continue  # Any, or a type not known here: accepted as it is
        allowed = tuple(t for n in names for t in _OUTER_TYPES[n])
        checks.append((f.name, allowed))
        no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if no_default:
            empty[f.name] = _EMPTY[type(None) if type(None) in allowed else allowed[0]]
    shape = _SHAPES[cls] = _Shape(fields[0].name, empty, checks)
    return shape


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
