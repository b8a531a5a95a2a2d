"""Journal writes: the hash chain, durability, redaction, summaries, blobs, bad input, migrations."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.agent import action_life
from assistant.journal import (
    GENESIS,
    MIGRATIONS,
    Journal,
    JournalError,
    SessionLookupError,
)
from assistant.journal._migrations import applied, migrate
from tests.support.journal_data import Clock, full_session

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "data" / "journal.sqlite3", clock=Clock()) as j:
        yield j


def spec_hash(prev: str, session: str, seq: int, ts: str, kind: str, payload: dict) -> str:
    """The hash exactly as the spec words it, computed independently of the journal's code."""
    doc = {"session": session, "seq": seq, "ts": ts, "kind": kind, "payload": payload}
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()


def test_sessions_get_uuid_hex_ids_and_start_empty(journal: Journal) -> None:
    sid = journal.create_session(model=None, workspace="/w", meta={"source": "test"})
    assert re.fullmatch(r"[0-9a-f]{32}", sid)
    info = journal.get_session(sid)
    assert (info.id, info.model, info.workspace, info.meta) == (sid, None, "/w", {"source": "test"})
    assert (info.n_events, info.n_actions, info.tokens, info.cost_usd) == (0, 0, 0, None)
    assert info.created_at == info.updated_at == "2025-01-31T09:15:03.123Z"
    assert journal.events(sid) == []


def test_append_chains_events_with_the_specified_hash(journal: Journal) -> None:
    a = journal.create_session(model="m", workspace="/w")
    b = journal.create_session(model="m", workspace="/w")
    first = journal.append(a, "user.message", {"text": "héllo ✓"})
    journal.append(b, "user.message", {"text": "other session"})
    second = journal.append(a, "assistant.message", {"text": "hi", "tool_calls": []})

    assert (first.seq, second.seq) == (1, 2)
    assert journal.events(b)[0].seq == 1  # numbering is per session
    assert first.prev_hash == GENESIS == "0" * 64
    assert second.prev_hash == first.hash
    for ev in (first, second):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev.ts)
        assert ev.hash == spec_hash(ev.prev_hash, a, ev.seq, ev.ts, ev.kind, ev.payload)
    assert journal.events(a) == [first, second]


def test_payload_comes_back_as_json_reads_it(journal: Journal) -> None:
    sid = journal.create_session(model="m", workspace="/w")
    stored = journal.append(sid, "x.custom", {"t": (1, 2), "n": {3: "three"}, "f": 0.1})
    assert stored.payload == {"t": [1, 2], "n": {"3": "three"}, "f": 0.1}
    assert journal.events(sid)[0] == stored
    assert journal.verify(sid).ok


def test_odd_text_is_stored_and_verifies(journal: Journal) -> None:
    sid = journal.create_session(model="m", workspace="/w")
    text = "nul\x00 esc\x1b[2J bidi\u202e emoji🙂 zero\u200b"
    stored = journal.append(sid, "user.message", {"text": text, "bad": "lone \udcff surrogate"})
    assert journal.events(sid)[0].payload["text"] == text
    assert stored.payload["bad"] == "lone \ufffd surrogate"  # unencodable: replaced, not a crash
    assert journal.verify(sid).ok


def test_approved_is_durable_when_the_process_dies_right_after(tmp_path: Path) -> None:
    """The agent appends action.approved, then runs the tool: a crash mid-run must leave the
    approval on disk (committed before append returned) and show the outcome as unknown."""
    path = tmp_path / "journal.sqlite3"
    code = f"""
import os
from pathlib import Path
from assistant.journal import Journal
j = Journal(Path({str(path)!r}))
sid = j.create_session(model="m", workspace="/w")
j.append(sid, "action.proposed", {{"action_id": "a1", "tool": "csv_files", "effect": "write",
                                   "summary": "overwrite out.csv"}})
j.append(sid, "action.decided", {{"action_id": "a1", "verdict": "approve", "by": "human"}})
j.append(sid, "action.approved", {{"action_id": "a1", "by": "human"}})
print(sid, flush=True)
os._exit(9)  # dies "while the tool runs": no close, no checkpoint, no cleanup
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 9, proc.stderr
    sid = proc.stdout.strip()
    assert (tmp_path / "journal.sqlite3-wal").exists()  # the commit lives in the WAL
    with Journal(path) as j:
        assert [e.kind for e in j.events(sid)] == [
            "action.proposed",
            "action.decided",
            "action.approved",
        ]
        state = action_life.find(j, sid, "a1")
        assert state is not None
        assert (state.state, state.decided_by, state.proposed.effect) == (
            "outcome unknown",
            "human",
            "write",
        )
        assert j.verify(sid).ok


def test_secrets_are_redacted_before_anything_is_written(tmp_path: Path) -> None:
    secret = "sk-live-7f3a9c"

    def redact(obj: Any) -> Any:
        if isinstance(obj, str):
            return obj.replace(secret, "{{secret:API_KEY}}")
        if isinstance(obj, dict):
            return {redact(k): redact(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [redact(v) for v in obj]
        return obj

    path = tmp_path / "journal.sqlite3"
    j = Journal(path, redact=redact)
    sid = j.create_session(
        model="m", workspace="/w", title=f"key {secret}", meta={"note": [secret]}
    )
    stored = j.append(
        sid,
        "action.result",
        {"action_id": "a1", "ok": True, "output": f"Authorization: Bearer {secret}"},
    )
    j.append(sid, "user.message", {"text": f"use {secret} please", secret: "as a key"})
    assert stored.payload["output"] == "Authorization: Bearer {{secret:API_KEY}}"
    assert j.get_session(sid).title == "key {{secret:API_KEY}}"
    assert j.get_session(sid).meta == {"note": ["{{secret:API_KEY}}"]}
    assert j.search("API_KEY") and not j.search("7f3a9c")
    files = [path, path.with_name(path.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert b"Bearer" in raw  # the content is there...
    assert secret.encode() not in raw  # ...the secret is not, in the database or its WAL
    j.close()


def test_a_failing_redactor_writes_nothing_and_does_not_echo(journal: Journal) -> None:
    sid = journal.create_session(model="m", workspace="/w")

    def broken(obj: Any) -> Any:
        raise RuntimeError("cannot redact sk-live-123")

    journal._redact_fn = broken
    with pytest.raises(JournalError, match="redaction failed") as info:
        journal.append(sid, "user.message", {"text": "sk-live-123"})
    assert "sk-live-123" not in str(info.value)
    assert journal.get_session(sid).n_events == 0


def test_summary_columns_follow_the_events(journal: Journal) -> None:
    sid = full_session(journal)
    info = journal.get_session(sid)
    assert info.title == "Clean the invoices"
    assert (info.n_events, info.n_actions, info.n_writes) == (19, 5, 3)
    assert (info.n_denied, info.n_errors) == (1, 2)  # failed result + action.error
    assert info.tokens == 130
    assert (info.cost_usd, info.cost_unknown) == (0.25, True)  # a lower bound
    assert info.tools == ("csv_files", "http_request", "shell_lite")
    assert info.hosts == ("api.example.com:443",)
    assert info.files == ("data/invoices.csv", "data/out.csv")
    assert info.updated_at == journal.events(sid)[-1].ts


@pytest.mark.parametrize(
    ("costs", "expected"),
    [
        ([], (None, False)),
        ([None, "n/a"], (None, True)),
        ([0.5, 0.25], (0.75, False)),
        ([0.0], (0.0, False)),
        ([float("inf")], None),  # refused: JSON cannot carry it
    ],
)
def test_cost_known_unknown_and_none(journal: Journal, costs: list, expected: tuple | None) -> None:
    sid = journal.create_session(model="m", workspace="/w")
    for cost in costs:
        usage = {"model": "m", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": cost}
        if expected is None:
            with pytest.raises(JournalError, match="not JSON"):
                journal.append(sid, "turn.usage", usage)
            return
        journal.append(sid, "turn.usage", usage)
    info = journal.get_session(sid)
    assert (info.cost_usd, info.cost_unknown) == expected
    assert info.tokens == 2 * len(costs)


def test_titles_come_from_the_first_prompt_unless_given(journal: Journal) -> None:
    auto = journal.create_session(model="m", workspace="/w")
    journal.append(auto, "user.message", {"text": "\n   \n" + "word " * 40})
    journal.append(auto, "user.message", {"text": "a later prompt"})
    title = journal.get_session(auto).title
    assert title is not None and len(title) <= 80 and title.endswith("…")
    assert title.startswith("word word")
    given = journal.create_session(model="m", workspace="/w", title="Quarterly report")
    journal.append(given, "user.message", {"text": "first prompt"})
    assert journal.get_session(given).title == "Quarterly report"


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("user.message", ["not", "a", "dict"], "must be a JSON object"),
        ("user.message", {"s": {1, 2}}, "not JSON-serialisable"),
        ("user.message", {"x": float("nan")}, "not JSON-serialisable"),
        ("user.message", {1: "a", "b": 2}, "not JSON-serialisable"),
        ("User Message!", {}, "invalid event kind"),
        ("", {}, "invalid event kind"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(
    journal: Journal, kind: str, payload: Any, message: str
) -> None:
    sid = journal.create_session(model="m", workspace="/w")
    with pytest.raises(JournalError, match=message):
        journal.append(sid, kind, payload)
    assert journal.get_session(sid).n_events == 0


def test_unknown_sessions_are_named(journal: Journal) -> None:
    with pytest.raises(SessionLookupError, match="no session"):
        journal.append("f" * 32, "user.message", {"text": "x"})
    with pytest.raises(SessionLookupError, match="no session matches"):
        journal.events("abcd1234")
    with pytest.raises(SessionLookupError, match="no session matches"):
        journal.create_session(model="m", workspace="/w", parent="abcd")


def test_blobs_are_deduplicated_and_checked(journal: Journal) -> None:
    data = b"id,name\n1,\xff\x00binary\n"
    digest = journal.put_blob(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert journal.put_blob(bytearray(data)) == digest
    assert journal.get_blob(digest.upper()) == data
    assert journal.put_blob(b"") == hashlib.sha256(b"").hexdigest()
    assert journal._conn().execute("SELECT count(*) FROM blobs").fetchone()[0] == 2
    with pytest.raises(JournalError, match="no blob"):
        journal.get_blob("0" * 64)
    with pytest.raises(JournalError, match="not a blob hash"):
        journal.get_blob("../../etc/passwd")
    with pytest.raises(JournalError, match="takes bytes"):
        journal.put_blob("text")  # type: ignore[arg-type]
    journal._conn().execute("UPDATE blobs SET data = ? WHERE hash = ?", (b"changed", digest))
    with pytest.raises(JournalError, match="damaged"):
        journal.get_blob(digest)


def test_the_journal_file_is_private(journal: Journal) -> None:
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    mode = journal._conn().execute("PRAGMA journal_mode").fetchone()[0]
    sync = journal._conn().execute("PRAGMA synchronous").fetchone()[0]
    assert (mode, sync) == ("wal", 2)  # 2 = FULL


def test_unusable_files_give_clear_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="garbage.sqlite3 is unreadable"):
        Journal(garbage)
    folder = tmp_path / "folder.sqlite3"
    folder.mkdir()
    with pytest.raises(JournalError, match="folder.sqlite3"):
        Journal(folder)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(JournalError, match="cannot create"):
        Journal(blocker / "sub" / "journal.sqlite3")


def test_a_closed_journal_says_so(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    sid = j.create_session(model="m", workspace="/w")
    j.close()
    j.close()  # idempotent
    with pytest.raises(JournalError, match="is closed"):
        j.append(sid, "user.message", {"text": "x"})


def test_a_locked_journal_times_out_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    j = Journal(path, busy_timeout=0.05)
    sid = j.create_session(model="m", workspace="/w")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        assert j.get_session(sid).id == sid  # WAL: reading is not blocked by a writer
        with pytest.raises(JournalError, match="locked by another process"):
            j.append(sid, "user.message", {"text": "x"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert j.append(sid, "user.message", {"text": "x"}).seq == 1  # nothing half-written
    j.close()


def test_migrations_run_in_order_once(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    Journal(path).close()
    db = sqlite3.connect(path)
    assert applied(db) == [m.__name__ for m in MIGRATIONS]
    assert all(re.fullmatch(r"m\d{3}_\w+", m.__name__) for m in MIGRATIONS)
    db.close()


def test_an_older_journal_is_upgraded_and_backfilled(tmp_path: Path) -> None:
    """A journal made before m004 (actions index) gains it, filled from existing events."""
    path = tmp_path / "j.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, MIGRATIONS[:3]) == [m.__name__ for m in MIGRATIONS[:3]]
    db.execute(
        "INSERT INTO sessions (id, created_at, updated_at, workspace, n_events)"
        " VALUES (?, 't', 't', '/w', 1)",
        ("ab" * 16,),
    )
    payload = json.dumps({"action_id": "old-action", "tool": "csv_files"})
    db.execute(
        "INSERT INTO events (session_id, seq, ts, kind, payload, prev_hash, hash)"
        " VALUES (?, 1, 't', 'action.proposed', ?, ?, 'h')",
        ("ab" * 16, payload, GENESIS),
    )
    db.close()
    with Journal(path) as j:
        record = j.find_action("old-action")
        assert (record.session_id, record.action_id) == ("ab" * 16, "old-action")
        assert j.find_action("old-act").action_id == "old-action"
        assert applied(j._conn()) == [m.__name__ for m in MIGRATIONS]


def test_the_journal_imports_nothing_of_the_agent_or_ui() -> None:
    code = (
        "import sys, assistant.journal\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'litellm', 'rich')"
        " or m.startswith('assistant.agent')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, "[]"), proc.stderr
