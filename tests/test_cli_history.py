"""`assistant history list | show | search | verify`, text and --json, against a real journal."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import paths
from assistant.cli import main
from assistant.journal import Journal
from tests.support.journal_data import full_session, proposed

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich sizes tables from COLUMNS when not a terminal


@pytest.fixture
def sessions() -> dict[str, str]:
    """The journal `assistant` opens (under the test's ASSISTANT_HOME), with three sessions.

    Its clock steps 5 ms per reading, so sessions never share a millisecond (the list orders by
    the last event's time, and a tie would order by the random ids)."""
    start = datetime.now(UTC)
    ticks = itertools.count()
    clock = lambda: start + timedelta(milliseconds=5 * next(ticks))  # noqa: E731
    with Journal(paths.journal_file(), clock=clock) as j:
        ids = {"full": full_session(j)}
        ids["hostile"] = j.create_session(model="evil\x1b]0;pwned\x07", workspace="/w")
        j.append(ids["hostile"], "user.message", {"text": "hi \x1b[2J\x1b[31mred\u202eevil"})
        j.append(
            ids["hostile"],
            "action.proposed",
            proposed(
                "h1",
                tool="http_request",
                effect="egress",
                summary="GET \x1b[1mhttps://x.test/\x9b6n",
                preview={"kind": "http", "text": "GET /\nHost: x.test\x1b[8m", "data": {}},
            ),
        )
        j.append(
            ids["hostile"],
            "action.decided",
            {"action_id": "h1", "verdict": "approve", "by": "human"},
        )
        j.append(ids["hostile"], "action.approved", {"action_id": "h1", "by": "human"})
        j.append(
            ids["hostile"],
            "action.result",
            {"action_id": "h1", "ok": True, "output": "\n".join(f"line {i}" for i in range(60))},
        )
        ids["unpriced"] = j.create_session(model="local/llama", workspace="/w", title="Unpriced")
        usage = {"model": "m", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": None}
        j.append(ids["unpriced"], "turn.usage", usage)
    return ids


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["history", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_list_shows_the_table(capsys: pytest.CaptureFixture[str], sessions: dict[str, str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "id", "when", "title", "model", "actions", "writes", "denied", "errors", "cost",
    ]  # fmt: skip
    full = next(line for line in lines if line.startswith(sessions["full"][:8]))
    assert "Clean the invoices" in full and "openai/test" in full
    assert full.split()[-5:] == ["5", "3", "1", "2", "≥$0.250"]  # present.cost: the one notation
    unpriced = next(line for line in lines if line.startswith(sessions["unpriced"][:8]))
    assert unpriced.split()[-5:] == ["0", "0", "0", "0", "unknown"]
    hostile = next(line for line in lines if line.startswith(sessions["hostile"][:8]))
    assert hostile.split()[-1] == "–"
    assert lines[-1] == "1–3 of 3 sessions"


def test_list_filters_limit_and_json(
    capsys: pytest.CaptureFixture[str], sessions: dict[str, str]
) -> None:
    code, out, _ = run(capsys, "list", "--json")
    rows = jsonl(out)
    assert code == 0 and [r["id"] for r in rows] == [
        sessions["unpriced"],
        sessions["hostile"],
        sessions["full"],
    ]
    assert rows[2]["n_writes"] == 3 and rows[2]["cost_unknown"] is True
    assert rows[2]["files"] == ["data/invoices.csv", "data/out.csv"]
    for flags, expected in [
        (["--writes"], ["full"]),
        (["--denied"], ["full"]),
        (["--errors"], ["full"]),
        (["--tool", "http_request"], ["hostile", "full"]),
        (["--host", "api.example.com"], ["full"]),
        (["--file", "data"], ["full"]),
        (["--search", "unpriced"], ["unpriced"]),
        (["--limit", "1"], ["unpriced"]),
        (["--offset", "2"], ["full"]),
    ]:
        _, out, _ = run(capsys, "list", "--json", *flags)
        assert [r["id"] for r in jsonl(out)] == [sessions[k] for k in expected], flags
    code, out, _ = run(capsys, "list", "--tool", "none_such")
    assert (code, out.strip()) == (0, "no sessions match these filters")


def test_list_on_a_new_journal(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "list") == (0, "no sessions yet\n", "")
    assert run(capsys, "list", "--json") == (0, "", "")


def test_list_rejects_bad_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["history", "list", "--limit", "-3"])
    assert info.value.code == 2
    assert "whole number" in capsys.readouterr().err


def test_show_tells_the_story(capsys: pytest.CaptureFixture[str], sessions: dict[str, str]) -> None:
    code, out, _ = run(capsys, "show", sessions["full"][:6])
    assert code == 0
    assert f"session {sessions['full']}" in out
    assert "journal:   chain intact" in out
    assert "you:\n    Clean the invoices\n    and then report" in out
    assert "assistant:\n    Reading the invoices first." in out
    assert (
        "action a-deny · write · http_request\n    http_request a-deny\n    │ preview of a-deny"
        in out
    )
    assert "decision: denied by the person — no (action a-deny)" in out  # present.decider
    assert "done (action a-done)\n    42 rows, 3 duplicates" in out
    assert "FAILED (action a-fail)\n    disk full" in out
    assert "tool call refused · nope: unknown tool nope" in out
    assert "usage · m · 7+3 tokens · cost unknown" in out
    lost = out.split("approved by the person; running (action a-lost)")[1].splitlines()[1]
    assert lost.startswith("    ⚠ outcome unknown") and "not re-run" in lost
    assert out.count("outcome unknown") == 1
    waiting = out.split("action a-wait")[1]
    assert "⚠ no decision recorded" in waiting


def test_show_escapes_untrusted_text(
    capsys: pytest.CaptureFixture[str], sessions: dict[str, str]
) -> None:
    code, out, _ = run(capsys, "show", sessions["hostile"])
    assert code == 0
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out
    assert "hi \\x1b[2J\\x1b[31mred\\u202eevil" in out
    assert "model:     evil\\x1b]0;pwned\\x07" in out
    assert "GET \\x1b[1mhttps://x.test/\\x9b6n" in out
    assert "line 39\n    … 20 more lines (--full shows them)" in out
    _, full, _ = run(capsys, "show", "--full", sessions["hostile"])
    assert "line 59" in full and "more lines" not in full
    _, listed, _ = run(capsys, "list")
    assert "\x1b" not in listed and "evil\\x1b]0;pwned" in listed


def test_show_json_is_one_event_per_line(
    capsys: pytest.CaptureFixture[str], sessions: dict[str, str]
) -> None:
    code, out, _ = run(capsys, "show", "--json", sessions["hostile"])
    assert code == 0 and out.isascii() and "\x1b" not in out
    rows = jsonl(out)
    with Journal(paths.journal_file()) as j:
        assert rows == [e.to_json() for e in j.events(sessions["hostile"])]
    assert rows[0]["payload"]["text"] == "hi \x1b[2J\x1b[31mred\u202eevil"


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ("0000", "no session matches '0000'"),
        ("ab", "too short"),
        ("not-an-id", "session ids are 32 hex characters"),
    ],
)
def test_show_unknown_sessions_exit_2(
    capsys: pytest.CaptureFixture[str], sessions: dict[str, str], session: str, message: str
) -> None:
    code, out, err = run(capsys, "show", session)
    assert (code, out) == (2, "")
    assert err.startswith("assistant: ") and message in err


def test_search(capsys: pytest.CaptureFixture[str], sessions: dict[str, str]) -> None:
    code, out, _ = run(capsys, "search", "duplicates")
    assert code == 0
    assert out.splitlines() == [
        f"{sessions['full'][:8]} [6] action.result · Clean the invoices",
        "    42 rows, 3 [duplicates]",
    ]
    _, out, _ = run(capsys, "search", "--json", "line", "5")
    (hit,) = jsonl(out)
    assert (hit["session_id"], hit["seq"], hit["kind"]) == (sessions["hostile"], 5, "action.result")
    assert hit["title"].startswith("hi ")
    assert run(capsys, "search", "zebra") == (0, "no matches\n", "")
    code, _, err = run(capsys, "search", "**")
    assert code == 2 and "no words" in err


def test_verify_all_then_tampered(
    capsys: pytest.CaptureFixture[str], sessions: dict[str, str]
) -> None:
    code, out, _ = run(capsys, "verify")
    assert (code, out.splitlines()[-1]) == (0, "3 sessions checked, 0 altered")
    db = sqlite3.connect(paths.journal_file())
    db.execute(
        "UPDATE events SET payload = replace(payload, 'disk full', 'disk fine')"
        " WHERE session_id = ?",
        (sessions["full"],),
    )
    db.commit()
    db.close()
    code, out, _ = run(capsys, "verify")
    assert code == 1
    assert f"{sessions['full']}  ALTERED at event 12: event 12: hash does not match" in out
    assert out.splitlines()[-1] == "3 sessions checked, 1 altered"
    code, out, _ = run(capsys, "verify", "--json")
    *sessions_json, journal_json = jsonl(out)  # one line per session, then the journal's
    rows = {r["session_id"]: r for r in sessions_json}
    assert code == 1 and len(rows) == 3
    assert journal_json["problems"] == [] and journal_json["sessions_altered"] == 1
    assert (rows[sessions["full"]]["ok"], rows[sessions["full"]]["first_bad_seq"]) == (False, 12)
    assert rows[sessions["unpriced"]]["ok"] is True
    code, out, _ = run(capsys, "verify", sessions["unpriced"][:5])
    assert (code, out.splitlines()[0]) == (0, f"{sessions['unpriced']}  ok: chain intact (1 event)")
    code, out, _ = run(capsys, "show", sessions["full"])
    assert code == 0 and "journal:   ALTERED: event 12: hash does not match" in out


def test_an_unreadable_journal_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    paths.journal_file().parent.mkdir(parents=True)
    paths.journal_file().write_bytes(b"not sqlite at all" * 64)
    code, out, err = run(capsys, "list")
    assert (code, out) == (1, "")
    assert "is unreadable" in err


def test_history_list_loads_neither_litellm_nor_textual(tmp_path: Path) -> None:
    code = (
        "import runpy, sys\n"
        "sys.argv = ['assistant', 'history', 'list']\n"
        "try:\n"
        "    runpy.run_module('assistant', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('litellm', 'textual'))\n"
        "print('HEAVY', heavy, 'journal' if 'assistant.journal' in sys.modules else '')\n"
    )
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "HEAVY [] journal"
    assert "no sessions yet" in proc.stdout
