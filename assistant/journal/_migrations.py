"""The journal's schema as ordered migrations: ``mNNN_name`` functions, each applied once.

A new schema change is a new function at the end, never an edit of an old one; the
``_migrations`` table records which have run, so opening an older journal brings it up to date.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from assistant.journal._chain import (
    canonical,
    genesis_link,
    ledger_link,
    session_header,
    sha256_hex,
)

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register a migration; the order of definition is the order of application."""
    MIGRATIONS.append(fn)
    return fn


def _run(db: sqlite3.Connection, *statements: str) -> None:
    # One statement at a time: executescript() would commit the surrounding transaction.
    for sql in statements:
        db.execute(sql)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(
        db,
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            title TEXT,
            model TEXT,
            workspace TEXT NOT NULL,
            parent TEXT,
            meta TEXT NOT NULL DEFAULT '{}',
            n_events INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL,
            ts TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            UNIQUE (session_id, seq)
        )""",
        """CREATE TABLE blobs (
            hash TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            data BLOB NOT NULL
        )""",
    )


@migration
def m002_session_summary(db: sqlite3.Connection) -> None:
    """Counters the history list shows and filters on, kept current by every append."""
    _run(
        db,
        "ALTER TABLE sessions ADD COLUMN n_actions INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN n_writes INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN n_denied INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN n_errors INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN cost_usd REAL",
        "ALTER TABLE sessions ADD COLUMN cost_unknown INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0",
        # kind is tool, host ("example.com:443"), hostname ("example.com") or file.
        """CREATE TABLE session_targets (
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            PRIMARY KEY (kind, value, session_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX session_targets_by_session ON session_targets (session_id)",
        "CREATE INDEX sessions_by_updated ON sessions (updated_at DESC)",
        "CREATE INDEX sessions_by_parent ON sessions (parent) WHERE parent IS NOT NULL",
    )


@migration
def m003_search(db: sqlite3.Connection) -> None:
    """Full-text search: event text keyed by events.id, and titles given at creation."""
    _run(
        db,
        "CREATE VIRTUAL TABLE events_fts USING fts5(text, prefix='2 3')",
        "CREATE VIRTUAL TABLE titles_fts USING fts5(title, session_id UNINDEXED, prefix='2 3')",
    )


@migration
def m004_actions(db: sqlite3.Connection) -> None:
    """Action ids -> their session, so `assistant undo ID` finds an action without a scan."""
    _run(
        db,
        """CREATE TABLE actions (
            action_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            PRIMARY KEY (action_id, session_id)
        ) WITHOUT ROWID""",
        """INSERT OR IGNORE INTO actions (action_id, session_id)
            SELECT json_extract(payload, '$.action_id'), session_id FROM events
            WHERE kind = 'action.proposed' AND json_valid(payload)
            AND json_type(payload, '$.action_id') = 'text'""",
    )


@migration
def m005_ledger(db: sqlite3.Connection) -> None:
    """The journal-wide chain: one sequence over every session header, event and note.

    ``ledger`` numbers every record (gseq) and links it to the one before; ``sessions.header``
    keeps the canonical text a session was created with, so its title, model, workspace,
    parent and read-only flag are chained too; ``journal_meta`` holds this journal's id.
    A journal from before this migration has its sessions and events chained here as they
    are now, unkeyed (there is no key to sign them with), and a note says how many: verify
    reports them as written before the keyed chain.
    """
    _run(
        db,
        "CREATE TABLE journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "ALTER TABLE sessions ADD COLUMN header TEXT",
        """CREATE TABLE ledger (
            gseq INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            digest TEXT NOT NULL,
            link TEXT NOT NULL,
            note TEXT
        )""",
        "CREATE UNIQUE INDEX ledger_by_session ON ledger (session_id, seq)",
    )
    journal_id = uuid.uuid4().hex
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    db.execute("INSERT INTO journal_meta (name, value) VALUES ('journal_id', ?)", (journal_id,))
    db.execute("INSERT INTO journal_meta (name, value) VALUES ('created_at', ?)", (now,))
    link = genesis_link(journal_id)
    gseq = 0
    rows: list[tuple[int, str, int, str, str, str | None]] = []
    sessions = db.execute(
        "SELECT id, created_at, title, model, workspace, parent, CAST(meta AS BLOB)"
        " FROM sessions ORDER BY created_at, id"
    ).fetchall()
    for sid, created_at, title, model, workspace, parent, raw_meta in sessions:
        try:
            meta = json.loads(bytes(raw_meta).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            meta = {"_unreadable": bytes(raw_meta).decode("utf-8", "replace")}
        header = session_header(sid, created_at, title, model, workspace, parent, meta)
        db.execute("UPDATE sessions SET header = ? WHERE id = ?", (header, sid))
        gseq += 1
        digest = sha256_hex(header)
        link = ledger_link(link, gseq, sid, 0, digest, None)
        rows.append((gseq, sid, 0, digest, link, None))
        for seq, digest in db.execute(
            "SELECT seq, CAST(hash AS TEXT) FROM events WHERE session_id = ? ORDER BY seq", (sid,)
        ):
            gseq += 1
            link = ledger_link(link, gseq, sid, seq, str(digest), None)
            rows.append((gseq, sid, seq, str(digest), link, None))
    if gseq:
        gseq += 1
        note = canonical({"note": "legacy", "records": gseq - 1, "at": now})
        digest = sha256_hex(note)
        link = ledger_link(link, gseq, "", gseq, digest, None)
        rows.append((gseq, "", gseq, digest, link, note))
    db.executemany(
        "INSERT INTO ledger (gseq, session_id, seq, digest, link, note) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    if sessions:
        _derive_legacy(db, [row[0] for row in sessions])


def _derive_legacy(db: sqlite3.Connection, ids: list[str]) -> None:
    """Make the stored summaries of old sessions what their events say (verify compares them
    from now on; an older version may have counted differently, or not at all)."""
    from assistant.journal._derive import derive
    from assistant.journal._query import load_payload

    db.execute("DELETE FROM actions")
    for sid in ids:
        rows = db.execute(
            "SELECT id, ts, kind, payload FROM events WHERE session_id = ? ORDER BY seq", (sid,)
        ).fetchall()
        d = derive((rowid, ts, kind, load_payload(text)) for rowid, ts, kind, text in rows)
        db.execute(
            "UPDATE sessions SET n_events = ?, n_actions = ?, n_writes = ?, n_denied = ?,"
            " n_errors = ?, tokens = ?, cost_usd = ?, cost_unknown = ?,"
            " updated_at = coalesce(?, created_at) WHERE id = ?",
            (
                d.n_events,
                d.n_actions,
                d.n_writes,
                d.n_denied,
                d.n_errors,
                d.tokens,
                d.cost,
                int(d.cost_unknown),
                d.last_ts,
                sid,
            ),
        )
        db.execute("DELETE FROM session_targets WHERE session_id = ?", (sid,))
        db.executemany(
            "INSERT OR IGNORE INTO session_targets (kind, value, session_id) VALUES (?, ?, ?)",
            [(kind, value, sid) for kind, value in d.targets],
        )
        db.executemany(
            "INSERT OR IGNORE INTO actions (action_id, session_id) VALUES (?, ?)",
            [(action_id, sid) for action_id in d.actions],
        )
        for rowid, _, _, _ in rows:
            stored = db.execute("SELECT text FROM events_fts WHERE rowid = ?", (rowid,)).fetchone()
            want = d.search.get(rowid)
            if (stored[0] if stored else None) != want:
                db.execute("DELETE FROM events_fts WHERE rowid = ?", (rowid,))
                if want:
                    db.execute("INSERT INTO events_fts (rowid, text) VALUES (?, ?)", (rowid, want))


def applied(db: sqlite3.Connection) -> list[str]:
    """Names of the migrations already run on this database, in the order they ran."""
    rows = db.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()
    return [name for (name,) in rows]


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply the migrations not yet run, each in its own transaction; returns the names applied.

    The connection must be in autocommit mode (isolation_level=None). BEGIN IMMEDIATE takes the
    write lock first, so two processes opening a new journal at once do not both migrate.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done: list[str] = []
    for fn in migrations:
        db.execute("BEGIN IMMEDIATE")
        try:
            seen = db.execute("SELECT 1 FROM _migrations WHERE name = ?", (fn.__name__,)).fetchone()
            if not seen:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, datetime.now(UTC).isoformat(timespec="milliseconds")),
                )
                done.append(fn.__name__)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return done
