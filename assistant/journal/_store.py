"""The Journal: one SQLite file of sessions, their hash-chained events, blobs and search index."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from assistant.journal import _bulk, _query
from assistant.journal._chain import (
    GENESIS,
    canonical,
    event_hash,
    normalize_payload,
    session_header,
    sha256_hex,
)
from assistant.journal._checks import Checks
from assistant.journal._connection import _SESSION_ID, _is_utf8, format_ts
from assistant.journal._records import (
    ActionRecord,
    JournalError,
    SearchHit,
    SessionInfo,
    SessionLookupError,
    StoredEvent,
)
from assistant.journal._summary import search_text, summarize

__all__ = ["Journal", "format_ts"]

_KIND = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_DIGEST = re.compile(r"[0-9a-f]{64}")


class Journal(Checks):
    """The replay log. Appends are durable on return (WAL, synchronous=FULL, one transaction each).

    Safe to share between threads (one lock around the connection) and to read from another
    process while this one writes. Every payload passes ``redact`` before it is written.
    Every session header and event is also a record of the journal-wide chain, keyed with the
    HMAC key the OS keyring keeps for this journal (see ``_keys`` and ``_head``).
    """

    # -- writing ---------------------------------------------------------------------------

    def _redact(self, value: Any) -> Any:
        if self._redact_fn is None:
            return value
        try:
            return self._redact_fn(value)
        except Exception as exc:  # the message might quote the secret: name the type only
            raise JournalError(
                f"redaction failed ({type(exc).__name__}); nothing was written"
            ) from None

    def new_session_id(self) -> str:
        """An id for a session created later (``create_session(session_id=...)``), so a front
        end can name its session before anything worth keeping happened in it."""
        return self._new_id()

    def create_session(
        self,
        *,
        model: str | None,
        workspace: str,
        title: str | None = None,
        parent: str | None = None,
        meta: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> str:
        """Start a session; returns its id (from the id factory, or ``session_id`` from
        ``new_session_id``). ``parent`` may be an id or a prefix."""
        if session_id is not None and (
            not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id)
        ):
            raise JournalError("create_session: session_id must be 32 lowercase hex characters")
        if isinstance(workspace, os.PathLike):
            workspace = os.fspath(workspace)
        for name, value in (("model", model), ("title", title), ("parent", parent)):
            if value is not None and not isinstance(value, str):
                raise JournalError(f"create_session: {name} must be text or None")
        if not isinstance(workspace, str):
            raise JournalError("create_session: workspace must be a path")
        for name, value in (("model", model), ("workspace", workspace), ("parent", parent)):
            if value is not None and not _is_utf8(value):
                raise JournalError(f"create_session: {name} is not valid text")
        if meta is not None and not isinstance(meta, dict):
            raise JournalError("create_session: meta must be a dict or None")
        clean = self._redact({"title": title, "meta": meta or {}})
        if not isinstance(clean, dict):
            raise JournalError("the redactor must return the dict it was given")
        header, _ = normalize_payload(clean, "session header")
        title = header.get("title") or None
        meta_obj = header.get("meta") or {}
        session_id = session_id or self._new_id()
        now = format_ts(self._clock())
        with self._tx("create a session", write=True) as db:
            if db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                raise JournalError(f"create_session: a session {session_id[:8]}… already exists")
            if parent is not None:
                parent = _query.resolve(db, parent)
            text = session_header(session_id, now, title, model, workspace, parent, meta_obj)
            db.execute(
                "INSERT INTO sessions (id, created_at, updated_at, title, model, workspace,"
                " parent, meta, header) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, now, now, title, model, workspace, parent, canonical(meta_obj), text),
            )
            if title:
                db.execute(
                    "INSERT INTO titles_fts (title, session_id) VALUES (?, ?)", (title, session_id)
                )
            self._ledger.chain(db, [(session_id, 0, sha256_hex(text))])
        return session_id

    def append(self, session_id: str, kind: str, payload: dict[str, Any]) -> StoredEvent:
        """Redact, chain and commit one event; durable when this returns.

        The agent appends ``action.approved`` and only then runs the tool, so a crash in
        between leaves "outcome unknown" rather than a silent or repeated run.
        """
        if not isinstance(kind, str) or len(kind) > 64 or not _KIND.fullmatch(kind):
            raise JournalError(
                f"invalid event kind {str(kind)[:70]!r}: use names like user.message"
            )
        if not isinstance(session_id, str):
            raise SessionLookupError("a session id must be text")
        data, text = normalize_payload(self._redact(payload), kind)
        summary = summarize(kind, data)
        words = search_text(kind, data)
        with self._tx(f"append {kind}", write=True) as db:
            if not db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                raise SessionLookupError(f"no session {session_id[:40]!r} to append to")
            last = db.execute(
                "SELECT seq, hash FROM events WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                (session_id,),
            ).fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            ts = format_ts(self._clock())
            digest = event_hash(prev, session_id, seq, ts, kind, text)
            cur = db.execute(
                "INSERT INTO events (session_id, seq, ts, kind, payload, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, seq, ts, kind, text, prev, digest),
            )
            if words:
                db.execute(
                    "INSERT INTO events_fts (rowid, text) VALUES (?, ?)", (cur.lastrowid, words)
                )
            _query.apply_summary(db, session_id, ts, summary)
            self._ledger.chain(db, [(session_id, seq, digest)])
        return StoredEvent(session_id, seq, ts, kind, data, prev, digest)

    def import_session(
        self,
        *,
        source: str,
        created_at: str,
        model: str | None,
        workspace: str,
        title: str | None,
        meta: dict[str, Any],
        events: Sequence[_bulk.Event],
        redact: Callable[[Any], Any] | None = None,
    ) -> _bulk.StoredSession:
        """Store a verified export as a new session in one transaction (one fsync), its events
        (ts, kind, payload, canonical text or None) keeping their times. ``meta`` is chained in its header, so its
        read-only flag cannot be edited unseen. Raises DuplicateSession when ``source`` is
        here already, was imported before, or shares an action id with a session here."""
        redact = redact or self._redact
        for name, value in (("model", model), ("workspace", workspace), ("created_at", created_at)):
            if value is not None and (not isinstance(value, str) or not _is_utf8(value)):
                raise JournalError(f"import: {name} is not valid text")
        clean = redact({"title": title, "meta": meta})
        header, _ = normalize_payload(clean, "session header")
        with self._tx("import a session", write=True) as db, _bulk.big_cache(db):
            return _bulk.store_session(
                db,
                self._ledger,
                redact,
                session_id=self._new_id(),
                source=source,
                created_at=created_at,
                model=model,
                workspace=workspace,
                title=header.get("title") or None,
                meta=header.get("meta") or {},
                events=events,
            )

    def put_blob(self, data: bytes) -> str:
        """Store bytes once under their sha256 hex digest (before-images for undo, big outputs).

        Kept verbatim, not redacted: a before-image must restore the file byte for byte.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise JournalError(f"put_blob takes bytes, not {type(data).__name__}")
        data = bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        with self._tx("store a blob", write=True) as db:
            db.execute(
                "INSERT OR IGNORE INTO blobs (hash, size, created_at, data) VALUES (?, ?, ?, ?)",
                (digest, len(data), format_ts(self._clock()), data),
            )
        return digest

    def get_blob(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; JournalError when missing or damaged."""
        key = digest.strip().lower() if isinstance(digest, str) else ""
        if not _DIGEST.fullmatch(key):
            raise JournalError(f"{str(digest)[:70]!r} is not a blob hash (64 hex characters)")
        with self._tx("read a blob", write=False) as db:
            row = db.execute("SELECT data FROM blobs WHERE hash = ?", (key,)).fetchone()
        if row is None:
            raise JournalError(f"no blob {key[:12]}… in the journal")
        data = bytes(row[0]) if isinstance(row[0], bytes | memoryview) else str(row[0]).encode()
        if hashlib.sha256(data).hexdigest() != key:
            raise JournalError(f"blob {key[:12]}… is damaged: its bytes no longer match its hash")
        return data

    # -- reading ---------------------------------------------------------------------------

    def get_session(self, id_or_prefix: str) -> SessionInfo:
        """A session by full id or unique prefix of at least 4 characters."""
        with self._tx("read a session", write=False) as db:
            return _query.session_infos(db, [_query.resolve(db, id_or_prefix)])[0]

    def sessions(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        has_writes: bool = False,
        has_denials: bool = False,
        has_errors: bool = False,
        tool: str | None = None,
        host: str | None = None,
        file: str | None = None,
        query: str | None = None,
        manual: bool = False,
    ) -> list[SessionInfo]:
        """A page of sessions, most recently active first, narrowed by every filter given.

        ``host`` matches "example.com" or "example.com:443"; ``file`` matches a path or anything
        under it as a folder; ``query`` is full-text search over events and titles; ``manual``
        keeps sessions with tools a person ran by hand (`/tool`, `assistant tool`).
        """
        for name, value in (("limit", limit), ("offset", offset)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise JournalError(f"{name} must be a whole number of 0 or more")
        where, params = _query.filters(
            has_writes, has_denials, has_errors, tool, host, file, query, manual
        )
        with self._tx("list sessions", write=False) as db:
            ids = [
                sid
                for (sid,) in db.execute(
                    f"SELECT id FROM sessions {where} ORDER BY updated_at DESC, id DESC"
                    " LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                )
            ]
            return _query.session_infos(db, ids)

    def count_sessions(
        self,
        *,
        has_writes: bool = False,
        has_denials: bool = False,
        has_errors: bool = False,
        tool: str | None = None,
        host: str | None = None,
        file: str | None = None,
        query: str | None = None,
        manual: bool = False,
    ) -> int:
        """How many sessions ``sessions`` would page through with the same filters."""
        where, params = _query.filters(
            has_writes, has_denials, has_errors, tool, host, file, query, manual
        )
        with self._tx("count sessions", write=False) as db:
            return int(db.execute(f"SELECT count(*) FROM sessions {where}", params).fetchone()[0])

    def events(self, session_id: str) -> list[StoredEvent]:
        """Every stored event of a session (id or prefix), in order."""
        with self._tx("read events", write=False) as db:
            sid = _query.resolve(db, session_id)
            rows = db.execute(
                "SELECT seq, ts, kind, payload, prev_hash, hash FROM events"
                " WHERE session_id = ? ORDER BY seq",
                (sid,),
            ).fetchall()
        return [
            StoredEvent(sid, seq, ts, kind, _query.load_payload(payload), prev, digest)
            for seq, ts, kind, payload, prev, digest in rows
        ]

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Events whose text holds every word of ``text`` (words match as prefixes), best first.

        ``text`` is taken as plain words, never as FTS syntax, so any input is safe.
        """
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise JournalError("limit must be a whole number of 0 or more")
        match = _query.fts_query(text)
        with self._tx("search", write=False) as db:
            rows = db.execute(
                "SELECT e.session_id, e.seq, e.kind,"
                " snippet(events_fts, 0, '[', ']', '…', 12)"
                " FROM events_fts JOIN events e ON e.id = events_fts.rowid"
                " WHERE events_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            ).fetchall()
        return [SearchHit(sid, seq, kind, " ".join(snip.split())) for sid, seq, kind, snip in rows]

    def find_action(self, action_id: str) -> ActionRecord:
        """The session and full id of an action given by its id (or a unique prefix) alone."""
        with self._tx("find an action", write=False) as db:
            session_id, full_id = _query.resolve_action(db, action_id)
        return ActionRecord(session_id, full_id)
