"""The whole-journal check behind `assistant history verify`: file, chain, head, blobs, sessions."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assistant.journal import _keys
from assistant.journal._chain import KEYED, genesis_link, sha256_hex
from assistant.journal._head import Head
from assistant.journal._ledger import head_disagreement
from assistant.journal._records import JournalReport, VerifyResult
from assistant.journal._verify import (
    AFTER_KEYED,
    INITIAL,
    MAX_LISTED,
    OK,
    UNCHECKED,
    UNKEYED_MEANS,
    KeyView,
    _note,
    legacy_records,
    link_status,
    verify_session,
)

_HEX64 = frozenset("0123456789abcdef")


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7" (the first few runs, then a count)."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    shown = [f"{a}-{b}" if a != b else str(a) for a, b in runs[:MAX_LISTED]]
    more = f" and {len(runs) - MAX_LISTED} more runs" if len(runs) > MAX_LISTED else ""
    return ", ".join(shown) + more


class _Audit:
    def __init__(self, db: sqlite3.Connection, path: Path, journal_id: str, info: _keys.KeyInfo):
        self.db = db
        self.path = path
        self.journal_id = journal_id
        self.info = info
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.records = 0
        self.blobs = 0
        self.keyed = info.key is not None

    def stage(self, doing: str, fn: Callable[[], None]) -> None:
        """Run one check; a database too damaged to answer is a finding, not a crash."""
        try:
            fn()
        except sqlite3.DatabaseError as exc:
            self.problems.append(f"the database file is damaged: {exc} (while {doing})")
            self.keyed = False

    def integrity(self) -> None:
        rows = [str(r[0]) for r in self.db.execute("PRAGMA integrity_check(10)")]
        if rows != ["ok"]:
            self.problems.append(
                "the database file is damaged: PRAGMA integrity_check says " + "; ".join(rows)
            )

    def blob_hashes(self) -> None:
        for digest, size, data in self.db.execute("SELECT hash, size, data FROM blobs"):
            self.blobs += 1
            raw = bytes(data) if isinstance(data, bytes | memoryview) else str(data).encode()
            name = str(digest)
            if hashlib.sha256(raw).hexdigest() != name or size != len(raw):
                self.problems.append(
                    f"blob {name[:12]}… is damaged: its bytes no longer match its hash"
                )
        present = {str(h) for (h,) in self.db.execute("SELECT hash FROM blobs")}
        for sid, seq, wanted in self._blob_refs():
            if wanted not in present:
                self.problems.append(
                    f"blob {wanted[:12]}… (kept by event {seq} of session {sid[:12]}) is missing"
                )

    def _blob_refs(self) -> Iterable[tuple[str, int, str]]:
        for sid, seq, text in self.db.execute(
            "SELECT session_id, seq, payload FROM events WHERE kind = 'action.result'"
            ' AND payload LIKE \'%"blobs":{"%\''
        ):
            payload = _note(text)
            for digest in _strings(payload.get("blobs")):
                if len(digest) == 64 and set(digest) <= _HEX64:
                    yield str(sid), int(seq), digest

    def ledger(self, view: KeyView) -> None:
        last, prev = 0, genesis_link(self.journal_id)
        kinds: dict[str, list[int]] = {INITIAL: [], AFTER_KEYED: [], UNCHECKED: []}
        bad: list[str] = []
        named: set[str] = set()
        for gseq, sid, seq, digest, link, note in self.db.execute(
            "SELECT gseq, session_id, seq, digest, link, note FROM ledger ORDER BY gseq"
        ):
            gseq, sid, seq, digest, link = int(gseq), str(sid), int(seq), str(digest), str(link)
            if gseq != last + 1:
                self.problems.append(
                    f"records {last + 1}-{gseq - 1} of the journal-wide chain are missing:"
                    " sessions or events were deleted"
                )
            else:
                status = link_status(view, gseq, sid, seq, digest, link, prev)
                if status in kinds:
                    kinds[status].append(gseq)
                elif status != OK:
                    bad.append(status)
            if sid:
                named.add(sid)
            else:
                self._note(gseq, digest, note)
            last, prev = gseq, link
        self.records = last
        for reason in bad[:MAX_LISTED]:
            self.problems.append(reason)
        if len(bad) > MAX_LISTED:
            self.problems.append(f"… and {len(bad) - MAX_LISTED} more records whose link fails")
        self._segments(view, kinds)
        existing = {str(s) for (s,) in self.db.execute("SELECT id FROM sessions")}
        for sid in sorted(named - existing)[:MAX_LISTED]:
            self.problems.append(
                f"session {sid} was deleted: the journal-wide chain still records it"
            )
        self.keyed = self.keyed and not any(kinds.values()) and not bad

    def _note(self, gseq: int, digest: str, text: Any) -> None:
        if not isinstance(text, str) or sha256_hex(text) != digest:
            self.problems.append(f"record {gseq} (a journal note) was edited")
            return
        note = _note(text)
        kind = note.get("note")
        if kind == "head":
            self.problems.append(f"when record {gseq} was written, {note.get('problem')}")
        elif kind == "legacy":
            self.warnings.append(
                f"records 1-{note.get('records')} come from an older version of the journal,"
                f" chained as found on {note.get('at')}; they are unkeyed: {UNKEYED_MEANS}"
            )
        elif kind == "key" and note.get("previous_journal"):
            self.warnings.append(
                f"this journal replaced journal {str(note['previous_journal'])[:12]} at this"
                f" location on {note.get('at')} (it was deleted or moved aside)"
            )

    def _segments(self, view: KeyView, kinds: dict[str, list[int]]) -> None:
        legacy = legacy_records(self.db)
        fresh = [g for g in kinds[INITIAL] if g > (legacy + 1 if legacy else 0)]
        if fresh:
            why = view.reason_at(fresh[0]) or "no keyring was available when they were written"
            self.warnings.append(f"records {_ranges(fresh)} are unkeyed ({why}): {UNKEYED_MEANS}")
        if kinds[AFTER_KEYED]:
            self.problems.append(
                f"records {_ranges(kinds[AFTER_KEYED])} were written without the key after the"
                f" journal was keyed ({view.reason_at(kinds[AFTER_KEYED][0]) or 'no key'}):"
                " anyone with the file could have written them"
            )
        if kinds[UNCHECKED]:
            why = self.info.problem or "the keyring holds a different key"
            self.problems.append(
                f"records {_ranges(kinds[UNCHECKED])} are signed with a key this keyring does"
                f" not hold for this journal ({why}): they cannot be checked"
            )
        if view.key_unused and self.records:
            self.problems.append(
                "the keyring holds this journal's key, but no record is signed with it:"
                " the journal was rewritten without its key"
            )
        if self.info.state == _keys.OTHER_JOURNAL and not view.ever_keyed:
            if self.records:  # any write here would have made this journal its own key
                self.problems.append(
                    f"{self.info.problem}, yet none of this journal's {self.records} records is"
                    " signed: it was replaced by one made elsewhere or rebuilt without the key"
                )
            else:
                self.warnings.append(
                    f"{self.info.problem}: this new journal replaced it (deleted or moved aside)"
                )

    def head(self, head: Head | str, name: str) -> None:
        row = self.db.execute("SELECT link FROM ledger WHERE gseq = ?", (self.records,)).fetchone()
        last_link = str(row[0]) if row else genesis_link(self.journal_id)
        problem = head_disagreement(self.db, self.journal_id, head, self.records, last_link)
        if problem:
            self.problems.append(f"{problem} ({name})")
            return
        if not isinstance(head, Head) or head.gseq == 0:
            return
        if head.mac.startswith(KEYED):
            if self.info.key is not None and not head.valid(self.info.key):
                self.problems.append("the head record's MAC does not hold: it was forged")
        elif not head.valid(None):
            self.problems.append("the head record is damaged (its checksum fails)")
        elif head.link.startswith(KEYED):
            self.problems.append(
                "the head record is unkeyed but names a keyed record: it was rewritten"
            )

    def orphans(self) -> None:
        checks = (
            ("events", "SELECT count(*) FROM events WHERE session_id NOT IN"
             " (SELECT id FROM sessions)"),
            ("search index entries", "SELECT count(*) FROM events_fts WHERE rowid NOT IN"
             " (SELECT id FROM events)"),
            ("title index entries", "SELECT count(*) FROM titles_fts WHERE session_id NOT IN"
             " (SELECT id FROM sessions)"),
            ("filter entries", "SELECT count(*) FROM session_targets WHERE session_id NOT IN"
             " (SELECT id FROM sessions)"),
            ("action ids", "SELECT count(*) FROM actions WHERE session_id NOT IN"
             " (SELECT id FROM sessions)"),
        )  # fmt: skip
        for what, sql in checks:
            (count,) = self.db.execute(sql).fetchone()
            if count:
                self.problems.append(f"{count} {what} name sessions or events that are not here")

    def sessions(self, view: KeyView) -> list[VerifyResult]:
        legacy = legacy_records(self.db)
        actions: dict[str, set[str]] = {}
        for action_id, sid in self.db.execute("SELECT action_id, session_id FROM actions"):
            actions.setdefault(str(sid), set()).add(str(action_id))
        titles: dict[str, list[str]] = {}
        for title, sid in self.db.execute("SELECT title, session_id FROM titles_fts"):
            titles.setdefault(str(sid), []).append(str(title))
        ids = [
            str(s) for (s,) in self.db.execute("SELECT id FROM sessions ORDER BY created_at, id")
        ]
        return [
            verify_session(
                self.db,
                sid,
                view,
                legacy_upto=legacy,
                actions=actions.get(sid, set()),
                titles=titles.get(sid, []),
            )
            for sid in ids
        ]


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def audit(
    db: sqlite3.Connection,
    path: Path,
    journal_id: str,
    info: _keys.KeyInfo,
    head: Head | str,
    head_name: str,
    *,
    sessions: bool = True,
) -> JournalReport:
    """Check the whole journal inside the caller's read transaction. ``head`` is the head
    record as read *before* that transaction began: a head read later could name a record
    another process committed after the snapshot, which would look like a cut tail."""
    a = _Audit(db, path, journal_id, info)
    a.stage("running PRAGMA integrity_check", a.integrity)
    a.stage("checking blobs", a.blob_hashes)
    view = KeyView(info)
    found: list[VerifyResult] = []

    def chain() -> None:
        nonlocal view
        view = KeyView.load(db, info)
        a.ledger(view)
        a.head(head, head_name)

    a.stage("walking the journal-wide chain", chain)
    a.stage("checking the indexes", a.orphans)
    if sessions:
        a.stage("checking sessions", lambda: found.extend(a.sessions(view)))
    ok = not a.problems and all(r.ok for r in found)
    keyed = a.keyed
    return JournalReport(
        str(path), ok, keyed, a.records, a.blobs, tuple(a.problems), tuple(a.warnings), tuple(found)
    )


def continuity(db: sqlite3.Connection, journal_id: str, head: Head | str, since: int) -> str | None:
    """Why records a session at ``since`` (its header's gseq) or later may have lost are gone,
    or None: a gap or a cut tail after it, or a head note written after it (cheap: no walk)."""
    last_row = db.execute("SELECT gseq, link FROM ledger ORDER BY gseq DESC LIMIT 1").fetchone()
    last, link = (int(last_row[0]), str(last_row[1])) if last_row else (0, "")
    (count,) = db.execute("SELECT count(*) FROM ledger WHERE gseq >= ?", (since,)).fetchone()
    if count != last - since + 1:
        return "records of the journal-wide chain after it began are missing (deleted)"
    problem = head_disagreement(db, journal_id, head, last, link)
    if problem:
        return problem
    for gseq, text in db.execute(
        "SELECT gseq, note FROM ledger WHERE session_id = '' AND seq > ?", (since,)
    ):
        note = _note(text)
        if note.get("note") == "head":
            return f"when record {gseq} was written, {note.get('problem')}"
    return None
