"""A resume the app refuses leaves the person able to go on: refused by the resume rule (an altered
session, an imported copy) or because its workspace is gone, the chat keeps the session it had,
its conversation shown and sent; a resume that fails only after the open session was given up
leaves a new session open, as at launch. Driven by the keys a person presses (F2, r), against the
fake OpenAI-compatible server."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from assistant import paths
from assistant.journal import Journal
from assistant.session import Session
from assistant.ui.screens.history import HistoryScreen
from tests.support import fake_llm as llm
from tests.support.history_app import settle
from tests.support.pilot import AppOpener, send, turn_done, wait_for
from tests.support.textdump import screen_text


def stored_session(workspace: Path, **meta: Any) -> str:
    """A session of one exchange, as an earlier launch left it."""
    with Journal(paths.journal_file()) as j:
        sid = j.create_session(model="openai/fake-model", workspace=str(workspace), meta=meta)
        j.append(sid, "user.message", {"text": "an earlier question"})
        j.append(sid, "assistant.message", {"text": "an earlier answer", "tool_calls": []})
        j.append(sid, "turn.end", {"reason": "done"})
    return sid


def altered(workspace: Path, tmp: Path) -> str:
    sid = stored_session(workspace)
    db = sqlite3.connect(paths.journal_file())
    db.execute("UPDATE sessions SET workspace = '/somewhere/else' WHERE id = ?", (sid,))
    db.commit()
    db.close()
    return sid


def imported(workspace: Path, tmp: Path) -> str:
    return stored_session(workspace, read_only=True, imported={"source_session": "ab" * 16})


def workspace_gone(workspace: Path, tmp: Path) -> str:
    gone = tmp / "removed-since"
    gone.mkdir()
    sid = stored_session(gone)
    shutil.rmtree(gone)
    return sid


async def resume_from_history(pilot: Pilot[Any], session_id: str) -> None:
    """F2, down to the session, r: as a person asks for it."""
    await pilot.press("f2")
    await settle(pilot)
    history = pilot.app.screen
    assert isinstance(history, HistoryScreen)
    for _ in range(5):
        if history.selected_id() == session_id:
            break
        await pilot.press("down")
    assert history.selected_id() == session_id
    await pilot.press("r")
    await settle(pilot)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (altered, "fails verification"),
        (imported, "is a read-only copy"),
        (workspace_gone, "removed-since"),
    ],
    ids=["altered", "imported", "workspace-gone"],
)
async def test_after_a_refused_resume_the_person_goes_on_in_the_same_session(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    tmp_path: Path,
    open_app: AppOpener,
    make: Any,
    said: str,
) -> None:
    refused = make(workspace_dir, tmp_path)
    fake_llm.queue(llm.text("Hi, first answer."))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "hello")
        await turn_done(pilot)
        mine = app.session.session_id
        await resume_from_history(pilot, refused)
        await wait_for(pilot, lambda: "Not resumed" in screen_text(app), "the refusal")
        text = screen_text(app)
        assert said in text and "Nothing changed here" in text
        assert "Hi, first answer." in text  # the conversation is still there
        assert app.screen is app.chat and app.session.session_id == mine

        fake_llm.queue(llm.text("Still here."))
        await send(pilot, "and now?")
        await turn_done(pilot)
        assert "Still here." in screen_text(app)
    sent = fake_llm.requests[-1]["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"] == ["hello", "and now?"]
    with Journal(paths.journal_file()) as j:
        assert len(j.events(refused)) == 3  # nothing was added to it
        kinds = [e.kind for e in j.events(mine)]
    assert kinds.count("user.message") == 2


async def test_a_resume_that_fails_once_begun_leaves_a_new_session_open(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    tmp_path: Path,
    open_app: AppOpener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check passed, then the open failed (the workspace went in between): a new session
    as at launch, in the workspace the person was in, and nothing of the refused one shown."""
    refused = workspace_gone(workspace_dir, tmp_path)
    monkeypatch.setattr(Session, "resume_problem", lambda self, session_id: "")
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await resume_from_history(pilot, refused)
        await wait_for(pilot, lambda: "A new session is open" in screen_text(app), "the notice")
        assert "removed-since" in screen_text(app)
        assert "an earlier answer" not in screen_text(app)
        assert app.session.runtime is not None
        assert Path(app.session.runtime.gate.ctx.workspace.root) == workspace_dir.resolve()

        fake_llm.queue(llm.text("Fresh start."))
        await send(pilot, "hello again")
        await turn_done(pilot)
        assert "Fresh start." in screen_text(app)
        fresh = app.session.session_id
    assert fresh != refused
    sent = fake_llm.requests[-1]["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"] == ["hello again"]
    with Journal(paths.journal_file()) as j:
        assert len(j.events(refused)) == 3
        assert j.get_session(fresh).workspace == str(workspace_dir.resolve())
