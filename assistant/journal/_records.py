"""The journal's public records and errors: what callers get back instead of SQLite rows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError


class JournalError(AssistantError):
    """The journal cannot be used, or cannot answer a request; the message says which and why.

    Exceptions::

        JournalError            unreadable or locked database, bad payload, missing blob, closed,
        │                       or a journal file emptied, deleted or replaced behind its head record
        ├── SessionLookupError  no session, or more than one, matches an id or prefix
        ├── NotResumable        the session fails verification or is an imported read-only copy
        └── DuplicateSession    an import of a session this journal already holds
    """


class SessionLookupError(JournalError):
    """An id or prefix that names no session, or several (the CLI maps this to exit code 2)."""


class NotResumable(JournalError):
    """A session that must not get new events or undos: it fails verification, or it is an
    imported read-only copy. The message says which, in words a person can act on."""


class DuplicateSession(JournalError):
    """An import of a session that is already here, or was imported before (same source id)."""


#: Action states reported by ``Journal.action_states``.
PROPOSED = "proposed"
DENIED = "denied"
OUTCOME_UNKNOWN = "outcome unknown"
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class StoredEvent:
    """One event as committed: its place in the session's hash chain and its redacted payload."""

    session_id: str
    seq: int
    ts: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SessionInfo:
    """A session and the summary the history list shows, kept up to date on every append.

    Cost: ``cost_usd`` is the sum of the known costs of the session's model calls, or None when
    no call had a known cost (no call at all, or only unpriced ones); ``cost_unknown`` is True
    when at least one call's cost was unknown, so a number is then a lower bound.
    """

    id: str
    created_at: str
    updated_at: str
    title: str | None
    model: str | None
    workspace: str
    parent: str | None
    n_events: int
    n_actions: int
    n_writes: int
    n_denied: int
    n_errors: int
    cost_usd: float | None
    tokens: int
    meta: dict[str, Any] = field(default_factory=dict)
    cost_unknown: bool = False
    tools: tuple[str, ...] = ()
    """Tools the session proposed actions with, sorted."""
    hosts: tuple[str, ...] = ()
    """"host:port" targets of its actions, sorted."""
    files: tuple[str, ...] = ()
    """Workspace-relative paths its actions targeted, sorted."""

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in ("tools", "hosts", "files"):
            data[name] = list(data[name])
        return data


@dataclass(frozen=True)
class SearchHit:
    """An event whose text matched; ``snippet`` marks the matched words with [ and ]."""

    session_id: str
    seq: int
    kind: str
    snippet: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking one session; ``first_bad_seq`` names where it broke.

    Checked: its events' hash chain, their links in the journal-wide chain (an HMAC when
    ``keyed``), its chained header (title, model, workspace, parent, read-only flag) against the
    stored columns, and every count, target and search row history shows against its events.
    ``first_bad_seq`` is 0 when the header or a stored summary is what does not hold.
    """

    session_id: str
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
    keyed: bool = False
    """Every record of the session carries an HMAC that was checked with the keyring's key."""
    warnings: tuple[str, ...] = ()
    """What the check could not rule out (an unkeyed chain), though nothing failed."""

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["warnings"] = list(self.warnings)
        return data


@dataclass(frozen=True)
class JournalReport:
    """The whole journal checked: the database file, the journal-wide chain and its head record
    outside the file, every blob, and every session (``sessions``)."""

    path: str
    ok: bool
    keyed: bool
    """Every record is under the keyring's HMAC key (false: some or all are unkeyed)."""
    records: int
    blobs: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    sessions: tuple[VerifyResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "journal": self.path,
            "ok": self.ok,
            "keyed": self.keyed,
            "records": self.records,
            "blobs": self.blobs,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "sessions_checked": len(self.sessions),
            "sessions_altered": sum(not s.ok for s in self.sessions),
        }


@dataclass(frozen=True)
class ActionState:
    """Where one action ended up, folded from its action.* events (see the state constants)."""

    action_id: str
    tool: str
    summary: str
    effect: str
    decided_by: str | None
    verdict: str | None
    state: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ActionRecord:
    """One action's events by kind (the payloads as stored), found by its id alone."""

    session_id: str
    action_id: str
    state: str
    proposed: dict[str, Any]
    decided: dict[str, Any] | None = None
    approved: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
