"""The model knows what happened: after Esc the next request says the turn was stopped and which
calls ran; what the person ran by hand (slash commands, undo) is in the conversation; and a
resumed session (the CLI's --resume) sends the same messages the live app did. The evidence is
the request bodies the fake OpenAI-compatible server received, through litellm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant.agent.conversation import NOT_REACHED, STOPPED_RUNNING
from assistant.ui.app import AssistantApp
from tests.support import fake_llm as llm
from tests.support.cli import assistant as cli
from tests.support.cli import env_fixture, model_args  # noqa: F401  (the "env" fixture)
from tests.support.pilot import (
    SIZE,
    AppOpener,
    pending,
    send,
    stop_mid_stream,
    turn_done,
    wait_for,
)
from tests.support.textdump import screen_text


def shell(command: str) -> tuple[str, str]:
    return ("shell", json.dumps({"command": command}))


def tool_texts(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {m["tool_call_id"]: m["content"] for m in messages if m["role"] == "tool"}


def resume_with_cli(
    run_env: dict[str, str], server: llm.FakeLLM, workspace: Path, session_id: str, prompt: str
) -> list[dict[str, Any]]:
    """`assistant run --resume`: the messages of the request it sends."""
    server.queue(llm.text("Resumed."))
    done = cli(
        run_env, "run", prompt, *model_args(server), "--workspace", str(workspace),
        "--resume", session_id,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    messages: list[dict[str, Any]] = server.requests[-1]["messages"]
    return messages


async def stop_at_the_pane_then_ask(pilot: Pilot[Any], fake_llm: llm.FakeLLM) -> str:
    """Esc while a write waits in the pane, then "what happened?" (answered "Understood."),
    then quit; returns the session's id."""
    app = pilot.app
    assert isinstance(app, AssistantApp)
    await pending(pilot)  # the write waits for the person
    await pilot.press("escape")
    await turn_done(pilot)
    fake_llm.queue(llm.text("Understood."))
    await send(pilot, "what happened?")
    await turn_done(pilot)
    session_id = app.session.session_id
    await pilot.press("ctrl+q")
    return session_id


async def test_after_esc_the_next_request_says_what_ran_and_resume_sends_the_same(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    env: dict[str, str],
    open_app: AppOpener,
) -> None:
    (workspace_dir / "in.txt").write_text("hello\n")
    three = [shell("cat in.txt"), shell("echo hi > out.txt"), shell("ls")]
    fake_llm.queue(llm.tool_calls(three))
    async with open_app(fake_llm, size=SIZE) as pilot:
        await send(pilot, "copy it")
        session_id = await stop_at_the_pane_then_ask(pilot, fake_llm)  # the read ran first
    assert len(fake_llm.requests) == 2  # nothing was asked between the Esc and the next prompt
    live = fake_llm.requests[-1]["messages"]
    texts = tool_texts(live)
    assert texts["call_0"] == "hello\n"
    assert "interrupted before a decision" in texts["call_1"]
    assert "not run" in texts["call_1"]
    assert texts["call_2"] == NOT_REACHED
    note = live[-1]["content"]
    assert live[-1]["role"] == "user" and note.endswith("what happened?")
    assert "The person stopped your last turn before it finished" in note
    lines = note.splitlines()
    assert any("call_0" in ln and "cat in.txt" in ln and "ran: done" in ln for ln in lines)
    assert any("call_1" in ln and "echo hi > out.txt" in ln and "not run" in ln for ln in lines)
    assert any(ln.startswith("- shell (call_2): not run") for ln in lines)
    assert not (workspace_dir / "out.txt").exists()

    resumed = resume_with_cli(env, fake_llm, workspace_dir, session_id, "and now?")
    assert resumed[: len(live)] == live  # the same conversation, rebuilt from the journal
    assert resumed[len(live) :] == [
        {"role": "assistant", "content": "Understood."},
        {"role": "user", "content": "and now?"},
    ]


async def test_call_ids_a_server_reuses_in_every_reply_are_told_per_reply(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    env: dict[str, str],
    open_app: AppOpener,
) -> None:
    """A server may number every reply's calls call_0, call_1... (the fake one does): the
    second batch's calls must read their own results and the stop note must list them, not
    the first batch's that had the same ids."""
    (workspace_dir / "in.txt").write_text("hello\n")
    fake_llm.queue(llm.tool_calls([shell("cat in.txt"), shell("wc -l in.txt")]), llm.text("Read."))
    async with open_app(fake_llm, size=SIZE) as pilot:
        await send(pilot, "read it")
        await turn_done(pilot)
        fake_llm.queue(llm.tool_calls([shell("ls"), shell("echo hi > out.txt")]))
        await send(pilot, "write it")
        session_id = await stop_at_the_pane_then_ask(pilot, fake_llm)  # ls ran first
    live = fake_llm.requests[-1]["messages"]
    replies = [i for i, m in enumerate(live) if m["role"] == "assistant" and m.get("tool_calls")]
    assert len(replies) == 2
    second = [m["content"] for m in live[replies[1] + 1 : replies[1] + 3]]
    assert second[0] == "in.txt\n"  # ls, not "hello" (the first reply's call_0)
    assert "interrupted before a decision" in second[1] and "not run" in second[1]
    note = live[-1]["content"].splitlines()
    assert any("call_0" in ln and "ls" in ln and "ran: done" in ln for ln in note)
    assert any("call_1" in ln and "echo hi > out.txt" in ln and "not run" in ln for ln in note)
    assert not any("cat in.txt" in ln or "wc -l" in ln for ln in note)
    resumed = resume_with_cli(env, fake_llm, workspace_dir, session_id, "and now?")
    assert resumed[: len(live)] == live


async def test_a_reply_cut_off_by_esc_is_told_with_its_text(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    full = "one two three four five six"
    fake_llm.queue(llm.text(full, chunks=6, stall_after=3))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        stopped = await stop_mid_stream(pilot, fake_llm, "count")
        fake_llm.queue(llm.text("Shorter: 1-6."))
        await send(pilot, "shorter please")
        await turn_done(pilot)
        session_id = app.session.session_id
        await pilot.press("ctrl+q")
    partial = stopped["partial"]
    assert partial and full.startswith(partial) and partial != full
    sent = fake_llm.requests[-1]["messages"]
    assert sent[-3:-1] == [
        {"role": "user", "content": "count"},
        {"role": "assistant", "content": partial},
    ]
    assert "It cut your reply off where it ends above" in sent[-1]["content"]
    assert "It had made no tool calls" in sent[-1]["content"]

    # resumed in the app (as `r` in the history does): the cut reply is drawn as it was, and
    # the model is sent the same conversation
    async with open_app(fake_llm, size=SIZE) as pilot:
        again = pilot.app
        await wait_for(pilot, lambda: again.session.runtime is not None, "the session")
        assert await again.chat.resume(session_id)
        shown = partial.strip()
        await wait_for(pilot, lambda: shown in screen_text(again), "the cut reply")
        fake_llm.queue(llm.text("Still here."))
        await send(pilot, "go on")
        await turn_done(pilot)
    resumed = fake_llm.requests[-1]["messages"]
    assert resumed[: len(sent)] == sent
    assert resumed[len(sent) :] == [
        {"role": "assistant", "content": "Shorter: 1-6."},
        {"role": "user", "content": "go on"},
    ]


async def test_actions_run_by_hand_are_in_the_next_request_and_in_a_resume(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    env: dict[str, str],
    open_app: AppOpener,
) -> None:
    fake_llm.queue(llm.text("I see."))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "/sh echo draft > notes.txt")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "notes.txt").exists(), "the write")
        (card,) = app.chat.view.cards
        await wait_for(pilot, lambda: card.status == "done", "the card to finish")
        await send(pilot, f"/undo {card.action_id}")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: not (workspace_dir / "notes.txt").exists(), "the undo")
        await wait_for(pilot, lambda: app.chat.view.cards[-1].status == "done", "the restore")
        await send(pilot, "/sh cat missing.txt")  # a read that fails: told as failed
        await wait_for(pilot, lambda: len(app.chat.view.cards) == 3, "the read")
        await wait_for(pilot, lambda: app.chat.view.cards[-1].status == "failed", "its result")
        await send(pilot, "what did I change?")
        await turn_done(pilot)
        session_id = app.session.session_id
        await pilot.press("ctrl+q")
    live = fake_llm.requests[-1]["messages"]
    note = live[-1]["content"]
    assert note.endswith("[the person's message]\nwhat did I change?")
    assert "the person ran these by hand" in note
    lines = note.splitlines()
    assert any(ln.startswith("- shell (write) echo draft > notes.txt") for ln in lines), note
    assert "changed: create notes.txt" in note
    assert any(ln.startswith("- restore (write)") and ln.endswith(": done") for ln in lines)
    assert any(ln.startswith("- shell (read) cat missing.txt: failed") for ln in lines)
    assert "cat: missing.txt: No such file" in note  # its output, told as data

    resumed = resume_with_cli(env, fake_llm, workspace_dir, session_id, "and now?")
    assert resumed[: len(live)] == live
    assert resumed[-1] == {"role": "user", "content": "and now?"}


async def test_an_action_cut_off_mid_run_reads_outcome_unknown_not_not_run() -> None:
    """The fold alone: Esc while a tool ran (approved, no result) is never told as not run."""
    from assistant.agent import events as ev
    from assistant.agent.conversation import Conversation

    conversation = Conversation()
    for event in [
        ev.UserMessage("go"),
        ev.AssistantMessage("", [{"id": "c1", "name": "note", "arguments": "{}"}]),
        ev.ActionProposed("a1", "c1", "note", {}, "write", "note it", {}, [], "f"),
        ev.ActionDecided("a1", "approve", "human"),
        ev.ActionApproved("a1", "human"),
        ev.TurnError("stopped by the user", "cancelled"),
        ev.TurnEnd("cancelled"),
        ev.UserMessage("did it?"),
    ]:
        conversation.add(event)
    messages = conversation.messages()
    assert messages[2]["content"] == STOPPED_RUNNING
    assert "- note (c1) note it: outcome unknown" in messages[3]["content"]
