"""Storing a whole session at once (an import): one transaction, batched inserts, one fsync.

Appending event by event costs one fsync each (what keeps a live session durable); an import
has all its events up front, so it writes them with executemany inside one transaction and
commits once. The rows are exactly what ``append`` would have written: the same hashes, search
text, summary and journal-wide records, so verify cannot tell the two apart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from assistant.journal._chain import (
    GENESIS,
    canonical,
    event_hash,
    normalize_payload,
    session_header,
    sha256_hex,
)
from assistant.journal._derive import derive
from assistant.journal._ledger import LedgerWriter
from assistant.journal._records import DuplicateSession, JournalError

_CHUNK = 500

Event = tuple[str, str, dict[str, Any], str | None]
"""(ts, kind, payload, its canonical text or None): the text when the caller parsed the payload
from JSON and already made it (an import does, to check the file's hashes)."""


@dataclass(frozen=True)
class StoredSession:
    session_id: str
    events: int
    changed: int
    """Events whose payload the redactor changed on the way in."""


@contextmanager
def big_cache(db: sqlite3.Connection) -> Iterator[None]:
    """A page cache that holds the indexes a large import writes into (64 MB, then back)."""
    (before,) = db.execute("PRAGMA cache_size").fetchone()
    db.execute("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(before)}")


def refuse_duplicate(db: sqlite3.Connection, source: str, action_ids: Sequence[str]) -> None:
    """DuplicateSession when ``source`` is here, was imported before, or shares an action id
    with a session here (two sessions with one action id would make `assistant undo` ambiguous)."""
    if db.execute("SELECT 1 FROM sessions WHERE id = ?", (source,)).fetchone():
        raise DuplicateSession(f"session {source} is already in this journal; nothing was imported")
    row = db.execute(
        "SELECT id FROM sessions WHERE json_valid(header)"
        " AND json_extract(header, '$.meta.imported.source_session') = ?",
        (source,),
    ).fetchone()
    if row:
        raise DuplicateSession(
            f"session {source} was already imported into this journal (as session {row[0]});"
            " nothing was imported"
        )
    for start in range(0, len(action_ids), _CHUNK):
        chunk = list(action_ids[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        hit = db.execute(
            f"SELECT action_id, session_id FROM actions WHERE action_id IN ({marks}) LIMIT 1",
            chunk,
        ).fetchone()
        if hit:
            raise DuplicateSession(
                f"this journal already holds action {hit[0]} (session {hit[1]}): the session"
                " was imported before; nothing was imported"
            )


def store_session(
    db: sqlite3.Connection,
    ledger: LedgerWriter,
    redact: Callable[[Any], Any],
    *,
    session_id: str,
    source: str,
    created_at: str,
    model: str | None,
    workspace: str,
    title: str | None,
    meta: dict[str, Any],
    events: Sequence[Event],
) -> StoredSession:
    """Write a session and its events inside the caller's write transaction."""
    prepared = []
    changed = 0
    for ts, kind, payload, given in events:
        if given is not None and "\\" not in given and redact(given) == given:
            # Parsed from JSON and already canonical, and with no escape in its text every
            # string of the payload is in it verbatim: no secret in the text, none in the
            # payload. One scan of the text instead of a copy of the structure.
            prepared.append((ts, kind, payload, given))
            continue
        data, text = normalize_payload(redact(payload), kind)
        changed += data != payload
        prepared.append((ts, kind, data, text))
    action_ids = [
        p[2]["action_id"]
        for p in prepared
        if p[1] == "action.proposed" and isinstance(p[2].get("action_id"), str)
    ]
    refuse_duplicate(db, source, action_ids)
    header_meta = normalize_payload(meta, "session header")[0]
    header = session_header(session_id, created_at, title, model, workspace, None, header_meta)
    (base,) = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    rows = []
    records = [(session_id, 0, sha256_hex(header))]
    prev = GENESIS
    for seq, (ts, kind, _, text) in enumerate(prepared, 1):
        digest = event_hash(prev, session_id, seq, ts, kind, text)
        rows.append((base + seq, session_id, seq, ts, kind, text, prev, digest))
        records.append((session_id, seq, digest))
        prev = digest
    d = derive((base + seq, p[0], p[1], p[2]) for seq, p in enumerate(prepared, 1))
    db.execute(
        "INSERT INTO sessions (id, created_at, updated_at, title, model, workspace, parent, meta,"
        " header, n_events, n_actions, n_writes, n_denied, n_errors, cost_usd, cost_unknown,"
        " tokens) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session_id,
            created_at,
            d.last_ts or created_at,
            title or d.title,
            model,
            workspace,
            canonical(header_meta),
            header,
            d.n_events,
            d.n_actions,
            d.n_writes,
            d.n_denied,
            d.n_errors,
            d.cost,
            int(d.cost_unknown),
            d.tokens,
        ),
    )
    if title:
        db.execute("INSERT INTO titles_fts (title, session_id) VALUES (?, ?)", (title, session_id))
    db.executemany(
        "INSERT INTO events (id, session_id, seq, ts, kind, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany("INSERT INTO events_fts (rowid, text) VALUES (?, ?)", d.search.items())
    db.executemany(
        "INSERT OR IGNORE INTO session_targets (kind, value, session_id) VALUES (?, ?, ?)",
        [(kind, value, session_id) for kind, value in sorted(d.targets)],
    )
    db.executemany(
        "INSERT OR IGNORE INTO actions (action_id, session_id) VALUES (?, ?)",
        [(action_id, session_id) for action_id in sorted(d.actions)],
    )
    ledger.chain(db, records)
    if d.n_events != len(events):
        raise JournalError("the import lost events on the way in; nothing was imported")
    return StoredSession(session_id, len(events), changed)
