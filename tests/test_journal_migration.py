"""A journal written by the previous version (per-session sha256 chains, no journal-wide chain)
opens, is migrated, and verifies as before, marked unkeyed; from then on it is chained."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant import paths
from assistant.cli import main
from assistant.journal import MIGRATIONS, Journal
from assistant.journal._chain import GENESIS, event_hash, normalize_payload
from assistant.journal._migrations import migrate
from assistant.journal._query import apply_summary
from assistant.journal._summary import search_text, summarize
from tests.support.journal_data import proposed

OLD_MIGRATIONS = [m for m in MIGRATIONS if m.__name__ < "m005"]


def old_session(db: sqlite3.Connection, sid: str, title: str | None, created: str) -> None:
    """Write a session as the previous version did: a row, events chained by sha256, the
    summary counters, targets, action ids and search rows kept by each append."""
    db.execute(
        "INSERT INTO sessions (id, created_at, updated_at, title, model, workspace, meta)"
        " VALUES (?, ?, ?, ?, 'openai/old', '/old/ws', '{}')",
        (sid, created, created, title),
    )
    if title:
        db.execute("INSERT INTO titles_fts (title, session_id) VALUES (?, ?)", (title, sid))
    events = [
        ("user.message", {"text": f"old prompt for {sid[:4]}"}),
        ("action.proposed", proposed(f"old-{sid[:6]}", effect="write", targets=["path:a.csv"])),
        ("action.decided", {"action_id": f"old-{sid[:6]}", "verdict": "deny", "by": "human"}),
        ("turn.usage", {"model": "m", "prompt_tokens": 5, "completion_tokens": 2, "cost_usd": 0.5}),
    ]
    prev = GENESIS
    for seq, (kind, payload) in enumerate(events, 1):
        ts = f"{created[:-4]}{seq:03d}Z"
        data, text = normalize_payload(payload, kind)
        digest = event_hash(prev, sid, seq, ts, kind, text)
        cur = db.execute(
            "INSERT INTO events (session_id, seq, ts, kind, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sid, seq, ts, kind, text, prev, digest),
        )
        words = search_text(kind, data)
        if words:
            db.execute("INSERT INTO events_fts (rowid, text) VALUES (?, ?)", (cur.lastrowid, words))
        apply_summary(db, sid, ts, summarize(kind, data))
        prev = digest


@pytest.fixture
def old_journal() -> Path:
    path = paths.journal_file()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    migrate(db, OLD_MIGRATIONS)
    db.execute("BEGIN")
    old_session(db, "a" * 32, "Given title", "2024-05-01T10:00:00.000Z")
    old_session(db, "b" * 32, None, "2024-05-02T10:00:00.000Z")
    # A session from before the summary counters existed: they were left at 0.
    old_session(db, "c" * 32, None, "2024-05-03T10:00:00.000Z")
    db.execute(
        "UPDATE sessions SET n_events = 0, n_actions = 0, tokens = 0 WHERE id = ?", ("c" * 32,)
    )
    db.execute("COMMIT")
    db.close()
    return path


def test_an_old_journal_verifies_as_before_marked_unkeyed(
    old_journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["history", "verify"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 sessions checked, 0 altered" in out and "UNKEYED" in out
    assert "records 1-15 come from an older version of the journal" in out
    assert "they are unkeyed: anyone who can edit the file can recompute" in out
    with Journal(old_journal) as j:
        info = j.get_session("c" * 32)
        assert (info.n_events, info.n_actions, info.n_denied, info.tokens) == (4, 1, 1, 7)
        assert j.get_session("b" * 32).title == "old prompt for bbbb"
        assert [r.ok for r in j.verify_all()] == [True, True, True]


def test_after_the_upgrade_new_records_are_keyed_and_old_ones_sealed(
    old_journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Journal(old_journal) as j:
        j.append("a" * 32, "user.message", {"text": "continued after the upgrade"})
        new = j.create_session(model="m", workspace="/w")
        j.append(new, "user.message", {"text": "a new session"})
        report = j.verify_journal()
    assert report.ok and not report.keyed  # the old part stays unkeyed
    assert [s.keyed for s in report.sessions] == [False, False, False, True]
    db = sqlite3.connect(old_journal)
    db.execute("UPDATE sessions SET title = 'Nothing to see' WHERE id = ?", ("a" * 32,))
    db.execute("DELETE FROM events WHERE session_id = ?", ("b" * 32,))
    db.execute("DELETE FROM events_fts")
    db.execute("DELETE FROM sessions WHERE id = ?", ("b" * 32,))
    db.commit()
    db.close()
    code = main(["history", "verify"])
    out = capsys.readouterr().out
    assert code == 1
    assert "its title was changed: the chain says 'Given title'" in out
    assert f"session {'b' * 32} was deleted" in out
