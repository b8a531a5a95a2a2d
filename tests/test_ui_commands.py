"""Slash commands in the running app: tools by hand through the same gate and pane, /grants,
/undo, /model, /keys, /history, /help, the command palette, manual mode and resuming."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from assistant.config import Settings
from assistant.secrets import SERVICE
from assistant.ui.app import AssistantApp
from tests.support import fake_llm as llm
from tests.support.keyrings import MemoryKeyring
from tests.support.pilot import SIZE, AppOpener, events, pending, send, turn_done, wait_for
from tests.support.textdump import screen_text


async def test_sh_write_runs_through_the_pane(workspace_dir: Path, open_app: AppOpener) -> None:
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        assert "› /sh echo hi > a.txt" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").exists(), "the file")
        await wait_for(pilot, lambda: app.chat.view.cards[0].status == "done", "the card")
        proposed = [p for k, p in events(app) if k == "action.proposed"]
        assert proposed[0]["call_id"] is None and proposed[0]["tool"] == "shell"


async def test_reads_run_at_once_and_errors_are_shown(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    (workspace_dir / "data.txt").write_text("x\n")
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh cat data.txt")
        await wait_for(
            pilot,
            lambda: app.chat.view.cards and app.chat.view.cards[0].status == "done",
            "the read",
        )
        assert "approved by read policy" in str(app.chat.view.cards[0].status_text())
        await send(pilot, "/sh cat ../outside.txt")
        await wait_for(pilot, lambda: "✗ shell:" in screen_text(app), "the refusal")
        await send(pilot, "/http GET nowhere")
        await wait_for(pilot, lambda: "is not a URL" in screen_text(app), "the usage error")


async def test_grants_list_and_revoke(workspace_dir: Path, open_app: AppOpener) -> None:
    (workspace_dir / "log.txt").write_text("")  # every write appends: the grant covers appends
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh echo a >> log.txt")
        await pending(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: app.chat.view.cards[0].status == "done", "the first write")
        await send(pilot, "/sh echo b >> log.txt")
        await wait_for(
            pilot,
            lambda: len(app.chat.view.cards) == 2 and app.chat.view.cards[1].status == "done",
            "a write by rule",
        )
        await send(pilot, "/grants")
        await pilot.pause()
        assert "g1  shell redirect in the workspace top folder: append" in screen_text(app)
        await send(pilot, "/grants revoke g1")
        await wait_for(pilot, lambda: "rule g1 revoked" in screen_text(app), "the revocation")
        assert ("grant.revoked", {"grant_id": "g1"}) in events(app)
        await send(pilot, "/sh echo c >> log.txt")
        await pending(pilot)  # asks again
        await send(pilot, "/grants revoke g7")
        await wait_for(pilot, lambda: "no session rule 'g7'" in screen_text(app), "the error")
    assert (workspace_dir / "log.txt").read_text() == "a\nb\n"


async def test_undo_previews_the_restore_then_runs_it(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    (workspace_dir / "a.txt").write_text("before\n")
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh echo after > a.txt")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(
            pilot, lambda: (workspace_dir / "a.txt").read_text() == "after\n", "the write"
        )
        action_id = app.chat.view.cards[0].action_id
        await send(pilot, f"/undo {action_id}")
        await pending(pilot)
        shown = screen_text(app)
        assert "restore" in shown and "+before" in shown and "-after" in shown
        await pilot.press("y")
        await wait_for(
            pilot, lambda: (workspace_dir / "a.txt").read_text() == "before\n", "the undo"
        )
        await send(pilot, "/undo nope")
        await wait_for(
            pilot, lambda: "nope" in screen_text(app).split("› /undo nope")[-1], "the error"
        )


async def test_manual_mode_explains_and_model_switches(
    open_app: AppOpener, fake_llm: llm.FakeLLM, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "hello there")
        await pilot.pause()
        text = screen_text(app)
        assert "No model is connected" in text and "/model NAME" in text
        assert fake_llm.requests == []
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        await send(pilot, f"/model {fake_llm.model()} {fake_llm.base_url}")
        await pilot.pause()
        assert app.chat.status.model == fake_llm.model()
        fake_llm.queue(llm.text("connected now"))
        await send(pilot, "hello again")
        await turn_done(pilot)
        assert "connected now" in screen_text(app)
        await send(pilot, "/model")
        await pilot.pause()
        assert f"model: {fake_llm.model()} at {fake_llm.base_url}" in screen_text(app)
        await send(pilot, "/model openai/gpt-4.1 notaurl")  # refused, said once, kept
        await pilot.pause()
        said = " ".join(screen_text(app).split())
        assert "cannot use openai/gpt-4.1: the API base 'notaurl' is not an http(s) URL" in said
        assert ".;" not in said and f"still using {fake_llm.model()}" in said
        assert app.chat.status.model == fake_llm.model()


async def test_keys_set_uses_a_masked_input(
    open_app: AppOpener, memory_keyring: MemoryKeyring
) -> None:
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/keys set SHOP_TOKEN")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretInputScreen", "the input")
        await pilot.press(*"tok-123456")
        assert "tok-123456" not in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "stored SHOP_TOKEN" in screen_text(app), "the note")
        assert memory_keyring.store[(SERVICE, "SHOP_TOKEN")] == "tok-123456"
        await send(pilot, "/keys set bad/name")
        await wait_for(pilot, lambda: "invalid secret name" in screen_text(app), "the error")
        await send(pilot, "/keys")
        await pilot.pause()
        assert "values stay in the keyring" in screen_text(app)


async def test_help_history_and_the_palette(open_app: AppOpener) -> None:
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/help")
        await pilot.pause()
        assert "/grants [revoke ID]" in screen_text(app)
        await send(pilot, "/history")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "the history screen"
        )
        app.pop_screen()
        await pilot.pause()
        await pilot.press("f2")  # the key in the footer opens the same screen
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "history from F2"
        )
        app.pop_screen()
        await pilot.pause()
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "the palette")
        await pilot.press(*"grants")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: "no session rules" in screen_text(app), "/grants from the palette"
        )
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "the palette")
        await pilot.press(*"sh shell")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.prompt.text == "/sh ", "the prompt prefilled")


async def test_resume_continues_a_stored_session(
    fake_llm: llm.FakeLLM, open_app: AppOpener, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    fake_llm.queue(llm.text("first answer"))
    async with open_app(fake_llm) as pilot:
        first = pilot.app
        await send(pilot, "remember the word kiwi")
        await turn_done(pilot)
        old = first.session.session_id
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.session_id, "the new session")
        assert app.session.session_id != old
        assert await app.chat.resume(old)
        assert app.session.session_id == old
        await pilot.pause()
        assert "remember the word kiwi" in screen_text(app) and "first answer" in screen_text(app)
        fake_llm.queue(llm.text("kiwi"))
        await send(pilot, "what was the word?")
        await turn_done(pilot)
    contents = [m.get("content") for m in fake_llm.requests[-1]["messages"]]
    assert "remember the word kiwi" in contents and "first answer" in contents


async def test_undo_requested_by_the_replay_screen_is_previewed(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    from assistant.ui.screens.session_actions import UndoRequest

    (workspace_dir / "a.txt").write_text("old\n")
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/sh echo new > a.txt")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").read_text() == "new\n", "the write")
        app.post_message(UndoRequest(app.chat.view.cards[0].action_id))
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").read_text() == "old\n", "the undo")


async def test_an_undo_from_another_workspace_is_refused_by_the_session(
    workspace_dir: Path, tmp_path: Path, open_app: AppOpener
) -> None:
    """The session's rule, whoever asks (/undo or the replay screen): an action that ran in
    another folder is not undone here."""
    from assistant.ui.screens.session_actions import UndoRequest

    (workspace_dir / "a.txt").write_text("old\n")
    async with open_app() as pilot:
        first = pilot.app
        await send(pilot, "/sh echo new > a.txt")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").read_text() == "new\n", "the write")
        action_id = first.chat.view.cards[0].action_id
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    async with open_app(workspace=elsewhere) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        app.post_message(UndoRequest(action_id))
        await wait_for(pilot, lambda: "open the app there" in screen_text(app), "the refusal")
        await send(pilot, f"/undo {action_id}")
        await wait_for(
            pilot, lambda: screen_text(app).count("open the app there") == 2, "the same refusal"
        )
        assert not app.chat.pane.queue
    assert (workspace_dir / "a.txt").read_text() == "new\n"


async def test_several_waiting_actions_queue_in_order(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app() as pilot:
        app = pilot.app
        for name in ("one", "two", "three"):
            await send(pilot, f"/sh echo {name} > {name}.txt")
            await wait_for(
                pilot,
                lambda n=name: any(n in c.proposed.summary for c in app.chat.view.cards),
                name,
            )
        await pending(pilot, 3)
        assert "Action 1 of 3 · WRITE · shell" in screen_text(app)
        assert "echo one > one.txt" in screen_text(app).split("Action 1 of 3")[1]
        app.chat.pane.focus()
        await pilot.press("y")
        await wait_for(pilot, lambda: "Action 1 of 2" in screen_text(app), "the next action")
        assert "echo two > two.txt" in screen_text(app).split("Action 1 of 2")[1]
        await pilot.press("n", "enter")
        await wait_for(pilot, lambda: "Action 1 of 1" in screen_text(app), "the last action")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.chat.pane.current is None, "an empty queue")
        assert app.chat.prompt.has_focus
    assert (workspace_dir / "one.txt").exists() and (workspace_dir / "three.txt").exists()
    assert not (workspace_dir / "two.txt").exists()


async def test_litellm_is_preloaded_after_the_first_frame(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import starts once the chat is laid out on the screen (the first frame never waits
    for it) and the session is open (not beside it, contending for the GIL), runs in a thread
    (keys keep working meanwhile) and finishes: the first prompt finds litellm loaded."""
    from assistant.agent import model

    real = model.load_litellm
    calls: list[tuple[bool, bool, bool, object]] = []

    def watched() -> ModuleType:
        drawn = app.chat.prompt.region.area > 0 and app.chat.status.region.area > 0
        opened = app.session.runtime is not None
        in_thread = threading.current_thread() is not threading.main_thread()
        loaded = real()
        calls.append((drawn, opened, in_thread, loaded))
        return loaded

    monkeypatch.setattr(model, "load_litellm", watched)
    app = AssistantApp(Settings(), workspace=workspace_dir, setup=False)
    release = threading.Event()
    real_open = app.session.open

    def slow_open(*args: Any, **kwargs: Any) -> None:  # still opening after the first frame
        release.wait(timeout=30)
        real_open(*args, **kwargs)

    monkeypatch.setattr(app.session, "open", slow_open)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat.prompt.region.area > 0, "the first frame")
        await pilot.pause()
        release.set()
        await wait_for(pilot, lambda: calls, "the preload")
        await app.workers.wait_for_complete()
    ((drawn, opened, in_thread, loaded),) = calls
    assert drawn, "the preload started before the chat was on the screen"
    assert opened, "the preload started while the session was still opening"
    assert in_thread, "the preload ran on the event loop"
    assert loaded is sys.modules["litellm"] and callable(loaded.acompletion)


async def test_a_launch_runs_without_the_collector_until_litellm_is_in(
    workspace_dir: Path,
) -> None:
    """`assistant` imports the app with the garbage collector off (a launch makes only objects
    that live as long as the app; passes over them delay a prompt typed at once); the preload
    turns it back on, so a long session still frees its cycles."""
    import gc

    from assistant.cli import app_class

    try:
        app = app_class()(Settings(), workspace=workspace_dir, setup=False)
        assert not gc.isenabled(), "the launch collects garbage while litellm loads"
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: gc.isenabled(), "the collector back on after the preload")
            await app.workers.wait_for_complete()
        assert "litellm" in sys.modules
    finally:
        gc.enable()
