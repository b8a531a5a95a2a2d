"""Tamper evidence: edits made directly in SQLite are caught at the exact event."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.journal import Journal

N = 5


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Journal, str, sqlite3.Connection]]:
    """A journal with a five-event session, and a raw connection playing the tamperer."""
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        sid = journal.create_session(model="m", workspace="/w")
        for i in range(1, N + 1):
            journal.append(sid, "user.message", {"text": f"prompt number {i}", "n": i})
        raw = sqlite3.connect(path, isolation_level=None)
        yield journal, sid, raw
        raw.close()


def _flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def _store(raw: sqlite3.Connection, sid: str, seq: int, column: str, value: bytes) -> None:
    """Write bytes back as TEXT when they decode, else as a BLOB (SQLite accepts either)."""
    try:
        stored: str | bytes = value.decode("utf-8")
    except UnicodeDecodeError:
        stored = value
    raw.execute(
        f"UPDATE events SET {column} = ? WHERE session_id = ? AND seq = ?", (stored, sid, seq)
    )


def _raw(raw: sqlite3.Connection, sid: str, seq: int, column: str) -> bytes:
    row = raw.execute(
        f"SELECT CAST({column} AS BLOB) FROM events WHERE session_id = ? AND seq = ?", (sid, seq)
    ).fetchone()
    return bytes(row[0])


def test_an_untouched_session_verifies(setup: tuple[Journal, str, sqlite3.Connection]) -> None:
    journal, sid, _ = setup
    result = journal.verify(sid[:6])
    assert (result.session_id, result.ok, result.checked, result.first_bad_seq) == (
        sid,
        True,
        N,
        None,
    )
    assert "intact" in result.reason


@pytest.mark.parametrize("column", ["payload", "kind", "ts"])
def test_flipping_any_single_byte_is_caught_at_that_event(
    setup: tuple[Journal, str, sqlite3.Connection], column: str
) -> None:
    journal, sid, raw = setup
    original = _raw(raw, sid, 3, column)
    for i in range(len(original)):
        _store(raw, sid, 3, column, _flip(original, i))
        result = journal.verify(sid)
        assert (result.ok, result.first_bad_seq, result.checked) == (False, 3, 2), (i, result)
        assert result.reason.startswith("event 3")
    _store(raw, sid, 3, column, original)
    assert journal.verify(sid).ok  # restoring the byte restores the chain


@pytest.mark.parametrize("column", ["prev_hash", "hash"])
def test_edited_chain_columns_are_caught(
    setup: tuple[Journal, str, sqlite3.Connection], column: str
) -> None:
    journal, sid, raw = setup
    _store(raw, sid, 4, column, _flip(_raw(raw, sid, 4, column), 10))
    result = journal.verify(sid)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_same_json_respelled_is_caught(setup: tuple[Journal, str, sqlite3.Connection]) -> None:
    journal, sid, raw = setup
    payload = json.loads(_raw(raw, sid, 2, "payload"))
    _store(raw, sid, 2, "payload", json.dumps(payload, indent=1).encode())
    result = journal.verify(sid)
    assert (result.first_bad_seq, "canonical" in result.reason) == (2, True)


def test_a_rewritten_payload_is_caught(setup: tuple[Journal, str, sqlite3.Connection]) -> None:
    journal, sid, raw = setup
    forged = json.dumps(
        {"n": 4, "text": "a different prompt"}, sort_keys=True, separators=(",", ":")
    )
    _store(raw, sid, 4, "payload", forged.encode())
    result = journal.verify(sid)
    assert (result.first_bad_seq, result.reason) == (4, "event 4: hash does not match its contents")


def test_a_deleted_event_is_caught_where_it_was(
    setup: tuple[Journal, str, sqlite3.Connection],
) -> None:
    journal, sid, raw = setup
    raw.execute("DELETE FROM events WHERE session_id = ? AND seq = 3", (sid,))
    result = journal.verify(sid)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "event 3 is missing" in result.reason


def test_a_deleted_last_event_is_caught(setup: tuple[Journal, str, sqlite3.Connection]) -> None:
    journal, sid, raw = setup
    raw.execute("DELETE FROM events WHERE session_id = ? AND seq = ?", (sid, N))
    result = journal.verify(sid)
    assert (result.ok, result.first_bad_seq, result.checked) == (False, N, N - 1)
    assert "recorded 5 events" in result.reason


def test_reordered_events_are_caught(setup: tuple[Journal, str, sqlite3.Connection]) -> None:
    journal, sid, raw = setup
    raw.execute("BEGIN")
    raw.execute("UPDATE events SET seq = -2 WHERE session_id = ? AND seq = 2", (sid,))
    raw.execute("UPDATE events SET seq = 2 WHERE session_id = ? AND seq = 4", (sid,))
    raw.execute("UPDATE events SET seq = 4 WHERE session_id = ? AND seq = -2", (sid,))
    raw.execute("COMMIT")
    result = journal.verify(sid)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_damage_stays_in_its_session_and_reading_still_works(
    setup: tuple[Journal, str, sqlite3.Connection],
) -> None:
    journal, sid, raw = setup
    other = journal.create_session(model="m", workspace="/w")
    journal.append(other, "user.message", {"text": "fine"})
    raw.execute("UPDATE events SET payload = '{broken' WHERE session_id = ? AND seq = 2", (sid,))
    raw.execute(
        "UPDATE events SET kind = CAST(X'ff' AS TEXT) WHERE session_id = ? AND seq = 3", (sid,)
    )
    results = {r.session_id: r for r in journal.verify_all()}
    assert results[other].ok
    assert (results[sid].ok, results[sid].first_bad_seq) == (False, 2)
    events = journal.events(sid)  # a damaged journal can still be read and shown
    assert events[1].payload == {"_unreadable": "{broken"}
    assert events[2].kind == "\ufffd"
