"""The tool protocol: plan (validate, decide the effect, build a preview) is apart from run (do it).

Exceptions::

    ToolError            anything a tool refuses or fails at; the message goes back to the model
    └── StaleActionError the target changed between the preview and the run
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from tools.workspace import Workspace


class ToolError(Exception):
    """A refusal or failure the model (or the person) reads as the tool's result."""


class RuleRefusal(ToolError):
    """A deny rule in the config covers what the call would touch: refused while planning, so
    the command line can say "denied" (exit 3) rather than "bad arguments"."""


class StaleActionError(ToolError):
    """The file or resource changed after the person saw the preview; nothing was done."""


class Effect(StrEnum):
    """What an action does to the world, decided by the tool from the arguments, never by the model."""

    READ = "read"
    WRITE = "write"
    EGRESS = "egress"


@dataclass(frozen=True)
class Preview:
    """What a person sees before deciding.

    ``text`` is a plain rendering with every control, bidi and zero-width character escaped, fit
    for a console or a log; ``kind`` and ``data`` (JSON-able) let a UI draw it richly:
    "http" (method, url, headers, body), "diff" (files with unified or row/cell diffs),
    "shell" (the parsed command and the paths it touches) or "text".
    """

    kind: str
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "data": dict(self.data)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Preview:
        return cls(
            kind=str(raw.get("kind", "text")),
            text=str(raw.get("text", "")),
            data=dict(raw.get("data", {})),
        )


@dataclass(frozen=True)
class Scope:
    """The narrow rule an "allow for this session" creates.

    A grant made from this scope covers a later action when the tool and ``key`` are equal and the
    later action's ``kinds`` are all among the grant's: a grant made on a create never approves an
    overwrite or a delete. ``label`` is shown to the person and must name the tool or command,
    the folder, and every kind of change covered.
    """

    key: str
    label: str
    kinds: frozenset[str] = frozenset()
    """The kinds of change the action makes, e.g. {"create"}, {"overwrite", "delete"}, {"move"}."""


@dataclass(frozen=True)
class Action:
    """A planned, not yet run, tool call. Frozen: what the person approved is what runs."""

    tool: str
    args: Mapping[str, Any]
    effect: Effect
    summary: str
    preview: Preview
    targets: tuple[str, ...] = ()
    """What the action touches: "path:<workspace-relative>", "host:<host>:<port>"."""
    fingerprint: str = ""
    """Hash of the arguments and of the target state planned against (see ``fingerprint``)."""
    scope: Scope | None = None
    """The session rule an "allow for this session" would create; None when none is offered."""
    needs_person: str | None = None
    """Set when only a person approving this exact action may allow it (e.g. a private address):
    blanket modes (--approve all) and session rules do not apply. The text says why."""
    state: Mapping[str, Any] = field(default_factory=dict)
    """Plan-time facts ``run`` relies on (resolved address, file hash); JSON-able."""


@dataclass(frozen=True)
class Result:
    """What a run produced. ``output`` is the bounded text the model reads."""

    ok: bool
    output: str
    display: str = ""
    """A one-line outcome for a card ("200 · application/json · 48 KB")."""
    data: Mapping[str, Any] = field(default_factory=dict)
    before_images: Mapping[str, bytes | None] = field(default_factory=dict)
    """Workspace-relative path -> its bytes before a write (None: it did not exist); kept for undo.
    A key ending in '/' is a folder (b"": it existed). See ``tools.undo_record``."""
    after_images: Mapping[str, bytes] = field(default_factory=dict)
    """Path -> the bytes a write left in it, kept (as blobs, by sha256) so that an undo can show
    the edits made since; ``data["undo"]`` names them (see ``tools.undo_record``)."""
    stdout: bytes | None = None
    """The exact bytes a command wrote to its standard output (shell), for a person's own pipe
    (`assistant tool shell ... > copy`); never journaled nor sent to the model, which read
    ``output``."""
    notes: tuple[str, ...] = ()
    """What a command said beside its standard output (errors, cut markers, exit status), for
    a person's stderr when ``stdout`` goes to a pipe; ``output`` holds them too."""


DenyCheck = Callable[[str, str, Effect], str | None]
"""(tool, target, effect) -> the reason a deny rule gives, or None when no rule covers the target.
Targets are spelled as in ``Action.targets``: "path:<workspace-relative>", "host:<host>:<port>"."""


def nothing_denied(tool: str, target: str, effect: Effect) -> str | None:
    """The DenyCheck of a context with no rules (tests, tools used alone)."""
    return None


class SecretSource(Protocol):
    """How a tool reaches secrets: by handle name, bound to hosts. The agent provides it."""

    def value(self, name: str) -> str | None: ...

    def hosts(self, name: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Unlock:
    """What approving an action lets later calls of its tool do without asking, for the rest of
    the session. The tool that planned the action says what (``Unlocking.unlocks``); the session
    records it, lists it (/grants) and can revoke it; the tool reads it back through
    ``ToolContext.unlocked``. The app also starts a session with standing unlocks (config)."""

    target: str
    """What it covers, spelled as in ``Action.targets``: "host:api.example.com:443"."""
    subject: str
    """The same, as the person reads it: "api.example.com:443"."""
    label: str
    """What it lets run, in the person's words (shown by /grants)."""
    needs_person: bool = False
    """It also covers what only a person may allow (``Action.needs_person``, e.g. a private
    address): made only from a person's approval of an action whose preview showed it."""


UnlockCheck = Callable[[str], "Unlock | None"]
"""target -> the unlock covering it in this session (one that ``needs_person`` first), or None."""


def nothing_unlocked(target: str) -> Unlock | None:
    """The UnlockCheck of a context where nothing was approved yet (tools used alone)."""
    return None


S = TypeVar("S")


@dataclass
class ToolContext:
    """What a tool may use. Tools get nothing else from the app."""

    workspace: Workspace
    secrets: SecretSource | None = None
    tool_settings: tuple[object, ...] = ()
    """Each tool's settings object (e.g. ``HttpSettings``), built from its config table; read
    with ``settings_for``."""
    unlocked: UnlockCheck = nothing_unlocked
    """What approvals (and the config) unlocked this session, asked per target; revoking one
    takes effect at the next ask."""
    read_blob: Callable[[str], bytes] | None = None
    """Fetch a stored before-image by hash (the undo tool restores from these)."""
    denied: DenyCheck = nothing_denied
    """The configured deny rules, asked per target. ``Action.targets`` are checked by the policy;
    a tool also asks here for every file it would read or write that its targets do not name
    (recursion, globs, the contents of a folder operand) and every address it connects to, and
    skips a denied file with a note or refuses the action: a denied file's name and contents never
    appear in a result or a preview."""

    def settings_for(self, kind: type[S]) -> S:
        """This session's settings of type ``kind``, or its defaults when none were configured."""
        for item in self.tool_settings:
            if isinstance(item, kind):
                return item
        return kind()


@runtime_checkable
class Tool(Protocol):
    """A tool describes itself (schema, effect, preview) and does only what it planned."""

    name: str
    description: str
    parameters: Mapping[str, Any]

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action: ...

    def run(self, action: Action, ctx: ToolContext) -> Result: ...


@runtime_checkable
class Unlocking(Protocol):
    """A tool whose approved actions unlock later ones (an HTTP request unlocks its host for reads)."""

    def unlocks(self, action: Action, by: str) -> Sequence[Unlock]:
        """What approving ``action`` lets later calls do without asking; no side effect, so it
        is also asked before the decision (to say it beside the preview). ``by`` is who approves:
        "human" for a person, else a rule or mode ("--approve all", "rule:g1")."""
        ...


@runtime_checkable
class Configurable(Protocol):
    """A tool with settings: ``settings_type`` is a frozen dataclass with a ``table`` name (see
    ``tools.settings``) that the config builds from that table."""

    settings_type: ClassVar[type[Any]]


def approval_unlocks(tool: object, action: Action, by: str) -> tuple[Unlock, ...]:
    """What approving ``action`` of ``tool`` unlocks (nothing for a tool without the hook)."""
    return tuple(tool.unlocks(action, by)) if isinstance(tool, Unlocking) else ()


def validate_args(schema: Mapping[str, Any], args: Any) -> dict[str, Any]:
    """Check arguments against a JSON schema; the error names the field, for the model to fix."""
    import jsonschema

    if not isinstance(args, dict):
        raise ToolError(f"arguments must be a JSON object, not {type(args).__name__}")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(args), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.path) or "arguments"
        raise ToolError(f"invalid arguments: {where}: {err.message}")
    return dict(args)


def fingerprint(args: Mapping[str, Any], state: Any = None) -> str:
    """A stable hash of arguments and the target state they were planned against."""
    blob = json.dumps({"args": args, "state": state}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


_VISIBLE_WS = {"\n", "\t"}


def escape_text(text: str) -> str:
    """Show control, bidi and zero-width characters as escapes so a preview cannot lie."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text  # the usual case, checked in C: nothing below would be escaped
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in _VISIBLE_WS:
            out.append(ch)
        elif cat in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") and ch != " ":
            code = ord(ch)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "".join(out)


def file_sha256(path: Path) -> str | None:
    """The hash of a file's bytes, or None when it does not exist (used in fingerprints)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
