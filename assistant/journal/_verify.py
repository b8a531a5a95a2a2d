"""Verify: each session against the chains, and the journal as a whole.

A session passes when its events' sha256 chain holds, each of its records (header and events)
links correctly into the journal-wide chain (an HMAC checked with the keyring's key where the
chain is keyed), its stored header columns equal the chained header, and every count, target,
action id and search row history shows equals what its events say. The journal passes when
SQLite's own integrity check passes, every blob still hashes to its name, the journal-wide chain
has no gap and agrees with its head record outside the file, and every session passes.
"""

from __future__ import annotations

import bisect
import hmac
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from assistant.journal import _keys
from assistant.journal._chain import (
    KEYED,
    UNKEYED,
    canonical,
    genesis_link,
    ledger_link,
    sha256_hex,
    verify_rows,
)
from assistant.journal._derive import derive, index_mismatch, summary_mismatch
from assistant.journal._query import load_payload
from assistant.journal._records import VerifyResult

MAX_LISTED = 5
"""Bad records named one by one before the rest are only counted."""

UNKEYED_MEANS = (
    "anyone who can edit the file can recompute an unkeyed chain, so verify shows these records"
    " are consistent, not that they are unaltered"
)

OK, INITIAL, AFTER_KEYED, UNCHECKED = "ok", "unkeyed", "unkeyed after keyed", "unchecked"


@dataclass
class KeyView:
    """Which key signs each record (from the chain's key notes) and whether this keyring holds it."""

    info: _keys.KeyInfo
    starts: list[int] = field(default_factory=list)
    key_ids: list[str | None] = field(default_factory=list)
    reasons: list[str | None] = field(default_factory=list)

    @classmethod
    def load(cls, db: sqlite3.Connection, info: _keys.KeyInfo) -> KeyView:
        view = cls(info)
        for gseq, text in db.execute(
            "SELECT gseq, note FROM ledger WHERE session_id = '' ORDER BY gseq"
        ):
            note = _note(text)
            if note.get("note") == "key":
                kid = note.get("key_id")
                view.starts.append(int(gseq))
                view.key_ids.append(kid if isinstance(kid, str) else None)
                reason = note.get("reason")
                view.reasons.append(reason if isinstance(reason, str) else None)
        return view

    def _at(self, gseq: int) -> int:
        return bisect.bisect_right(self.starts, gseq) - 1

    def key_id_at(self, gseq: int) -> str | None:
        i = self._at(gseq)
        return self.key_ids[i] if i >= 0 else None

    def keyed_before(self, gseq: int) -> bool:
        i = self._at(gseq)
        return any(k is not None for k in self.key_ids[: max(i, 0)])

    def reason_at(self, gseq: int) -> str | None:
        i = self._at(gseq)
        return self.reasons[i] if i >= 0 else None

    @property
    def ever_keyed(self) -> bool:
        return any(k is not None for k in self.key_ids)

    @property
    def key_unused(self) -> bool:
        """The keyring holds this journal's key, yet no key note names it: the chain was
        rebuilt without the key (whoever did could not sign with it)."""
        return self.info.key is not None and self.info.key_id not in self.key_ids


def _note(text: Any) -> dict[str, Any]:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


def link_status(
    view: KeyView, gseq: int, sid: str, seq: int, digest: str, link: str, prev: str
) -> str:
    """OK, INITIAL, AFTER_KEYED or UNCHECKED, or a sentence saying what is wrong."""
    kid = view.key_id_at(gseq)
    if kid is None:
        if not link.startswith(UNKEYED):
            return f"record {gseq} carries a keyed link where the chain has no key"
        if link != ledger_link(prev, gseq, sid, seq, digest, None):
            return f"record {gseq}: its link does not match (it, or the record before it, changed)"
        return AFTER_KEYED if view.keyed_before(gseq) else INITIAL
    if not link.startswith(KEYED):
        return f"record {gseq} is unkeyed inside the keyed chain: it was rewritten without the key"
    if view.info.key is None or view.info.key_id != kid:
        return UNCHECKED
    if not hmac.compare_digest(link, ledger_link(prev, gseq, sid, seq, digest, view.info.key)):
        return (
            f"record {gseq}: its HMAC does not match (it, or the record before it, changed;"
            " recomputing it needs the key)"
        )
    return OK


def _what(seq: int) -> str:
    return "the session's header" if seq == 0 else f"event {seq}"


def verify_session(
    db: sqlite3.Connection,
    sid: str,
    view: KeyView,
    *,
    legacy_upto: int = 0,
    actions: set[str] | None = None,
    titles: list[str] | None = None,
) -> VerifyResult:
    """Check one session inside the caller's read transaction (see the module docstring)."""

    def bad(seq: int, reason: str, checked: int = 0) -> VerifyResult:
        return VerifyResult(sid, False, checked, seq, reason)

    row = db.execute(
        "SELECT CAST(header AS BLOB), created_at, model, workspace, parent, CAST(meta AS BLOB)"
        " FROM sessions WHERE id = ?",
        (sid,),
    ).fetchone()
    ledger = {
        int(seq): (int(gseq), str(digest), str(link), prev)
        for gseq, seq, digest, link, prev in db.execute(
            "SELECT l.gseq, l.seq, l.digest, l.link, p.link FROM ledger l"
            " LEFT JOIN ledger p ON p.gseq = l.gseq - 1 WHERE l.session_id = ?",
            (sid,),
        )
    }
    if row is None or row[0] is None or 0 not in ledger:
        return bad(0, "the session is not on the journal-wide chain: it was added outside the app")
    events = db.execute(
        "SELECT id, seq, CAST(ts AS BLOB), CAST(kind AS BLOB), CAST(payload AS BLOB),"
        " CAST(prev_hash AS BLOB), CAST(hash AS BLOB) FROM events"
        " WHERE session_id = ? ORDER BY seq",
        (sid,),
    ).fetchall()
    chain = verify_rows(sid, [e[1:] for e in events], len(ledger) - 1)
    if not chain.ok:
        return chain
    n = chain.checked
    for _, seq, *_rest, digest in events:
        if ledger.get(seq, (0, ""))[1] != bytes(digest).decode():
            replaced = f"event {seq}: it is not the event the journal-wide chain recorded"
            return bad(seq, replaced + " (replaced)", n)
    header_text = bytes(row[0]).decode("utf-8", "replace")
    if ledger[0][1] != sha256_hex(header_text):
        return bad(0, "its chained header was edited", n)
    header = _note(header_text)
    meta_text = bytes(row[5]).decode("utf-8", "replace")
    for name, stored in zip(
        ("id", "created_at", "model", "workspace", "parent"), (sid, *row[1:5]), strict=True
    ):
        if header.get(name) != stored:
            return bad(0, f"its {name} was changed: the chain says {header.get(name)!r}", n)
    if meta_text != canonical(header.get("meta")):
        was = bool((header.get("meta") or {}).get("read_only"))
        if bool(load_payload(meta_text).get("read_only")) != was:
            return bad(0, f"its read-only flag was changed: the chain says {was}", n)
        return bad(0, "its meta data was changed (it differs from the chained header)", n)
    if view.key_unused:
        return bad(
            0, "the keyring holds this journal's key, but no record is signed with it: the"
            " journal was rewritten without its key", n,
        )  # fmt: skip
    statuses: set[str] = set()
    for seq in sorted(ledger):
        gseq, digest, link, prev = ledger[seq]
        if prev is None:
            if gseq != 1:
                gone = f"the journal-wide record before {_what(seq)} is missing (deleted)"
                return bad(seq, gone, n)
            prev = genesis_link(_journal_id(db))
        status = link_status(view, gseq, sid, seq, digest, link, str(prev))
        if status not in (OK, INITIAL, AFTER_KEYED, UNCHECKED):
            return bad(seq, f"{_what(seq)}: {status}", n)
        statuses.add(status)
    if UNCHECKED in statuses:
        why = view.info.problem or "the keyring holds another key"
        return bad(
            0, f"its records are signed with a key this keyring does not hold ({why}): they"
            " cannot be checked", n,
        )  # fmt: skip
    if AFTER_KEYED in statuses:
        return bad(
            0,
            "some of its records were written without the key after the journal was keyed"
            f" ({view.reason_at(max(g for g, *_ in ledger.values())) or 'no key'}): anyone"
            " with the file could have written them",
            n,
        )
    payloads = [
        (rowid, bytes(ts).decode(), bytes(kind).decode(), load_payload(bytes(p).decode()))
        for rowid, _, ts, kind, p, _, _ in events
    ]
    d = derive(payloads)
    reason = summary_mismatch(db, sid, d, header)
    if reason is None:
        if actions is None:
            actions = {
                a
                for (a,) in db.execute("SELECT action_id FROM actions WHERE session_id = ?", (sid,))
            }
        if titles is None:
            titles = [
                t
                for (t,) in db.execute("SELECT title FROM titles_fts WHERE session_id = ?", (sid,))
            ]
        legacy = ledger[0][0] <= legacy_upto
        reason = index_mismatch(db, sid, d, header, actions, titles, legacy)
    if reason is not None:
        return bad(0, reason, n)
    keyed = statuses == {OK}
    warnings = () if keyed else (f"its chain is unkeyed: {UNKEYED_MEANS}",)
    text = f"chain intact ({n} event{'' if n == 1 else 's'})" + ("" if keyed else ", unkeyed")
    return VerifyResult(sid, True, n, None, text, keyed, warnings)


def _journal_id(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM journal_meta WHERE name = 'journal_id'").fetchone()
    return str(row[0]) if row else ""


def legacy_records(db: sqlite3.Connection) -> int:
    """How many records the migration chained from an older version's journal (0 if none)."""
    for (text,) in db.execute(
        "SELECT note FROM ledger WHERE session_id = '' ORDER BY gseq LIMIT 8"
    ):
        note = _note(text)
        if note.get("note") == "legacy" and isinstance(note.get("records"), int):
            return int(note["records"])
    return 0
