"""The Journal: one SQLite file of sessions, their hash-chained events, blobs and search index."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from assistant.journal import _bulk, _keys, _query, _report, _verify
from assistant.journal._actions import action_record, fold_actions
from assistant.journal._chain import (
    GENESIS,
    canonical,
    event_hash,
    normalize_payload,
    session_header,
    sha256_hex,
)
from assistant.journal._head import Head, HeadFile
from assistant.journal._ledger import LedgerWriter, meta_get, tail
from assistant.journal._migrations import migrate
from assistant.journal._model import (
    ActionRecord,
    ActionState,
    JournalError,
    JournalReport,
    NotResumable,
    SearchHit,
    SessionInfo,
    SessionLookupError,
    StoredEvent,
    VerifyResult,
)
from assistant.journal._summary import search_text, summarize

_KIND = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _new_id() -> str:
    return uuid.uuid4().hex


def format_ts(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds: "2025-01-31T09:15:02.123Z" (sorts as text)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decode(raw: bytes) -> str:
    # A byte edited into invalid UTF-8 must not make the whole journal unreadable.
    return raw.decode("utf-8", "replace")


class Journal:
    """The replay log. Appends are durable on return (WAL, synchronous=FULL, one transaction each).

    Safe to share between threads (one lock around the connection) and to read from another
    process while this one writes. Every payload passes ``redact`` before it is written.
    Every session header and event is also a record of the journal-wide chain, keyed with the
    HMAC key the OS keyring keeps for this journal (see ``_keys`` and ``_head``).
    """

    def __init__(
        self,
        path: Path,
        redact: Callable[[Any], Any] | None = None,
        *,
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = Path(path)
        self._redact_fn = redact
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._read_key: _keys.KeyInfo | None = None
        self._db: sqlite3.Connection | None = self._open(busy_timeout)

    # -- connection ------------------------------------------------------------------------

    def _open(self, busy_timeout: float) -> sqlite3.Connection:
        head_file = HeadFile(self.path)
        head = head_file.read()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            size = self.path.stat().st_size if os.path.lexists(self.path) else None
        except OSError as exc:
            raise JournalError(f"cannot create the journal {self.path}: {exc.strerror}") from None
        if head != HeadFile.MISSING and not size:
            self._refuse_lost(head_file, head, "missing" if size is None else "empty (0 bytes)")
        try:
            if size is None:  # conversations are private: owner-only from the start
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise JournalError(f"cannot create the journal {self.path}: {exc.strerror}") from None
        try:
            db = sqlite3.connect(
                str(self.path),
                timeout=busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "open it") from None
        try:
            db.text_factory = _decode
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"the journal {self.path} cannot use WAL mode (got {mode})")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            migrated = migrate(db)
            journal_id = meta_get(db, "journal_id") or ""
            if isinstance(head, Head) and head.journal != journal_id:
                self._refuse_lost(head_file, head, f"another journal ({journal_id[:12]})")
            self._ledger = LedgerWriter(self.path, journal_id, self._now)
            gseq, link = tail(db, journal_id)
            if head == HeadFile.MISSING and (gseq == 0 or "m005_ledger" in migrated):
                head_file.write(journal_id, gseq, link, None)  # a new or just-upgraded journal
        except sqlite3.Error as exc:
            db.close()
            raise self._error(exc, "open it") from None
        except BaseException:
            db.close()
            raise
        return db

    def _refuse_lost(self, head_file: HeadFile, head: Head | str, state: str) -> None:
        """The file is not the journal its head record outside it describes: never start over
        silently in its place (that would hide a deleted or emptied journal)."""
        held = (
            f"says it held {head.gseq} records (journal {head.journal[:12]})"
            if isinstance(head, Head)
            else "is damaged"
        )
        raise JournalError(
            f"the journal {self.path} is {state}, but its head record {head_file.path.name}"
            f" {held}: the journal was deleted, emptied or replaced. Restore it from a backup;"
            f" to start a new journal instead, move {head_file.path} aside as well"
        )

    def _now(self) -> str:
        return format_ts(self._clock())

    def _error(self, exc: sqlite3.Error, doing: str) -> JournalError:
        msg = str(exc)
        if "locked" in msg or "busy" in msg:
            return JournalError(
                f"the journal {self.path} is locked by another process; try again ({msg})"
            )
        return JournalError(f"the journal {self.path} is unreadable (could not {doing}): {msg}")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise JournalError(f"the journal {self.path} is closed")
        return self._db

    @contextmanager
    def _tx(self, doing: str, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock: IMMEDIATE for writes (takes the write lock up front),
        deferred for reads (one consistent snapshot across several statements)."""
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise self._error(exc, doing) from None
            try:
                yield db
                db.execute("COMMIT")
            except BaseException as exc:
                if write:
                    self._ledger.discarded()
                if db.in_transaction:
                    with suppress(sqlite3.Error):  # keep the original error, not the rollback's
                        db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc, doing) from None
                raise
            if write:
                self._ledger.published()

    def close(self) -> None:
        """Close the connection (idempotent); later calls raise JournalError."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._ledger.head.sync()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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

    def create_session(
        self,
        *,
        model: str | None,
        workspace: str,
        title: str | None = None,
        parent: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> str:
        """Start a session; returns its id (uuid4 hex). ``parent`` may be an id or a prefix."""
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
        session_id = _new_id()
        now = format_ts(self._clock())
        with self._tx("create a session", write=True) as db:
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
        events: list[tuple[str, str, dict[str, Any]]],
        redact: Callable[[Any], Any] | None = None,
    ) -> _bulk.StoredSession:
        """Store a verified export as a new session in one transaction (one fsync), its events
        (ts, kind, payload) keeping their times. ``meta`` is chained in its header, so its
        read-only flag cannot be edited unseen. Raises DuplicateSession when ``source`` is
        here already, was imported before, or shares an action id with a session here."""
        redact = redact or self._redact
        for name, value in (("model", model), ("workspace", workspace), ("created_at", created_at)):
            if value is not None and (not isinstance(value, str) or not _is_utf8(value)):
                raise JournalError(f"import: {name} is not valid text")
        clean = redact({"title": title, "meta": meta})
        header, _ = normalize_payload(clean, "session header")
        with self._tx("import a session", write=True) as db:
            return _bulk.store_session(
                db,
                self._ledger,
                redact,
                session_id=_new_id(),
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
    ) -> list[SessionInfo]:
        """A page of sessions, most recently active first, narrowed by every filter given.

        ``host`` matches "example.com" or "example.com:443"; ``file`` matches a path or anything
        under it as a folder; ``query`` is full-text search over events and titles.
        """
        for name, value in (("limit", limit), ("offset", offset)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise JournalError(f"{name} must be a whole number of 0 or more")
        where, params = _query.filters(has_writes, has_denials, has_errors, tool, host, file, query)
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
    ) -> int:
        """How many sessions ``sessions`` would page through with the same filters."""
        where, params = _query.filters(has_writes, has_denials, has_errors, tool, host, file, query)
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

    def _key_for_reading(self) -> _keys.KeyInfo:
        """The key verify checks with: the writer's, else the keyring's (never made here)."""
        if self._ledger.has_key:
            return self._ledger.key
        if self._read_key is None:
            self._read_key = _keys.lookup(self.path, self._ledger.journal_id)
        return self._read_key

    def verify(self, session_id: str) -> VerifyResult:
        """Check one session (chains, header, summary); the result names what fails first."""
        info = self._key_for_reading()
        with self._tx("verify", write=False) as db:
            sid = _query.resolve(db, session_id)
            view = _verify.KeyView.load(db, info)
            return _verify.verify_session(db, sid, view, legacy_upto=_verify.legacy_records(db))

    def verify_all(self) -> list[VerifyResult]:
        """``verify`` for every session, oldest first, in one consistent snapshot."""
        return list(self._audit(sessions_only=True).sessions)

    def verify_journal(self) -> JournalReport:
        """Check everything: the database file (integrity_check), every blob's hash, the
        journal-wide chain and its head record outside the file, and every session."""
        return self._audit(sessions_only=False)

    def _audit(self, *, sessions_only: bool) -> JournalReport:
        info = self._key_for_reading()
        with self._tx("verify", write=False) as db:
            if sessions_only:
                view = _verify.KeyView.load(db, info)
                a = _report._Audit(db, self.path, self._ledger.journal_id, info)
                found = a.sessions(view)
                return JournalReport(str(self.path), True, False, 0, 0, (), (), tuple(found))
            return _report.audit(db, self.path, self._ledger.journal_id, info, self._ledger.head)

    def check_resumable(self, session_id: str) -> SessionInfo:
        """The one rule for resume and undo, in the CLI and the app: the session must verify,
        the journal must not have lost records since it began, and it must not be an imported
        read-only copy. Raises NotResumable saying which; returns the session otherwise."""
        info = self._key_for_reading()
        with self._tx("check a session", write=False) as db:
            sid = _query.resolve(db, session_id)
            view = _verify.KeyView.load(db, info)
            result = _verify.verify_session(
                db, sid, view, legacy_upto=_verify.legacy_records(db)
            )
            row = db.execute(
                "SELECT gseq FROM ledger WHERE session_id = ? AND seq = 0", (sid,)
            ).fetchone()
            lost = _report.continuity(
                db, self._ledger.journal_id, self._ledger.head, int(row[0]) if row else 1
            )
            session = _query.session_infos(db, [sid])[0]
            header = _verify._note(
                db.execute("SELECT header FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
            )
        if not result.ok:
            raise NotResumable(
                f"session {sid[:8]} fails verification ({result.reason}): it cannot be resumed"
                " or undone; `assistant history verify` shows what was altered"
            )
        if lost:
            raise NotResumable(
                f"session {sid[:8]} cannot be resumed or undone: the journal lost records"
                f" ({lost}); `assistant history verify` shows what"
            )
        meta = header.get("meta") if isinstance(header.get("meta"), dict) else {}
        if meta.get("read_only"):
            imported = meta.get("imported") if isinstance(meta.get("imported"), dict) else {}
            source = imported.get("source_session")
            origin = f" (imported from session {source})" if isinstance(source, str) else ""
            raise NotResumable(
                f"session {sid[:8]} is a read-only copy{origin}: it cannot be resumed or"
                " undone here (its files are another machine's); start a new session, or make"
                " a recipe from it with `assistant export ID --format recipe`"
            )
        return session

    def action_states(self, session_id: str) -> dict[str, ActionState]:
        """action_id -> where that action ended up ("outcome unknown": approved, no result)."""
        return fold_actions(self.events(session_id))

    def find_action(self, action_id: str) -> ActionRecord:
        """An action by its id (or a unique prefix) alone, whichever session it is in."""
        with self._tx("find an action", write=False) as db:
            session_id, full_id = _query.resolve_action(db, action_id)
        return action_record(session_id, full_id, self.events(session_id))
