"""A model reply with several tool calls is shown as a batch: the pane says which call waits
("Action 1 of 3"), ←/→ show the others (earlier ones as they went, later ones planned ahead as
things stand, with the arguments the model wrote), and only the waiting action is ever decided.
Through the fake model server and litellm, the real gate and the journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from assistant.ui.app import AssistantApp
from tests.support import fake_llm as llm
from tests.support.pilot import (
    AppOpener,
    events,
    pending,
    send,
    stored_events,
    turn_done,
    wait_for,
)
from tests.support.textdump import screen_text, toasts

SMALL = (80, 24)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def three_writes(third: str | None = None) -> llm.Reply:
    csv_args = {"path": "c.csv", "mode": "create", "rows": [["a"], ["1"]]}
    return llm.tool_calls(
        [
            ("shell", json.dumps({"command": "echo one > a.txt"})),
            ("shell", json.dumps({"command": "echo two > b.txt"})),
            ("csv_write", third if third is not None else json.dumps(csv_args)),
        ],
        text="Three writes.",
    )


def pane_lines(app: AssistantApp) -> str:
    """Every line of what the pane shows (the preview scrolls at 80x24)."""
    view = app.chat.pane.preview_view
    return "\n".join(view.row_text(i) for i in range(view.line_count))


def pane_title(app: AssistantApp) -> str:
    return str(app.chat.pane.border_title)


async def start(pilot: Pilot[Any], app: AssistantApp) -> None:
    await wait_for(pilot, lambda: app.session.runtime is not None, "the session to open")
    await pilot.press(*"do three things")
    await pilot.press("enter")
    await pending(pilot)


async def test_the_pane_counts_the_calls_of_the_reply_and_shows_the_others(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    assistant_home: Path,
    open_app: AppOpener,
) -> None:
    fake_llm.queue(three_writes(), llm.text("Done."))
    async with open_app(fake_llm, size=SMALL, notifications=True) as pilot:
        app = pilot.app
        await start(pilot, app)
        pane = app.chat.pane
        assert pane.has_focus
        assert pane_title(app).startswith("Action 1 of 3 · WRITE · shell")
        assert "echo one > a.txt" in screen_text(app)

        # the next call, planned ahead (nothing proposed, decided or run for it)
        await pilot.press("right")
        await wait_for(pilot, lambda: "create b.txt" in pane_lines(app), "the planned-ahead call")
        shown = screen_text(app)
        assert pane_title(app) == "Call 2 of 3 · shell · looking only"
        assert "Not planned yet" in shown and "action 1 waits for you" in shown
        assert "+two" in pane_lines(app) and '"command": "echo two > b.txt"' in pane_lines(app)
        # no key decides the call looked at, nor the waiting one while another is shown
        await pilot.press("y", "a", "n", "e")
        await pilot.pause()
        assert pane.current is not None and not (workspace_dir / "a.txt").exists()
        assert [k for k, _ in events(app)].count("action.decided") == 0
        assert [k for k, _ in events(app)].count("action.proposed") == 1
        messages = [t.text for t in toasts(app)]
        assert "You are looking at another call; ← → back to action 1 to decide it." in messages
        app.clear_notifications()  # read: off the screen, which the steps below read
        await pilot.pause()

        await pilot.press("right")  # the third: a csv_write
        await wait_for(pilot, lambda: "create c.csv" in pane_lines(app), "the third call")
        assert pane_title(app) == "Call 3 of 3 · csv_write · looking only"
        await pilot.press("right")  # the last: it stays there
        await pilot.pause()
        assert pane_title(app) == "Call 3 of 3 · csv_write · looking only"

        await pilot.press("left", "left")  # back to the waiting action
        await pilot.pause()
        assert pane_title(app).startswith("Action 1 of 3 · WRITE · shell")
        await pilot.press("y")
        await wait_for(pilot, lambda: pane_title(app).startswith("Action 2 of 3"), "action 2")
        assert (workspace_dir / "a.txt").read_text() == "one\n"

        # the earlier call, as it went
        await pilot.press("left")
        await pilot.pause()
        first = app.chat.view.cards[0]
        assert pane_title(app) == "Call 1 of 3 · shell · looking only"
        story = f"approved by you · done: exit 0 · 0 B · 1 path · id {first.action_id}"
        assert story in " ".join(screen_text(app).replace("│", " ").split())
        assert "+one" in pane_lines(app)
        await pilot.press("right")
        await pilot.pause()
        await pilot.press("n")
        await pilot.press(*"not b", "enter")
        await wait_for(pilot, lambda: pane_title(app).startswith("Action 3 of 3"), "action 3")
        await pilot.press("y")
        await turn_done(pilot)

    assert not (workspace_dir / "b.txt").exists()
    assert (workspace_dir / "c.csv").read_text() == "a\n1\n"
    stored = stored_events(assistant_home)
    decided = [p for k, p in stored if k == "action.decided"]
    assert [(d["verdict"], d.get("reason", "")) for d in decided] == [
        ("approve", ""),
        ("deny", "not b"),
        ("approve", ""),
    ]
    assert [k for k, _ in stored].count("action.proposed") == 3  # looking proposed nothing


async def test_a_later_call_that_cannot_be_planned_says_why(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    fake_llm.queue(three_writes(third='{"path": "../outside.csv", "mode": "create"}'))
    fake_llm.queue(llm.text("ok"))
    async with open_app(fake_llm, size=(120, 40)) as pilot:
        app = pilot.app
        await start(pilot, app)
        await pilot.press("right", "right")
        await wait_for(pilot, lambda: "Cannot be planned now" in pane_lines(app), "the refusal")
        shown = pane_lines(app)
        assert "As the model wrote it:" in shown and '"path": "../outside.csv"' in shown
        await pilot.press("escape")  # Esc from the pane stops the turn: everything denied
        await turn_done(pilot)
    assert not list(workspace_dir.iterdir())


async def test_a_single_call_and_slash_commands_say_1_of_1(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app(size=SMALL) as pilot:
        app = pilot.app
        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        assert pane_title(app).startswith("Action 1 of 1 · WRITE · shell")
        await pilot.press("right")  # nothing else to look at
        await pilot.pause()
        assert pane_title(app).startswith("Action 1 of 1")
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").exists(), "the write")


async def test_at_80x24_the_state_and_quit_stay_on_screen(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    fake_llm.queue(llm.text("Thinking about it, slowly.", chunks=4, stall_after=1))
    fake_llm.queue(three_writes())
    async with open_app(fake_llm, size=SMALL) as pilot:
        app = pilot.app
        await send(pilot, "take your time")
        await wait_for(pilot, fake_llm.stalled.is_set, "the model to stall mid-answer")
        await pilot.pause()
        rows = screen_text(app).splitlines()
        assert "working…" in rows[0] and "s:" in rows[0]
        assert "^q quit" in rows[-1] and "esc stop" in rows[-1]
        fake_llm.release()
        await turn_done(pilot)
        await send(pilot, "now the files")
        await pending(pilot)
        rows = screen_text(app).splitlines()
        assert "waiting for you" in rows[0]
        assert "^q quit" in rows[-1]  # the pane's keys are in the pane, not pushing quit out
        await pilot.press("escape")
        await turn_done(pilot)
