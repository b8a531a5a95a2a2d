"""The journal's schema as ordered migrations: ``mNNN_name`` functions, each applied once.

A new schema change is a new function at the end, never an edit of an old one; the
``_migrations`` table records which have run, so opening an older journal brings it up to date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

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
