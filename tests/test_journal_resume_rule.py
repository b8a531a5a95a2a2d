"""The one rule, in the running app: a session that fails verification, or an imported read-only
copy, is neither resumed nor undone (the same `Journal.check_resumable` the CLI uses)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant import paths
from assistant.journal import Journal
from tests.support.pilot import AppOpener, pending, send, wait_for
from tests.support.textdump import screen_text, toasts


async def test_the_app_neither_resumes_nor_undoes_a_tampered_session(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    (workspace_dir / "a.txt").write_text("before\n")
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh echo after > a.txt")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").read_text() == "after\n", "write")
        action_id = app.chat.view.cards[0].action_id
        first = app.session.session_id
        db = sqlite3.connect(paths.journal_file())
        db.execute("UPDATE sessions SET workspace = '/somewhere/else' WHERE id = ?", (first,))
        db.commit()
        db.close()
        await send(pilot, f"/undo {action_id}")
        await wait_for(pilot, lambda: "fails verification" in screen_text(app), "the refusal")
        assert "its workspace was changed" in screen_text(app)
        assert not app.chat.pane.queue  # nothing was offered for approval
        assert not await app.chat.resume(first)
        await wait_for(pilot, lambda: "Not resumed" in screen_text(app), "the resume refusal")
        # refused before anything was given up: the app still has its session to work in
        assert app.session.runtime is not None and app.session.session_id == first
    assert (workspace_dir / "a.txt").read_text() == "after\n"


async def test_the_app_does_not_resume_an_imported_copy(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    with Journal(paths.journal_file()) as j:
        meta = {"read_only": True, "imported": {"source_session": "cd" * 16}}
        copy = j.create_session(model=None, workspace=str(workspace_dir), meta=meta)
        j.append(copy, "user.message", {"text": "from another machine"})
    async with open_app() as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        assert not await app.chat.resume(copy)
        await wait_for(pilot, lambda: "is a read-only copy" in screen_text(app), "the refusal")
    with Journal(paths.journal_file()) as j:
        assert len(j.events(copy)) == 1


def imported_copy(workspace: Path) -> tuple[str, str]:
    """A read-only copy, as `assistant import` leaves one, holding a file write: (session, action)."""
    action_id = "feed00000001"
    with Journal(paths.journal_file()) as j:
        meta = {"read_only": True, "imported": {"source_session": "ef" * 16}}
        copy = j.create_session(model=None, workspace=str(workspace), meta=meta)
        j.append(copy, "user.message", {"text": "write a.txt over there"})
        j.append(
            copy,
            "action.proposed",
            {
                "action_id": action_id, "call_id": None, "tool": "shell", "effect": "write",
                "args": {"command": "echo hi > a.txt"}, "summary": "echo hi > a.txt (1 path)",
                "preview": {"text": "create a.txt"}, "targets": ["path:a.txt"], "fingerprint": "f",
            },
        )  # fmt: skip
        j.append(
            copy, "action.decided", {"action_id": action_id, "verdict": "approve", "by": "human"}
        )
        j.append(copy, "action.approved", {"action_id": action_id, "by": "human"})
        j.append(
            copy,
            "action.result",
            {"action_id": action_id, "ok": True, "output": "", "blobs": {"a.txt": None}},
        )
    return copy, action_id


async def test_the_history_and_replay_keys_neither_resume_nor_undo_an_imported_copy(
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    """The keys a person presses (r in history and replay, u in replay), not a method call."""
    from assistant.ui.screens.history import HistoryScreen
    from assistant.ui.screens.replay import ReplayScreen
    from tests.support.history_app import settle

    (workspace_dir / "a.txt").write_text("theirs\n")
    copy, _ = imported_copy(workspace_dir)
    async with open_app(notifications=True) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        app.action_history()
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.press("down")  # the app's own new session is above it
        assert history.selected_id() == copy
        await pilot.press("enter")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await pilot.press("end", "u")
        await settle(pilot)
        notes = [t.text for t in toasts(app)]
        assert any("cannot undo" in n and "read-only copy" in n for n in notes), notes
        assert not app.chat.pane.queue  # nothing was offered for approval
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is history and history.selected_id() == copy
        await pilot.press("r")
        await wait_for(pilot, lambda: "is a read-only copy" in screen_text(app), "the refusal")
        assert app.session.session_id != copy
    with Journal(paths.journal_file()) as j:
        assert len(j.events(copy)) == 5  # nothing appended
    assert (workspace_dir / "a.txt").read_text() == "theirs\n"


def test_the_cli_neither_resumes_nor_undoes_an_imported_copy(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    (workspace_dir / "a.txt").write_text("theirs\n")
    copy, action_id = imported_copy(workspace_dir)
    assert main(["undo", action_id, "--approve", "all"]) == 2
    assert "is a read-only copy" in capsys.readouterr().err
    model = ["--model", "openai/x", "--api-base", "http://127.0.0.1:9/v1"]
    assert main(["run", "go on", "--resume", copy, *model]) == 2
    assert "is a read-only copy" in capsys.readouterr().err
    with Journal(paths.journal_file()) as j:
        assert len(j.events(copy)) == 5
    assert (workspace_dir / "a.txt").read_text() == "theirs\n"
