"""Journal reads: the session list and its filters, id prefixes, search, action states, threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.agent import action_life
from assistant.agent.action_life import Life
from assistant.journal import Journal, JournalError, SessionLookupError
from tests.support.journal_data import Clock, full_session, proposed


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3", clock=Clock()) as j:
        yield j


@pytest.fixture
def catalog(journal: Journal) -> dict[str, str]:
    """Five sessions with different traits, created oldest first."""
    ids = {}
    ids["read"] = journal.create_session(model="m", workspace="/w", title="Only reading")
    journal.append(ids["read"], "action.proposed", proposed("r1", targets=["path:data/a.csv"]))
    ids["write"] = journal.create_session(model="m", workspace="/w")
    journal.append(ids["write"], "user.message", {"text": "Update the ledger"})
    journal.append(
        ids["write"],
        "action.proposed",
        proposed("w1", effect="write", targets=["path:data/sub/b.csv", "path:data2.csv"]),
    )
    ids["http"] = journal.create_session(model="m", workspace="/w")
    journal.append(ids["http"], "user.message", {"text": "Ping the staging API"})
    journal.append(
        ids["http"],
        "action.proposed",
        proposed("h1", tool="http_request", targets=["host:staging.example.com:8443"]),
    )
    journal.append(
        ids["http"], "action.decided", {"action_id": "h1", "verdict": "deny", "by": "human"}
    )
    ids["error"] = journal.create_session(model="m", workspace="/w")
    journal.append(ids["error"], "turn.error", {"message": "model unavailable", "error": "auth"})
    ids["empty"] = journal.create_session(model="m", workspace="/w")
    return ids


def _ids(rows: list) -> list[str]:
    return [r.id for r in rows]


def test_newest_activity_first_with_paging(journal: Journal, catalog: dict[str, str]) -> None:
    order = ["empty", "error", "http", "write", "read"]
    assert _ids(journal.sessions()) == [catalog[k] for k in order]
    journal.append(catalog["read"], "user.message", {"text": "back again"})
    order = ["read", *order[:-1]]
    assert _ids(journal.sessions()) == [catalog[k] for k in order]
    assert _ids(journal.sessions(limit=2, offset=1)) == [catalog[k] for k in order[1:3]]
    assert journal.sessions(limit=0) == [] and journal.sessions(offset=99) == []
    assert journal.count_sessions() == 5
    with pytest.raises(JournalError, match="limit must be"):
        journal.sessions(limit=-1)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"has_writes": True}, ["write"]),
        ({"has_denials": True}, ["http"]),
        ({"has_errors": True}, ["error"]),
        ({"tool": "http_request"}, ["http"]),
        ({"tool": "csv_files"}, ["write", "read"]),
        ({"tool": "csv"}, []),
        ({"host": "staging.example.com"}, ["http"]),
        ({"host": "STAGING.example.com:8443"}, ["http"]),
        ({"host": "staging.example.com:443"}, []),
        ({"file": "data/a.csv"}, ["read"]),
        ({"file": "data"}, ["write", "read"]),  # a folder: the files under it
        ({"file": "./data/sub/"}, ["write"]),
        ({"file": "data2.csv"}, ["write"]),
        ({"file": "data/a"}, []),  # a file name prefix is not a folder
        ({"query": "ledger"}, ["write"]),
        ({"query": "readi"}, ["read"]),  # the given title, by word prefix
        ({"query": "staging"}, ["http"]),
        ({"tool": "csv_files", "has_writes": True}, ["write"]),
        ({"query": "ledger", "has_denials": True}, []),
    ],
)
def test_filters(
    journal: Journal, catalog: dict[str, str], filters: dict, expected: list[str]
) -> None:
    assert _ids(journal.sessions(**filters)) == [catalog[k] for k in expected]
    assert journal.count_sessions(**filters) == len(expected)


def test_bad_filters_are_refused(journal: Journal) -> None:
    with pytest.raises(JournalError, match="tool filter must be text"):
        journal.sessions(tool=3)  # type: ignore[arg-type]
    with pytest.raises(JournalError, match="no words"):
        journal.sessions(query="  ?! ")


def test_the_list_uses_its_index(journal: Journal) -> None:
    plan = (
        journal._conn()
        .execute(
            "EXPLAIN QUERY PLAN SELECT id FROM sessions ORDER BY updated_at DESC, id DESC LIMIT 50"
        )
        .fetchall()
    )
    assert "sessions_by_updated" in " ".join(str(row) for row in plan)


def test_prefixes_must_be_unique_and_long_enough(tmp_path: Path) -> None:
    ids = iter(["abcd" + "0" * 28, "abcd" + "1" * 28, "ffff" + "2" * 28])
    with Journal(tmp_path / "journal.sqlite3", clock=Clock(), new_id=lambda: next(ids)) as journal:
        a = journal.create_session(model="m", workspace="/w")
        b = journal.create_session(model="m", workspace="/w")
        c = journal.create_session(model="m", workspace="/w", parent="abcd0")
        assert journal.get_session("ABCD0").id == a
        assert journal.get_session("abcd1111").id == b
        assert journal.get_session(c).parent == a
        dashed = f"{c[:8]}-{c[8:12]}-{c[12:16]}-{c[16:20]}-{c[20:]}"
        assert journal.get_session(dashed).id == c
        with pytest.raises(
            SessionLookupError, match="ambiguous: it matches abcd00000000…, abcd11111111…"
        ):
            journal.get_session("abcd")
        with pytest.raises(SessionLookupError, match="too short"):
            journal.get_session("fff")
        with pytest.raises(SessionLookupError, match="session ids are 32 hex"):
            journal.get_session("../etc\x1b")
        with pytest.raises(SessionLookupError, match="no session matches"):
            journal.get_session("0123")


@pytest.mark.parametrize("made", ["ABCD" + "0" * 28, "abc", "g" * 32, "../" + "0" * 29, None])
def test_an_id_factory_that_makes_no_session_id_is_refused_and_nothing_is_written(
    tmp_path: Path, made: object
) -> None:
    """Every lookup expects 32 lowercase hex digits: a factory that makes anything else is
    refused before the session is stored, not found unreachable later."""
    with Journal(tmp_path / "journal.sqlite3", new_id=lambda: made) as journal:  # type: ignore[arg-type, return-value]
        with pytest.raises(JournalError, match="the id factory made .*not 32 lowercase hex"):
            journal.create_session(model="m", workspace="/w")
        assert journal.sessions() == []


def test_search_finds_words_with_snippets(journal: Journal) -> None:
    sid = full_session(journal)
    hits = journal.search("duplicates")
    assert [(h.session_id, h.seq, h.kind) for h in hits] == [(sid, 6, "action.result")]
    assert hits[0].snippet == "42 rows, 3 [duplicates]"
    kinds = {h.kind for h in journal.search("invoices")}
    assert kinds == {"user.message", "assistant.message", "action.proposed"}  # text, reply, target
    assert journal.search("invoic clean")[0].seq == 1  # prefixes, all words required
    assert journal.search("unknown tool")[0].kind == "action.error"
    assert len(journal.search("invoices", limit=1)) == 1
    assert journal.search("nothing-like-this") == []


MESSAGES = [
    "alpha alone",
    "beta alone",
    "alpha or beta both",
    "near alpha beta",
    "text alpha",
    "and so on",
    "beta then alpha",
    "xylophone solo",
    "日本語のテキスト",
]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('alpha" OR "beta', ["alpha or beta both"]),  # not OR: all three words
        ("NEAR(alpha beta)", ["near alpha beta"]),  # not NEAR: the word "near" too
        ("text:alpha", ["text alpha"]),  # not a column filter
        ("AND", ["and so on"]),  # not an operator (alone, FTS5 refuses it)
        ("-beta alone", ["beta alone"]),  # not a negation
        ("^then", ["beta then alpha"]),  # not "first word only"
        ("alph* alone", ["alpha alone"]),  # the star is no syntax: every word is a prefix
        ("xyl' --", ["xylophone solo"]),  # a quote and a comment are no SQL
        ("日本語", ["日本語のテキスト"]),
    ],
)
def test_search_takes_any_text_as_plain_words(
    journal: Journal, text: str, found: list[str]
) -> None:
    """FTS syntax in the search text is read as the words it holds, each a prefix, all of them
    required: each search finds exactly the messages holding every word, and none of those the
    syntax would have found."""
    sid = journal.create_session(model="m", workspace="/w")
    messages = {journal.append(sid, "user.message", {"text": m}).seq: m for m in MESSAGES}
    assert sorted(messages[hit.seq] for hit in journal.search(text)) == found


def test_search_needs_words(journal: Journal) -> None:
    with pytest.raises(JournalError, match="no words"):
        journal.search(' " * ')


def states(journal: Journal, sid: str) -> dict[str, Life]:
    return action_life.session_fold(journal, sid)[1].lives


def test_action_states(journal: Journal) -> None:
    sid = full_session(journal)
    lives = states(journal, sid)
    assert {k: v.state for k, v in lives.items()} == {
        "a-done": "done",
        "a-deny": "denied",
        "a-fail": "failed",
        "a-lost": "outcome unknown",
        "a-wait": "proposed",
    }
    lost = lives["a-lost"]
    assert (lost.proposed.tool, lost.proposed.effect, lost.verdict, lost.decided_by) == (
        "shell_lite",
        "write",
        "edit",
        "human",
    )
    assert lives["a-deny"].decided_by == "human" and lives["a-wait"].verdict is None
    assert lives["a-done"].proposed.summary == "csv_files a-done"


def test_an_approved_decision_without_approval_record_was_not_run(journal: Journal) -> None:
    sid = journal.create_session(model="m", workspace="/w")
    journal.append(sid, "action.proposed", proposed("a1"))
    journal.append(sid, "action.decided", {"action_id": "a1", "verdict": "approve", "by": "human"})
    life = states(journal, sid)["a1"]
    assert (life.state, life.verdict) == ("proposed", "approve")


def test_find_action_by_id_or_prefix(journal: Journal) -> None:
    sid = full_session(journal)
    record = journal.find_action("a-fail")
    assert (record.session_id, record.action_id) == (sid, "a-fail")
    life = action_life.find(journal, sid, record.action_id)
    assert life is not None and life.state == "failed"
    assert life.proposed.effect == "write" and life.result is not None
    assert life.result.output == "disk full"
    assert journal.find_action("a-wa").action_id == "a-wait"
    assert states(journal, sid)["a-wait"].decision is None
    other = journal.create_session(model="m", workspace="/w")
    journal.append(other, "action.proposed", proposed("dup-1"))
    journal.append(other, "action.proposed", proposed("dup-2"))
    with pytest.raises(JournalError, match="ambiguous: it matches dup-1 and dup-2"):
        journal.find_action("dup-")
    assert journal.find_action("dup-2").session_id == other
    with pytest.raises(JournalError, match="no action"):
        journal.find_action("zzzz")
    with pytest.raises(JournalError, match="at least 4"):
        journal.find_action("a-")


def test_threads_append_without_losing_or_reordering(tmp_path: Path) -> None:
    """The agent appends from a worker thread while the UI reads: the chain must stay whole."""
    path = tmp_path / "journal.sqlite3"
    writer = Journal(path)
    reader = Journal(path)  # a second connection, as a UI in the same process would hold
    sid = writer.create_session(model="m", workspace="/w")
    errors: list[BaseException] = []
    seen: list[int] = []

    def write(worker: int) -> None:
        try:
            for i in range(25):
                writer.append(sid, "user.message", {"text": f"w{worker} #{i}"})
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(25):
                seen.append(reader.get_session(sid).n_events)
                reader.events(sid)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert [e.seq for e in reader.events(sid)] == list(range(1, 101))
    assert seen == sorted(seen)  # the reader only ever sees whole, growing snapshots
    assert reader.verify(sid).ok and reader.get_session(sid).n_events == 100
    writer.close()
    reader.close()
