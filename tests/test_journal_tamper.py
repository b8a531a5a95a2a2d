"""Tampering with the journal file, as someone with the file but not the keyring would, and
`python -m assistant history verify` (a real subprocess) naming what was done, exit code 1.

The journal is written by this process and checked by the subprocess through one keyring file
(tests.support.keyrings.FileKeyring), as one person's keyring serves all their processes.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest

from assistant import paths
from assistant.journal import Journal, NotResumable
from assistant.journal._chain import event_hash, ledger_link, session_header, sha256_hex
from assistant.journal._head import HeadFile, head_path
from assistant.journal._summary import search_text
from tests.support.journal_data import full_session, proposed
from tests.support.keyrings import FileKeyring

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class World:
    """A journal of four sessions and the environment a subprocess checks it in."""

    env: dict[str, str]
    path: Path
    ids: dict[str, str]
    blob: str

    def sql(self, *statements: str | tuple[str, tuple[object, ...]]) -> None:
        """Run statements in one transaction on a raw connection: the tamperer's tool."""
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("BEGIN")
            for st in statements:
                if isinstance(st, tuple):
                    db.execute(*st)
                else:
                    db.execute(st)
            db.execute("COMMIT")
        finally:
            db.close()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=120,
        )

    def verify(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.cli("history", "verify", *args)


def cli_env(home: Path, keyring_backend: str, keyring_file: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return {
        **base,
        "ASSISTANT_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": keyring_backend,
        "TEST_KEYRING_FILE": str(keyring_file),
        "LITELLM_OFFLINE_MODE": "true",
        "COLUMNS": "300",
    }


def build(j: Journal) -> tuple[dict[str, str], str]:
    """Sessions: a full one, one with a file write (and its before-image blob), an imported
    read-only copy, and a last one whose tail follows an approval."""
    ids = {"full": full_session(j, title="Clean the invoices")}
    blob = j.put_blob(b"the file as it was before\n")
    ids["write"] = w = j.create_session(model="openai/test", workspace="/tmp/ws")
    j.append(w, "user.message", {"text": "overwrite a.txt"})
    j.append(w, "action.proposed", proposed("write-1", tool="shell", effect="write"))
    j.append(w, "action.decided", {"action_id": "write-1", "verdict": "approve", "by": "human"})
    j.append(w, "action.approved", {"action_id": "write-1", "by": "human"})
    j.append(w, "action.result", {"action_id": "write-1", "ok": True, "blobs": {"a.txt": blob}})
    meta = {"read_only": True, "imported": {"source_session": "ab" * 16}}
    ids["copy"] = c = j.create_session(model="m", workspace="/there", meta=meta)
    j.append(c, "user.message", {"text": "from another machine"})
    ids["last"] = t = j.create_session(model="openai/test", workspace="/tmp/ws")
    j.append(t, "user.message", {"text": "deploy it"})
    j.append(t, "action.proposed", proposed("deploy-1", tool="http_request", effect="write"))
    j.append(t, "action.decided", {"action_id": "deploy-1", "verdict": "approve", "by": "human"})
    j.append(t, "action.approved", {"action_id": "deploy-1", "by": "human"})
    j.append(t, "action.result", {"action_id": "deploy-1", "ok": True, "output": "deployed"})
    j.append(t, "assistant.message", {"text": "Deployed.", "tool_calls": []})
    return ids, blob


@pytest.fixture
def world(assistant_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv("TEST_KEYRING_FILE", str(keyring_file))
    keyring.set_keyring(FileKeyring())  # the autouse memory_keyring fixture restores the old one
    with Journal(paths.journal_file()) as j:
        ids, blob = build(j)
    env = cli_env(assistant_home, "tests.support.keyrings.FileKeyring", keyring_file)
    return World(env, paths.journal_file(), ids, blob)


def test_an_untouched_keyed_journal_verifies(world: World) -> None:
    proc = world.verify()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 sessions checked, 0 altered" in proc.stdout
    assert "keyed (HMAC, key in the keyring)" in proc.stdout and "warning" not in proc.stdout
    assert "1 blob," in proc.stdout
    *rows, journal = [json.loads(line) for line in world.verify("--json").stdout.splitlines()]
    assert all(r["ok"] and r["keyed"] for r in rows) and len(rows) == 4
    assert journal["ok"] and journal["keyed"] and journal["problems"] == []


def _set(column: str, value: object, who: str = "full") -> Callable[[World], None]:
    return lambda w: w.sql((f"UPDATE sessions SET {column} = ? WHERE id = ?", (value, w.ids[who])))


def _delete_session(who: str, *, ledger: bool) -> Callable[[World], None]:
    def tamper(w: World) -> None:
        sid = w.ids[who]
        tables = ["events_fts", "events", "session_targets", "actions", "titles_fts", "sessions"]
        if ledger:
            tables.append("ledger")
        statements: list[str | tuple[str, tuple[object, ...]]] = []
        for table in tables:
            if table == "events_fts":
                sql = "DELETE FROM events_fts WHERE rowid IN (SELECT id FROM events WHERE session_id = ?)"
            else:
                sql = (
                    f"DELETE FROM {table} WHERE {'id' if table == 'sessions' else 'session_id'} = ?"
                )
            statements.append((sql, (sid,)))
        w.sql(*statements)

    return tamper


def _cut_after_approval(*, ledger: bool) -> Callable[[World], None]:
    """Delete the events after the last session's approval, and make every stored count,
    target and index agree with what is left (what history shows stays consistent)."""

    def tamper(w: World) -> None:
        sid = w.ids["last"]
        statements: list[str | tuple[str, tuple[object, ...]]] = [
            ("DELETE FROM events_fts WHERE rowid IN (SELECT id FROM events"
             " WHERE session_id = ? AND seq > 4)", (sid,)),
            ("DELETE FROM events WHERE session_id = ? AND seq > 4", (sid,)),
            ("UPDATE sessions SET n_events = 4, updated_at = (SELECT ts FROM events WHERE"
             " session_id = ? AND seq = 4) WHERE id = ?", (sid, sid)),
        ]  # fmt: skip
        if ledger:
            statements.append(("DELETE FROM ledger WHERE session_id = ? AND seq > 4", (sid,)))
        w.sql(*statements)

    return tamper


def _corrupt_blob(w: World) -> None:
    w.sql(("UPDATE blobs SET data = ? WHERE hash = ?", (b"THE FILE AS IT WAS BEFORE\n", w.blob)))


CASES: dict[str, tuple[Callable[[World], None], str]] = {
    "title": (_set("title", "Nothing to see"), "its title was changed: the chain says 'Clean"),
    "workspace": (_set("workspace", "/elsewhere"), "its workspace was changed"),
    "model": (_set("model", "local/other"), "its model was changed"),
    "counts": (_set("n_writes", 0), "its stored writes count is 0 but its events say 3"),
    "events count": (_set("n_events", 3), "its stored events count is 3"),
    "cost": (_set("cost_usd", 0.01), "its stored cost"),
    "read-only set": (_set("meta", '{"read_only":true}'), "read-only flag was changed"),
    "read-only cleared": (
        _set("meta", "{}", "copy"),
        "its read-only flag was changed: the chain says True",
    ),
    "header and meta": (
        lambda w: w.sql(
            (
                "UPDATE sessions SET meta = '{}', header = replace(header, 'true', 'false')"
                " WHERE id = ?",
                (w.ids["copy"],),
            )
        ),  # fmt: skip
        "its chained header was edited",
    ),
    "hosts": (
        lambda w: w.sql(("DELETE FROM session_targets WHERE kind = 'host'", ())),
        "its tools, hosts or files",
    ),
    "action moved": (
        lambda w: w.sql(
            ("UPDATE actions SET session_id = ? WHERE action_id = 'a-done'", (w.ids["copy"],))
        ),
        "its action ids",
    ),  # fmt: skip
    "search text": (
        lambda w: w.sql(
            "UPDATE events_fts SET text = 'nothing here' WHERE rowid = (SELECT min(rowid)"
            " FROM events_fts)"
        ),
        "its search index differs",
    ),
    "session deleted": (
        _delete_session("write", ledger=False),
        "was deleted: the journal-wide chain still records it",
    ),
    "session and its records deleted": (
        _delete_session("write", ledger=True),
        "of the journal-wide chain are missing: sessions or events were deleted",
    ),
    "last session deleted with its records": (
        _delete_session("last", ledger=True),
        "had been cut off",
    ),
    "tail after an approval": (
        _cut_after_approval(ledger=False),
        "recorded 6 events for this session but 4 are stored",
    ),
    "tail after an approval, records too": (
        _cut_after_approval(ledger=True),
        "the head record said the journal had 36 records but it had 34: records 35-36",
    ),
    "corrupted blob": (_corrupt_blob, "is damaged: its bytes no longer match its hash"),
    "deleted blob": (lambda w: w.sql("DELETE FROM blobs"), "is missing"),
    "head record deleted": (lambda w: head_path(w.path).unlink(), "the head record was missing"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_verify_names_each_kind_of_tampering(world: World, case: str) -> None:
    tamper, message = CASES[case]
    tamper(world)
    proc = world.verify()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert message in proc.stdout + proc.stderr
    assert "ALTERED" in proc.stdout


def test_an_emptied_or_deleted_journal_is_reported_not_recreated(world: World) -> None:
    world.path.write_bytes(b"")
    proc = world.verify()
    assert proc.returncode == 1
    assert "is empty (0 bytes), but its head record journal.sqlite3.head says it held" in (
        proc.stderr
    )
    assert world.path.stat().st_size == 0  # nothing was started over in its place
    listed = world.cli("history", "list")
    assert listed.returncode == 1 and "deleted, emptied or replaced" in listed.stderr
    world.path.unlink()
    proc = world.verify()
    assert proc.returncode == 1 and "is missing, but its head record" in proc.stderr
    assert not world.path.exists()
    head_path(world.path).rename(world.path.with_name("old.head"))  # what the message advises
    fresh = world.verify()
    assert fresh.returncode == 0 and "no sessions to verify" in fresh.stdout
    assert "warning: the keyring's key for this location belongs to journal" in fresh.stdout


def test_a_journal_swapped_for_another_is_reported(world: World, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with Journal(other) as j:
        j.create_session(model=None, workspace="/w")
    world.path.unlink()
    for suffix in ("-wal", "-shm"):
        world.path.with_name(world.path.name + suffix).unlink(missing_ok=True)
    other.rename(world.path)
    proc = world.verify()
    assert proc.returncode == 1 and "is another journal" in proc.stderr
    head_path(world.path).unlink()  # the head too: the keyring still knows this location
    proc = world.verify()
    assert proc.returncode == 1, proc.stdout
    assert "the head record was missing" in proc.stdout
    assert "signed with a key this keyring does not hold for this journal" in proc.stdout


def test_random_bytes_in_a_page_fail_the_integrity_check(world: World) -> None:
    db = sqlite3.connect(world.path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    data = bytearray(world.path.read_bytes())
    rng = random.Random(7)
    start = page * (pages // 2) + 8  # a page in the middle, past its header
    data[start : start + 512] = rng.randbytes(512)
    world.path.write_bytes(bytes(data))
    proc = world.verify()
    assert proc.returncode == 1, proc.stdout
    assert "the database file is damaged" in proc.stdout + proc.stderr


def _rehash_events(w: World, sid: str, edit: Callable[[dict], None]) -> None:
    """Edit event 2's payload and recompute the session's sha256 chain after it (no key needed)."""
    db = sqlite3.connect(w.path, isolation_level=None)
    rows = db.execute(
        "SELECT seq, ts, kind, payload, prev_hash FROM events WHERE session_id = ? ORDER BY seq",
        (sid,),
    ).fetchall()
    prev = rows[0][4]
    db.execute("BEGIN")
    for seq, ts, kind, payload, _ in rows:
        data = json.loads(payload)
        if seq == 2:
            edit(data)
            db.execute(  # the search index too, so history's search agrees with the edit
                "UPDATE events_fts SET text = ? WHERE rowid = (SELECT id FROM events"
                " WHERE session_id = ? AND seq = 2)",
                (search_text(kind, data), sid),
            )
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = event_hash(prev, sid, seq, ts, kind, text)
        db.execute(
            "UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE session_id = ?"
            " AND seq = ?",
            (text, prev, digest, sid, seq),
        )
        prev = digest
    db.execute("COMMIT")
    db.close()


def _relink(w: World, key: bytes | None, *, drop_key_notes: bool = False) -> None:
    """Make the journal-wide chain agree with the edited events: new digests, every link
    recomputed (unkeyed, or with a key of the tamperer's), and a head record to match."""
    db = sqlite3.connect(w.path, isolation_level=None)
    db.execute("BEGIN")
    if drop_key_notes:
        db.execute('DELETE FROM ledger WHERE note LIKE \'%"note":"key"%\'')
        db.execute("DELETE FROM journal_meta WHERE name = 'key_id'")
    db.execute(
        "UPDATE ledger SET digest = (SELECT hash FROM events e WHERE e.session_id ="
        " ledger.session_id AND e.seq = ledger.seq) WHERE seq > 0 AND session_id != ''"
    )
    (journal_id,) = db.execute(
        "SELECT value FROM journal_meta WHERE name = 'journal_id'"
    ).fetchone()
    rows = db.execute(
        "SELECT gseq, session_id, seq, digest, note FROM ledger ORDER BY gseq"
    ).fetchall()
    db.execute("DELETE FROM ledger")
    link, n = "g:" + journal_id, 0
    for _, sid, seq, digest, note in rows:
        n += 1
        link = ledger_link(link, n, sid, n if sid == "" else seq, digest, key)
        db.execute(
            "INSERT INTO ledger (gseq, session_id, seq, digest, link, note)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (n, sid, n if sid == "" else seq, digest, link, note),
        )
    db.execute("COMMIT")
    db.close()
    head_path(w.path).unlink()
    HeadFile(w.path).write(journal_id, n, link, key)


def _forged_text(data: dict) -> None:
    data["text"] = "Reading nothing; all fine."


def test_recomputing_the_event_chain_after_an_edit_is_caught(world: World) -> None:
    _rehash_events(world, world.ids["full"], _forged_text)
    proc = world.verify()
    assert proc.returncode == 1
    assert "event 2: it is not the event the journal-wide chain recorded" in proc.stdout


@pytest.mark.parametrize(
    ("key", "drop_key_notes", "message"),
    [
        (None, False, "is unkeyed inside the keyed chain: it was rewritten without the key"),
        (b"k" * 32, False, "its HMAC does not match"),
        (None, True, "the keyring holds this journal's key, but no record is signed with it"),
    ],
    ids=["unkeyed-links", "a-guessed-key", "all-rewritten-unkeyed"],
)
def test_recomputing_the_journal_wide_chain_without_the_key_is_caught(
    world: World, key: bytes | None, drop_key_notes: bool, message: str
) -> None:
    _rehash_events(world, world.ids["full"], _forged_text)
    _relink(world, key, drop_key_notes=drop_key_notes)
    proc = world.verify()
    assert proc.returncode == 1, proc.stdout
    assert message in proc.stdout
    model = ["--model", "openai/x", "--api-base", "http://127.0.0.1:9/v1"]
    resumed = world.cli("run", "go on", "--resume", world.ids["full"], *model)
    assert resumed.returncode == 2 and "fails verification" in resumed.stderr


def test_a_tampered_session_is_neither_resumed_nor_undone_from_the_cli(world: World) -> None:
    _set("title", "Nothing to see", "write")(world)
    model = ["--model", "openai/x", "--api-base", "http://127.0.0.1:9/v1"]
    resumed = world.cli("run", "go on", "--resume", world.ids["write"], *model)
    assert resumed.returncode == 2
    assert "fails verification (its title was changed" in resumed.stderr
    undone = world.cli("undo", "write-1", "--approve", "all")
    assert undone.returncode == 2 and "fails verification" in undone.stderr
    copy = world.cli("run", "go on", "--resume", world.ids["copy"], *model)
    assert copy.returncode == 2 and "is a read-only copy" in copy.stderr
    with Journal(world.path) as j:  # nothing was appended to either
        assert [len(j.events(world.ids[k])) for k in ("write", "copy")] == [5, 1]


def test_a_cut_journal_refuses_to_resume_the_sessions_it_may_have_cut(world: World) -> None:
    _delete_session("last", ledger=True)(world)
    with Journal(world.path) as j:
        new = j.create_session(model=None, workspace="/w")  # notes the cut, then goes on
        with pytest.raises(NotResumable, match="lost records .*had been cut off"):
            j.check_resumable(world.ids["full"])
        assert j.check_resumable(new).id == new  # made after the cut: nothing of it was lost
    proc = world.verify()
    assert proc.returncode == 1
    assert "when record 30 was written, the head record said the journal had 36" in proc.stdout


# -- no keyring -----------------------------------------------------------------------------


@pytest.fixture
def unkeyed(assistant_home: Path, tmp_path: Path) -> World:
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())
    with Journal(paths.journal_file()) as j:
        ids, blob = build(j)
    env = cli_env(assistant_home, "keyring.backends.fail.Keyring", tmp_path / "unused.json")
    return World(env, paths.journal_file(), ids, blob)


def test_without_a_keyring_verify_says_the_chain_is_unkeyed_and_what_that_means(
    unkeyed: World,
) -> None:
    proc = unkeyed.verify()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "UNKEYED" in proc.stdout
    assert "are unkeyed (no system keyring is available here)" in proc.stdout
    assert "anyone who can edit the file can recompute an unkeyed chain" in proc.stdout


def test_without_a_keyring_plain_edits_are_still_caught(unkeyed: World) -> None:
    _set("title", "Nothing to see")(unkeyed)
    proc = unkeyed.verify()
    assert proc.returncode == 1 and "its title was changed" in proc.stdout


def test_without_a_keyring_a_full_recompute_passes_as_verify_warned(unkeyed: World) -> None:
    _rehash_events(unkeyed, unkeyed.ids["full"], _forged_text)
    _relink(unkeyed, None)
    proc = unkeyed.verify()
    assert proc.returncode == 0  # what "unkeyed" means: the file alone can be re-signed
    assert "UNKEYED" in proc.stdout and "can recompute" in proc.stdout


def test_a_keyed_journal_checked_where_the_key_is_not_cannot_pass(world: World) -> None:
    world.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    proc = world.verify()
    assert proc.returncode == 1
    assert "are signed with a key this keyring does not hold" in proc.stdout
    assert "they cannot be checked" in proc.stdout


def test_headers_are_chained_as_created(world: World) -> None:
    db = sqlite3.connect(world.path)
    created_at, header = db.execute(
        "SELECT created_at, header FROM sessions WHERE id = ?", (world.ids["copy"],)
    ).fetchone()
    db.close()
    meta = {"read_only": True, "imported": {"source_session": "ab" * 16}}
    expected = session_header(world.ids["copy"], created_at, None, "m", "/there", None, meta)
    assert header == expected and len(sha256_hex(header)) == 64


def test_an_unkeyed_journal_swapped_in_for_a_keyed_one_is_reported(
    world: World, tmp_path: Path
) -> None:
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())  # made where no keyring works
    other = tmp_path / "made-elsewhere.sqlite3"
    with Journal(other) as j:
        sid = j.create_session(model=None, workspace="/w")
        j.append(sid, "user.message", {"text": "nothing happened here"})
    for path in (world.path, head_path(world.path)):
        path.unlink()
    other.rename(world.path)
    proc = world.verify()
    assert proc.returncode == 1, proc.stdout
    assert "yet none of this journal's 3 records is signed" in proc.stdout


def test_a_commit_landing_during_verify_is_not_taken_for_a_cut_tail(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process appends (and rewrites the head) just as verify reads the head file."""
    writer = Journal(world.path)
    real_read = HeadFile.read
    pending = [2]  # one append as verify reads the head, one as check_resumable does

    def read_while_writing(self: HeadFile) -> object:
        if self is not writer._ledger.head and pending[0]:
            pending[0] -= 1
            writer.append(world.ids["full"], "user.message", {"text": "meanwhile, elsewhere"})
        return real_read(self)

    with Journal(world.path) as checker:
        monkeypatch.setattr(HeadFile, "read", read_while_writing)
        report = checker.verify_journal(sessions=False)
        checker.check_resumable(world.ids["full"])
    writer.close()
    assert report.ok, report.problems
    assert pending == [0]
