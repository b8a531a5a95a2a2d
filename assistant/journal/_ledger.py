"""Writing the journal-wide chain: every header, event and note gets the next record and link.

Inside each write transaction the writer first compares the head record (outside the file)
with the chain's last record. When they disagree (a cut tail, a missing or swapped head) it
chains a note saying so before its own records, so that evidence survives the head being
rewritten; when the key it writes with differs from the chain's (a first key, a keyring that is
gone), it chains a key note. Verify reads those notes back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.journal import _keys
from assistant.journal._chain import canonical, genesis_link, ledger_link, sha256_hex
from assistant.journal._head import Head, HeadFile
from tools.words import plural

Record = tuple[str, int, str]
"""(session_id, seq, digest): seq 0 is a session's header, n its event n."""


def meta_get(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute("SELECT value FROM journal_meta WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def meta_set(db: sqlite3.Connection, name: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO journal_meta (name, value) VALUES (?, ?)", (name, value))


def tail(db: sqlite3.Connection, journal_id: str) -> tuple[int, str]:
    """(gseq, link) of the chain's last record; (0, the genesis link) for an empty chain."""
    row = db.execute("SELECT gseq, link FROM ledger ORDER BY gseq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, genesis_link(journal_id))


def head_disagreement(
    db: sqlite3.Connection, journal_id: str, head: Head | str, last: int, last_link: str
) -> str | None:
    """What the head record and the chain disagree about, in words, or None.

    A head behind the chain is fine (the head is written after each commit, without an
    fsync) as long as the record it names still has the link it recorded.
    """
    if head == HeadFile.MISSING:
        return "the head record was missing" if last > 0 else None
    if not isinstance(head, Head):
        return "the head record was unreadable"
    if head.journal != journal_id:
        return f"the head record belonged to another journal ({head.journal[:12]})"
    if head.gseq > last:
        cut = f"record {head.gseq}" if head.gseq == last + 1 else f"records {last + 1}-{head.gseq}"
        return (
            f"the head record said the journal had {plural(head.gseq, 'record')} but it had {last}:"
            f" {cut} had been cut off"
        )
    if head.gseq == 0:
        return None
    if head.gseq == last:
        named = last_link
    else:
        row = db.execute("SELECT link FROM ledger WHERE gseq = ?", (head.gseq,)).fetchone()
        named = str(row[0]) if row else ""
    if named != head.link:
        return f"record {head.gseq} no longer matched the head record: it had been rewritten"
    return None


class LedgerWriter:
    """The journal-wide chain's writer for one Journal: its key, its head file, its notes."""

    def __init__(self, path: Path, journal_id: str, now: Callable[[], str]) -> None:
        self.path = path
        self.journal_id = journal_id
        self.head = HeadFile(path)
        self._now = now
        self._key: _keys.KeyInfo | None = None
        self._pending: tuple[int, str] | None = None
        self._written: tuple[int, str] | None = None
        """The last record this writer committed: while it is still the chain's last, nobody
        else wrote or cut anything since, so the head and key checks have nothing to find."""

    @property
    def has_key(self) -> bool:
        """The key was looked up (or made) already: a writer signs, then verifies, with it."""
        return self._key is not None

    @property
    def key(self) -> _keys.KeyInfo:
        """The key this writer signs with, looked up (or made) on first use."""
        if self._key is None:
            self._key = self._obtain()
        return self._key

    def _obtain(self) -> _keys.KeyInfo:
        found = _keys.lookup(self.path, self.journal_id)
        if found.key is not None:
            return found
        if found.state in (_keys.ABSENT, _keys.OTHER_JOURNAL):
            made = _keys.create(self.path, self.journal_id)
            if made.key is not None and found.state == _keys.OTHER_JOURNAL:
                return _keys.KeyInfo(made.key, made.journal, replaced=found.journal)
            return made
        return found

    def chain(self, db: sqlite3.Connection, records: Sequence[Record]) -> None:
        """Append ``records`` to the chain (after any notes owed), inside the caller's write
        transaction; the head file is rewritten by ``published`` once it commits."""
        key = self.key
        gseq, link = tail(db, self.journal_id)
        notes: list[dict[str, Any]] = []
        if (gseq, link) != self._written:
            notes = self._owed(db, key, gseq, link)
        rows: list[tuple[int, str, int, str, str, str | None]] = []
        for note in notes:
            gseq += 1
            text = canonical(note)
            digest = sha256_hex(text)
            link = ledger_link(link, gseq, "", gseq, digest, key.key)
            rows.append((gseq, "", gseq, digest, link, text))
        for session_id, seq, digest in records:
            gseq += 1
            link = ledger_link(link, gseq, session_id, seq, digest, key.key)
            rows.append((gseq, session_id, seq, digest, link, None))
        db.executemany(
            "INSERT INTO ledger (gseq, session_id, seq, digest, link, note)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._pending = (gseq, link)

    def _owed(
        self, db: sqlite3.Connection, key: _keys.KeyInfo, gseq: int, link: str
    ) -> list[dict[str, Any]]:
        """The notes to chain before new records: a head that disagrees, a change of key."""
        notes: list[dict[str, Any]] = []
        problem = head_disagreement(db, self.journal_id, self.head.read(), gseq, link)
        if problem:
            notes.append({"note": "head", "problem": problem, "at": self._now()})
        noted = meta_get(db, "key_id")
        if noted is None or json.loads(noted) != key.key_id:  # the first record says too
            note: dict[str, Any] = {"note": "key", "key_id": key.key_id, "at": self._now()}
            if key.key is None:
                note["reason"] = key.problem or "no key"
            if key.replaced:
                note["previous_journal"] = key.replaced
            notes.append(note)
            meta_set(db, "key_id", json.dumps(key.key_id))
        return notes

    def published(self, db: sqlite3.Connection) -> None:
        """The transaction committed: the head file names its last record now (unless another
        process already recorded a later one that the chain holds)."""
        if self._pending is not None:
            gseq, link = self._pending
            self._pending = None
            self._written = (gseq, link)

            def recorded(n: int) -> str | None:
                row = db.execute("SELECT link FROM ledger WHERE gseq = ?", (n,)).fetchone()
                return str(row[0]) if row else None

            self.head.write(self.journal_id, gseq, link, self.key.key, recorded)

    def discarded(self) -> None:
        self._pending = None
