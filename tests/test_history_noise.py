"""History without noise: a launch where nothing happens leaves no session (the session is made
with its first event, so nothing is lost on a crash after it); CLI tool calls join a named
session and are found as work done by hand; titles read well (no raw JSON, no word cut)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from assistant import paths
from assistant.journal import Journal
from tests.support import fake_llm as llm
from tests.support.cli import assistant, env_fixture, model_args  # noqa: F401  (the "env" fixture)
from tests.support.pilot import MODEL_NAMED, AppOpener, pending, send, wait_for

LONG = (
    "Pull last week's orders from the shop API and save the paid ones as orders.csv, "
    "then tell me the total"
)


def sessions() -> list[tuple[str, str | None]]:
    if not paths.journal_file().exists():
        return []
    with Journal(paths.journal_file()) as journal:
        return [(s.id, s.title) for s in journal.sessions()]


async def test_a_launch_that_does_nothing_leaves_no_session(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app(settings=MODEL_NAMED, size=(120, 40)) as pilot:
        app = pilot.app
        await send(pilot, "/help")
        await send(pilot, "/keys")
        await send(pilot, "/grants")
        await pilot.pause()
        assert app.session.session_id  # named already (the status line shows it)
        await app.action_quit()
    assert sessions() == []
    assert app.exit_note == ""  # no "session ... saved" for a session that was not kept


async def test_the_first_event_makes_the_session_at_once_with_a_readable_title(
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    async with open_app(settings=MODEL_NAMED, size=(120, 40)) as pilot:
        app = pilot.app
        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        # in the journal while the action still waits: a crash from here loses nothing
        ((sid, title),) = sessions()
        assert sid == app.session.session_id
        assert (title or "").startswith("shell: echo hi > a.txt")
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").exists(), "the write")
        await app.action_quit()
    assert app.exit_note.startswith(f"session {sid[:8]} saved")


def test_cli_tool_calls_join_a_named_session_and_filter_as_work_by_hand(
    fake_llm: llm.FakeLLM,
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    (workspace_dir / "a.txt").write_text("one\ntwo\n")
    fake_llm.queue(llm.text("Hello.", chunks=2), llm.text("Again.", chunks=2))
    first = assistant(env, "run", LONG, *model_args(fake_llm), "--workspace", str(workspace_dir))
    assert first.returncode == 0, first.stderr
    other = assistant(env, "run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir))
    assert other.returncode == 0, other.stderr
    (model_only, _), (sid, title) = sessions()
    # a long first prompt is cut at the end of a word
    assert (
        title == "Pull last week's orders from the shop API and save the paid ones as orders.csv…"
    )

    added = assistant(
        env, "tool", "shell", json.dumps({"command": "wc -l a.txt"}), "--session", sid[:8]
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == "2 a.txt\n"
    with Journal(paths.journal_file()) as journal:
        kinds = [e.kind for e in journal.events(sid)]
        assert kinds[-4:] == [
            "action.proposed",
            "action.decided",
            "action.approved",
            "action.result",
        ]
        assert journal.verify(sid).ok
    listed = assistant(env, "history", "list", "--manual", "--json")
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [sid]
    shown = assistant(env, "history", "show", sid[:8])
    assert "· shell · by hand" in shown.stdout

    alone = assistant(
        env,
        "tool",
        "shell",
        json.dumps({"command": "cat a.txt"}),
        "--workspace",
        str(workspace_dir),
    )
    assert alone.returncode == 0
    titles = {s: t for s, t in sessions()}
    assert len(titles) == 3 and model_only in titles
    (new_sid,) = set(titles) - {sid, model_only}
    assert titles[new_sid] == "shell: cat a.txt"  # not raw JSON
    listed = assistant(env, "history", "list", "--manual", "--json")
    assert {json.loads(line)["id"] for line in listed.stdout.splitlines()} == {sid, new_sid}

    unknown = assistant(
        env, "tool", "shell", json.dumps({"command": "ls"}), "--session", "abcd1234"
    )
    assert unknown.returncode == 2 and "no session matches" in unknown.stderr


def test_a_refused_call_by_hand_is_titled_by_its_tool_and_why(
    env: dict[str, str], workspace_dir: Path
) -> None:
    """`assistant tool` refused before anything was planned (a missing file, arguments that are
    not JSON) is in the history under what it was, not "(no prompt)"."""
    missing = assistant(
        env, "tool", "csv_read", '{"path": "nope.csv"}', "--workspace", str(workspace_dir)
    )
    assert missing.returncode == 2
    broken = assistant(env, "tool", "shell", '{"command": "ls"', "--workspace", str(workspace_dir))
    assert broken.returncode == 2
    titles = sorted(title or "" for _, title in sessions())
    assert len(titles) == 2
    assert titles[0].startswith("csv_read: ") and "nope.csv" in titles[0]
    assert titles[1].startswith("shell: arguments are not valid JSON")
    listed = assistant(env, "history", "list")
    assert "(no prompt)" not in listed.stdout


def test_titles_cut_the_old_way_still_verify_and_an_edited_one_does_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        sid = journal.create_session(model=None, workspace=str(tmp_path))
        journal.append(sid, "user.message", {"text": LONG})
        assert (journal.get_session(sid).title or "").endswith("orders.csv…")
        assert journal.verify(sid).ok
    old = LONG[:79].rstrip() + "…"  # how an older version stored it, cut mid-word
    for stored, ok in ((old, True), ("something else", False)):
        with sqlite3.connect(path) as db:
            db.execute("UPDATE sessions SET title = ? WHERE id = ?", (stored, sid))
        with Journal(path) as journal:
            assert journal.verify(sid).ok is ok, stored
