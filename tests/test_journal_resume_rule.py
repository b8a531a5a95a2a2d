"""The one rule, in the running app: a session that fails verification, or an imported read-only
copy, is neither resumed nor undone (the same `Journal.check_resumable` the CLI uses)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant import paths
from assistant.journal import Journal
from tests.support.textdump import screen_text
from tests.test_ui_chat import SIZE, make_app, pending, send, wait_for


async def test_the_app_neither_resumes_nor_undoes_a_tampered_session(workspace_dir: Path) -> None:
    (workspace_dir / "a.txt").write_text("before\n")
    app = make_app(None, workspace_dir, setup=False)
    async with app.run_test(size=SIZE) as pilot:
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
        await wait_for(pilot, lambda: "could not start" in screen_text(app), "the resume refusal")
        assert app.session.runtime is None
    assert (workspace_dir / "a.txt").read_text() == "after\n"


async def test_the_app_does_not_resume_an_imported_copy(workspace_dir: Path) -> None:
    with Journal(paths.journal_file()) as j:
        meta = {"read_only": True, "imported": {"source_session": "cd" * 16}}
        copy = j.create_session(model=None, workspace=str(workspace_dir), meta=meta)
        j.append(copy, "user.message", {"text": "from another machine"})
    app = make_app(None, workspace_dir, setup=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        assert not await app.chat.resume(copy)
        await wait_for(pilot, lambda: "is a read-only copy" in screen_text(app), "the refusal")
    with Journal(paths.journal_file()) as j:
        assert len(j.events(copy)) == 1
