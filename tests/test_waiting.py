"""Waiting is visible: a spinner while the model thinks, "retrying in N s (why)" during a
back-off (the app's activity line; the CLI's stderr), and a prompt typed while the session opens
or the model library loads is said to wait and is sent the moment it can be. Against the fake
OpenAI-compatible server through litellm; snapshots at 120x40 and 80x24."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.pilot import Pilot

from assistant import present
from assistant.agent import model as model_module
from assistant.config import Settings
from assistant.session import Session
from assistant.ui.app import AssistantApp
from assistant.ui.widgets.activity import LOADING, OPENING, THINKING
from tests.support import fake_llm as llm
from tests.support.cli import assistant as cli
from tests.support.cli import env_fixture, model_args  # noqa: F401  (the "env" fixture)
from tests.support.mcp_world import CANARY, hostile, write_config
from tests.support.pilot import SIZE, AppOpener, send, stored_events, turn_done, wait_for
from tests.support.textdump import screen_text


async def test_a_spinner_shows_while_the_model_thinks_and_goes_with_the_first_text(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    fake_llm.queue(llm.text("Hello there.", chunks=2, stall_after=0))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "hi")
        await wait_for(pilot, fake_llm.stalled.is_set, "the request to reach the server")
        activity = app.chat.activity
        await wait_for(pilot, lambda: activity.state == "thinking", "the thinking line")
        assert activity.words == THINKING and THINKING in screen_text(app)
        shown = str(activity.render())
        await wait_for(pilot, lambda: str(activity.render()) != shown, "the spinner to turn")
        fake_llm.release()
        await turn_done(pilot)
        assert activity.state == "" and not activity.display
        assert "Hello there." in screen_text(app) and THINKING not in screen_text(app)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (llm.error(429, headers={"retry-after": "1"}), "retrying in 1 s (rate limited)"),
        (llm.error(500), "(server error 500)"),
    ],
)
async def test_a_back_off_says_retrying_in_n_seconds_and_why(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    failure: llm.Reply,
    reason: str,
    open_app: AppOpener,
) -> None:
    fake_llm.queue(failure, llm.text("Made it."))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "hi")
        activity = app.chat.activity
        await wait_for(pilot, lambda: activity.state == "retrying", "the retry notice")
        assert activity.words.startswith("retrying in ") and reason in activity.words
        assert reason in screen_text(app)
        await turn_done(pilot)
        assert "Made it." in screen_text(app) and activity.state == ""
    assert len(fake_llm.requests) == 2


def test_the_cli_says_retrying_on_stderr(
    fake_llm: llm.FakeLLM,
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    fake_llm.queue(llm.error(500), llm.text("Made it."))
    done = cli(env, "run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir))
    assert done.returncode == 0, done.stderr
    assert "assistant: retrying in 1 s (server error 500), attempt 2" in done.stderr
    assert "Made it." in done.stdout and "retrying" not in done.stdout


async def test_a_prompt_typed_before_the_session_is_open_is_sent_once_it_is(
    fake_llm: llm.FakeLLM, open_app: AppOpener, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_llm.queue(llm.text("Here."))
    opened = threading.Event()
    real_open = Session.open

    def slow_open(self: Session, *args: Any, **kwargs: Any) -> Any:
        opened.wait(30)  # the journal and the tools take their time
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Session, "open", slow_open)
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await pilot.pause()
        app.chat.prompt.load_text("first thing")
        await pilot.press("enter")
        activity = app.chat.activity
        assert activity.state == "opening" and activity.words == OPENING
        assert "your message is sent the moment it is open" in screen_text(app)
        assert fake_llm.requests == []
        opened.set()
        await wait_for(pilot, lambda: len(fake_llm.requests) == 1, "the prompt to be sent")
        await turn_done(pilot)
        assert fake_llm.requests[0]["messages"][-1]["content"] == "first thing"
        assert "Here." in screen_text(app)


async def test_a_prompt_sent_while_litellm_loads_says_so_and_goes_when_it_is_ready(
    fake_llm: llm.FakeLLM,
    workspace_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    open_app: AppOpener,
) -> None:
    loaded = threading.Event()
    real_load = model_module.load_litellm

    def slow_load() -> Any:
        loaded.wait(30)  # the import takes seconds
        return real_load()

    monkeypatch.setattr(model_module, "_litellm", None)
    monkeypatch.setattr(model_module, "load_litellm", slow_load)
    fake_llm.queue(llm.text("Ready now."))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "quick question")
        activity = app.chat.activity
        await wait_for(pilot, lambda: activity.state == "loading", "the loading line")
        assert activity.words == LOADING and "model library loading" in screen_text(app)
        assert "quick question" in screen_text(app) and fake_llm.requests == []
        loaded.set()
        await turn_done(pilot)
        assert len(fake_llm.requests) == 1 and "Ready now." in screen_text(app)


async def test_a_turn_waiting_for_mcp_servers_says_which(
    fake_llm: llm.FakeLLM, workspace_dir: Path, assistant_home: Path, open_app: AppOpener
) -> None:
    """A prompt sent while an MCP server is still starting is shown, waits for the server (the
    model is offered its tools) and says so, by name, not "thinking…"; the request goes once
    the server is up or has failed."""
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)  # its config names it
    # long enough that a loaded machine still sends the prompt while the server is starting
    write_config(assistant_home, {"slow": hostile("hang-start", start_timeout=6)})
    fake_llm.queue(llm.text("Answered."))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await send(pilot, "hi")
        activity = app.chat.activity
        await wait_for(pilot, lambda: activity.state == "starting", "the starting line")
        assert activity.words == "starting MCP server slow…" == present.starting(["slow"])
        assert "starting MCP server slow…" in screen_text(app) and fake_llm.requests == []
        assert "you  hi" in screen_text(app)  # the prompt is shown while they start
        await turn_done(pilot)
        assert len(fake_llm.requests) == 1 and "Answered." in screen_text(app)
        assert activity.state == ""


async def test_esc_while_mcp_servers_start_stops_the_turn_and_keeps_the_prompt(
    fake_llm: llm.FakeLLM, workspace_dir: Path, assistant_home: Path, open_app: AppOpener
) -> None:
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)
    write_config(assistant_home, {"slow": hostile("hang-start", start_timeout=30)})
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "hi")
        activity = app.chat.activity
        await wait_for(pilot, lambda: activity.state == "starting", "the starting line")
        await pilot.press("escape")
        await turn_done(pilot)
        assert "stopped by the user" in screen_text(app) and activity.state == ""
        await pilot.press("ctrl+q")
    assert fake_llm.requests == []
    assert [kind for kind, _ in stored_events(assistant_home)] == [
        "user.message",
        "turn.error",
        "turn.end",
    ]


# -- snapshots --------------------------------------------------------------------------------


@pytest.fixture
def snap_app(
    tmp_path: Path, workspace_dir: Path, monkeypatch: pytest.MonkeyPatch, fake_llm: llm.FakeLLM
) -> AssistantApp:
    """The app at a fixed time and session id; the model first answers 429 (retry after 20 s),
    or, for a test that queued its own replies first, those."""
    monkeypatch.setenv("HOME", str(tmp_path))  # the status line shows the workspace as ~/ws
    fake_llm.queue(llm.error(429, headers={"retry-after": "20"}), llm.text("never shown"))
    return AssistantApp(
        Settings(),
        model=fake_llm.model(),
        api_base=fake_llm.base_url,
        workspace=workspace_dir,
        preload=False,
        clock=lambda: datetime(2026, 11, 25, 14, 2, 11),
        new_id=lambda: "7f3a9c2e" + "0" * 24,
    )


async def retry_waiting(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, AssistantApp)
    activity = app.chat.activity
    activity.spin, activity.clock = False, lambda: 0.0  # a still picture: frame 0, 20 s left
    await send(pilot, "pull the orders")
    await wait_for(pilot, lambda: activity.state == "retrying", "the retry notice")
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_retry_notice_snapshot(
    snap_compare: Any, snap_app: AssistantApp, size: tuple[int, int]
) -> None:
    assert snap_compare(snap_app, terminal_size=size, run_before=retry_waiting)


@pytest.fixture
def thinking_app(fake_llm: llm.FakeLLM) -> llm.FakeLLM:
    """The model holds its answer back (released when the server stops, after the shot)."""
    fake_llm.queue(llm.text("never shown", stall_after=0))
    return fake_llm


async def model_thinking(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, AssistantApp)
    activity = app.chat.activity
    activity.spin = False  # a still picture: the spinner's first frame
    await send(pilot, "pull the orders")
    await wait_for(pilot, lambda: activity.state == "thinking", "the thinking line")
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_thinking_spinner_snapshot(
    snap_compare: Any, thinking_app: llm.FakeLLM, snap_app: AssistantApp, size: tuple[int, int]
) -> None:
    assert snap_compare(snap_app, terminal_size=size, run_before=model_thinking)
