"""The chat screen driven by Pilot against the fake OpenAI-compatible server through litellm:
streamed answers, the confirm pane (approve, deny with a reason, edit, allow for the session),
Esc and quit, with the journal checked after each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import fake_llm as llm
from tests.support.pilot import (
    AppOpener,
    events,
    pending,
    send,
    stop_mid_stream,
    stored_events,
    turn_done,
    wait_for,
)
from tests.support.textdump import screen_text


def shell(command: str, **kwargs: Any) -> llm.Reply:
    return llm.tool_call("shell", json.dumps({"command": command}), **kwargs)


def tool_results(server: llm.FakeLLM, request: int) -> list[str]:
    return [m["content"] for m in server.requests[request]["messages"] if m["role"] == "tool"]


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


async def test_prompt_streams_answer_then_write_is_approved(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    fake_llm.queue(
        shell("echo hi > a.txt", text="I'll write **a.txt**."),
        llm.text("Done: a.txt now says *hi*.", chunks=40),
    )
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session to open")
        await pilot.press(*"write hi")
        await pilot.press("enter")
        await pending(pilot)
        chat = app.chat
        assert chat.pane.has_focus  # the prompt was empty: the pane takes focus
        (card,) = chat.view.cards
        assert card.status == "waiting"
        shown = screen_text(app)
        assert "Action 1 of 1 · WRITE · shell" in shown
        assert "+hi" in shown and "create" in shown and "a.txt" in shown
        assert not (workspace_dir / "a.txt").exists()
        await pilot.press("y")
        await turn_done(pilot)
        assert (workspace_dir / "a.txt").read_text() == "hi\n"
        assert card.status == "done"
        assert "approved by you" in str(card.status_text())
        assert chat.prompt.has_focus
        replies = [r.reply_text for r in chat.view.query("Reply").results()]  # type: ignore[attr-defined]
        assert replies == ["I'll write **a.txt**.", "Done: a.txt now says *hi*."]
        assert "Done: a.txt now says hi." in screen_text(app)
        kinds = [k for k, _ in events(app)]
        assert kinds == [
            "user.message",
            "turn.usage",
            "assistant.message",
            "action.proposed",
            "action.decided",
            "action.approved",
            "action.result",
            "turn.usage",
            "assistant.message",
            "turn.end",
        ]
        decided = [p for k, p in events(app) if k == "action.decided"]
        assert [(d["verdict"], d["by"]) for d in decided] == [("approve", "human")]
        assert chat.status.tokens == 38


async def test_deny_sends_the_reason_to_the_model(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    fake_llm.queue(shell("echo hi > a.txt"), llm.text("Understood, I left it."))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "write hi")
        await pending(pilot)
        await pilot.press("n")
        await pilot.press(*"not that file")  # typed into the reason box, not taken as keys
        await pilot.press("enter")
        await turn_done(pilot)
        (card,) = app.chat.view.cards
        assert card.status == "denied"
        assert 'denied by you: "not that file"' in str(card.status_text())
    assert not (workspace_dir / "a.txt").exists()
    (result,) = tool_results(fake_llm, 1)
    assert result == "Denied by the user: not that file. The action was not run."


async def test_edit_replans_and_previews_again_before_it_runs(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    fake_llm.queue(shell("echo hi > a.txt"), llm.text("ok"))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "write hi")
        await pending(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "EditArgsScreen", "the editor")
        editor = app.screen.query_one("#args")
        editor.load_text("not json")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        assert "not valid JSON" in screen_text(app)  # stays in the editor
        editor.load_text(json.dumps({"command": "echo bye > b.txt"}))  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                app.chat.pane.current is not None and app.chat.pane.current.edited_from is not None
            ),
            "the re-planned action",
        )
        await pilot.pause()
        shown = screen_text(app)
        assert "Your edit, re-planned" in shown and "b.txt" in shown
        app.chat.pane.focus()
        await pilot.press("end")  # the new diff's last line is below the fold
        await pilot.pause()
        assert "+bye" in screen_text(app)
        assert not (workspace_dir / "b.txt").exists()  # nothing ran yet
        first, second = app.chat.view.cards
        assert first.status == "edited" and second.status == "waiting"
        await pilot.press("y")
        await turn_done(pilot)
        assert second.status == "done"
        decided = [p for k, p in events(app) if k == "action.decided"]
        assert [(d["verdict"], d["edited_args"]) for d in decided] == [
            ("edit", {"command": "echo bye > b.txt"}),
            ("approve", None),
        ]
        (output,) = [p["output"] for k, p in events(app) if k == "action.result"]
    assert (workspace_dir / "b.txt").read_text() == "bye\n"
    assert not (workspace_dir / "a.txt").exists()
    assert tool_results(fake_llm, 1) == [output]  # the model read the edited action's result


async def test_allow_for_session_then_the_same_write_runs_by_rule(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    (workspace_dir / "a.txt").write_text("")  # both calls append: the grant covers appends
    fake_llm.queue(
        shell("echo hi >> a.txt"),
        shell("echo hi >> a.txt", call_id="call_2"),
        llm.text("both done"),
    )
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "write twice")
        await pending(pilot)
        assert "[a] allow for this session: shell" in screen_text(app)
        await pilot.press("a")
        await turn_done(pilot)
        first, second = app.chat.view.cards
        assert first.status == second.status == "done"
        assert "approved by you" in str(first.status_text())
        assert 'approved by rule "shell' in str(second.status_text())
        decided = [p for k, p in events(app) if k == "action.decided"]
        assert [d["by"] for d in decided] == ["human", "rule:g1"]
        assert "allowed for this session" in screen_text(app)


async def test_escape_mid_stream_cancels_and_journals_it(
    fake_llm: llm.FakeLLM, open_app: AppOpener
) -> None:
    fake_llm.queue(llm.text("one two three four five six", chunks=6, stall_after=3))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await stop_mid_stream(pilot, fake_llm, "count")
        assert "stopped by the user" in screen_text(app)
        kinds = [(k, p.get("error") or p.get("reason")) for k, p in events(app)]
        assert kinds[-2:] == [("turn.error", "cancelled"), ("turn.end", "cancelled")]
        assert ("assistant.message", None) not in kinds
        # the app is still usable: the next prompt runs
        fake_llm.queue(llm.text("still here"))
        await send(pilot, "again")
        await turn_done(pilot)
        assert "still here" in screen_text(app)


async def test_escape_with_a_waiting_action_denies_it_first(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    fake_llm.queue(shell("echo hi > a.txt"), llm.text("never sent", stall_after=0))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "write")
        await pending(pilot)
        await pilot.press("escape")
        await turn_done(pilot)
        assert app.chat.pane.current is None
        (card,) = app.chat.view.cards
        assert card.status == "denied"
        seq = [(k, p) for k, p in events(app) if k in ("action.decided", "turn.error", "turn.end")]
        assert seq[0][0] == "action.decided"
        # the turn is cancelled first: the gate records the action as interrupted, and
        # nothing after it starts (before, the denial let the turn ask the model once more)
        verdict = (seq[0][1]["verdict"], seq[0][1]["reason"])
        assert verdict == ("deny", "interrupted before a decision; not run")
        assert [k for k, _ in seq[1:]] == ["turn.error", "turn.end"]
        assert seq[-1][1]["reason"] == "cancelled"
        assert len(fake_llm.requests) == 1
        fake_llm.release()
    assert not (workspace_dir / "a.txt").exists()


async def test_keys_typed_for_the_prompt_never_decide(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    fake_llm.queue(shell("echo hi > a.txt", stall_after=1), llm.text("ok"))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "write")
        await wait_for(pilot, fake_llm.stalled.is_set, "the reply to stall")
        await pilot.press(*"draft")  # the person starts typing the next prompt
        fake_llm.release()
        await pending(pilot)
        chat = app.chat
        assert chat.prompt.has_focus and not chat.pane.has_focus
        assert "Tab to review" in screen_text(app)
        await pilot.press("enter", "y", "enter")  # a stray Enter, a y, another Enter
        request = chat.pane.current
        assert request is not None and not request.done
        assert chat.prompt.text == "drafty"
        await pilot.press("tab")
        assert chat.pane.has_focus
        await pilot.press("enter")  # Enter never approves
        assert not request.done
        await pilot.press("y")
        await turn_done(pilot)
    assert (workspace_dir / "a.txt").read_text() == "hi\n"


async def test_quit_leaves_nothing_undecided(
    fake_llm: llm.FakeLLM, workspace_dir: Path, assistant_home: Path, open_app: AppOpener
) -> None:
    fake_llm.queue(shell("echo hi > a.txt"), llm.text("never sent", stall_after=0))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "write")
        await pending(pilot)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.exit_note, "the app to quit")
        fake_llm.release()
    assert app.exit_note.startswith("session ")
    stored = stored_events(assistant_home)
    proposed = {p["action_id"] for k, p in stored if k == "action.proposed"}
    decided = {p["action_id"] for k, p in stored if k == "action.decided"}
    assert proposed and proposed == decided
    assert stored[-1] == ("turn.end", {"reason": "cancelled"})
    assert not (workspace_dir / "a.txt").exists()


async def test_ctrl_c_stops_a_turn_and_then_quits(
    fake_llm: llm.FakeLLM, open_app: AppOpener, assistant_home: Path
) -> None:
    fake_llm.queue(llm.text("slow answer", chunks=4, stall_after=2))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "go")
        await wait_for(pilot, fake_llm.stalled.is_set, "the stream to stall")
        await pilot.press("ctrl+c")
        await turn_done(pilot)
        assert app.is_running
        fake_llm.release()
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.exit_note, "the app to quit")
    assert app.exit_note  # the session id is printed on exit
    assert stored_events(assistant_home)[-1] == ("turn.end", {"reason": "cancelled"})


async def test_keys_typed_at_launch_reach_the_prompt_and_enter_sends(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    """At launch Textual hands keys to the screen itself while nothing has focus yet; they are
    handled once the prompt has focus. They are the prompt's (typed, then sent), and an Enter
    typed before the app had the terminal, which arrives as ctrl+j, sends."""
    from textual import events as tx

    fake_llm.queue(llm.text("Hello."))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        chat = app.chat
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await pilot.press("x", "ctrl+j")  # pressed in the focused prompt: a new line, not sent
        assert chat.prompt.text == "x\n" and not fake_llm.requests
        chat.prompt.load_text("")
        for key in ("h", "i"):  # as Textual forwards a key typed before anything had focus
            chat.post_message(tx.Key(key, key))
        await wait_for(pilot, lambda: chat.prompt.text == "hi", "the keys in the prompt")
        late = tx.Key("ctrl+j", "\n")  # made with the prompt on screen: meant as a new line
        chat.post_message(late)
        await wait_for(pilot, lambda: chat.prompt.text == "hi\n", "the new line")
        chat.prompt.load_text("hi")
        early = tx.Key("ctrl+j", "\n")
        early.time = 0.0  # made by the driver before the first frame: an Enter
        chat.post_message(early)
        await wait_for(pilot, lambda: "Hello." in screen_text(app), "the answer")
        await turn_done(pilot)
        assert "you  hi" in screen_text(app)
        assert fake_llm.requests[0]["messages"][-1] == {"role": "user", "content": "hi"}


async def test_an_enter_typed_at_launch_sends_even_when_the_prompt_already_has_focus(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    """Keys typed before the app had the terminal may be handled after the prompt took focus
    (a loaded machine): the Enter among them arrived as ctrl+j, made before the prompt was on
    screen, and still sends; a ctrl+j made once the prompt is shown is a new line."""
    from textual import events as tx

    fake_llm.queue(llm.text("Hello."))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        prompt = app.chat.prompt
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        assert app.focused is prompt
        typed_early = [tx.Key(key, char) for key, char in (("h", "h"), ("i", "i"))]
        typed_early.append(tx.Key("ctrl+j", "\n"))
        for key in typed_early:
            key.time = 0.0  # made by the driver before the first frame
            prompt.post_message(key)
        await wait_for(pilot, lambda: "Hello." in screen_text(app), "the answer")
        await turn_done(pilot)
        assert fake_llm.requests[0]["messages"][-1] == {"role": "user", "content": "hi"}
        await pilot.press("x", "ctrl+j")
        assert prompt.text == "x\n" and len(fake_llm.requests) == 1


async def test_letters_meant_for_a_focused_card_never_land_in_the_prompt(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    """Only keys that reached the screen with the prompt focused or nothing focused are the
    prompt's: an unbound letter pressed on a focused card is not typed into the prompt."""
    fake_llm.queue(shell("cat nothing.txt"), llm.text("done"))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "look")
        await turn_done(pilot)
        card = app.chat.view.query("ActionCard").first()
        card.focus()
        await pilot.press("z", "q")
        await pilot.pause()
        assert app.chat.prompt.text == ""


async def test_a_slash_command_typed_while_the_session_opens_runs_once_it_is(
    workspace_dir: Path, open_app: AppOpener, fake_llm: llm.FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At launch the session may still be opening: a tool command typed then is held (and said
    so) and runs through the gate the moment the session is open, instead of being dropped."""
    import threading

    from assistant.session import Session

    release = threading.Event()
    real_open = Session.open

    def slow_open(self: Session, *args: Any, **kwargs: Any) -> None:
        release.wait(timeout=30)
        real_open(self, *args, **kwargs)

    monkeypatch.setattr(Session, "open", slow_open)
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        app.chat.prompt.load_text("/sh echo early > e.txt")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "runs the moment it is open" in screen_text(app), "held")
        assert app.session.runtime is None
        release.set()
        await pending(pilot)
        assert "Action 1 of 1 · WRITE · shell" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "e.txt").exists(), "the approved write")
    assert (workspace_dir / "e.txt").read_text() == "early\n"
