"""The Journal's connection: open and migrate the file, check it against its head record,
and run transactions under one lock."""

from __future__ import annotations

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
from typing import Any, Self

from assistant.journal import _keys
from assistant.journal._head import Head, HeadFile
from assistant.journal._ledger import LedgerWriter, meta_get, tail
from assistant.journal._migrations import migrate
from assistant.journal._records import JournalError
from tools.words import plural


def format_ts(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds: "2025-01-31T09:15:02.123Z" (sorts as text)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def random_id() -> str:
    """A new session's id: uuid4 as 32 hex digits (the journal's default id factory)."""
    return uuid.uuid4().hex


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decode(raw: bytes) -> str:
    # A byte edited into invalid UTF-8 must not make the whole journal unreadable.
    return raw.decode("utf-8", "replace")


class Connection:
    """The journal's SQLite connection: opening (refusing a file that lost its journal),
    migrations, one lock, and transactions that publish the head record once they commit."""

    def __init__(
        self,
        path: Path,
        redact: Callable[[Any], Any] | None = None,
        *,
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        """``clock`` stamps events; ``new_id`` makes each new session's id (32 lowercase hex
        digits; default ``random_id``): both are seams for tests and snapshots."""
        self.path = Path(path)
        self._redact_fn = redact
        self._clock = clock or (lambda: datetime.now(UTC))
        self._id_factory = new_id or random_id
        self._lock = threading.RLock()
        self._read_key: _keys.KeyInfo | None = None
        self._db: sqlite3.Connection | None = self._open(busy_timeout)

    def _new_id(self) -> str:
        """The next session id from the factory, checked: every lookup expects 32 hex digits."""
        made = self._id_factory()
        if not isinstance(made, str) or not _SESSION_ID.fullmatch(made):
            raise JournalError(f"the id factory made {made!r}, not 32 lowercase hex digits")
        return made

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
            f"says it held {plural(head.gseq, 'record')} (journal {head.journal[:12]})"
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
        if "malformed" in msg:
            return JournalError(
                f"the journal {self.path} is damaged: the database file is damaged ({msg});"
                f" could not {doing}"
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
                self._ledger.published(db)

    def close(self) -> None:
        """Close the connection (idempotent); later calls raise JournalError."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._ledger.head.sync()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
