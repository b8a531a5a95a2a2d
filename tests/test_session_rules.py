"""The session's rules, asked the same way by the app and the CLI: switching the model changes
nothing when the new one cannot be used; identical actions are decided and shown apart (the
approver gets the action id); a key stored in the app is bound to its hosts at once; the
person's own system prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import paths
from assistant.cli import main
from assistant.prompt import BUILTIN
from assistant.secrets import SERVICE
from tests.support import fake_llm as llm
from tests.support import http_servers
from tests.support.http_servers import LoopbackServer
from tests.support.keyrings import MemoryKeyring
from tests.support.pilot import (
    AppOpener,
    events,
    pending,
    send,
    turn_done,
    wait_for,
)
from tests.support.textdump import screen_text

net_guard = http_servers.net_guard
http_server = http_servers.http_server


async def test_a_failed_model_switch_leaves_the_model_and_settings_as_they_were(
    fake_llm: llm.FakeLLM, open_app: AppOpener
) -> None:
    fake_llm.queue(llm.text("first answer"), llm.text("second answer"))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "hello")
        await turn_done(pilot)
        before = (app.session.settings.model, app.session.settings.api_base)
        await send(pilot, "/model openai/gpt-4.1-mini not-a-url")  # a base that is no URL
        await wait_for(pilot, lambda: "cannot use openai/gpt-4.1-mini" in screen_text(app), "")
        assert f"still using {fake_llm.model()}" in screen_text(app)
        assert "model for the next turn" not in screen_text(app)
        assert (app.session.settings.model, app.session.settings.api_base) == before
        assert app.chat.status.model == fake_llm.model()
        await send(pilot, "/model")
        await wait_for(pilot, lambda: f"at {fake_llm.base_url}" in screen_text(app), "/model")
        await send(pilot, "and again")  # the next turn still goes to the model that works
        await turn_done(pilot)
        assert "second answer" in screen_text(app)
    assert len(fake_llm.requests) == 2


async def test_a_model_without_its_key_is_not_switched_to(
    open_app: AppOpener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/model openai/gpt-4.1-mini")
        await wait_for(pilot, lambda: "no API key for openai/gpt-4.1-mini" in screen_text(app), "")
        assert "model for the next turn" not in screen_text(app)
        assert app.session.model_name is None
        assert app.chat.status.model == "no model (manual mode)"
        await send(pilot, "hello")
        await wait_for(pilot, lambda: "No model is connected" in screen_text(app), "manual mode")


async def test_two_identical_actions_in_one_reply_are_answered_and_shown_apart(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    call = json.dumps({"command": "echo hi >> a.txt"})
    fake_llm.queue(llm.tool_calls([("shell", call), ("shell", call)]), llm.text("done"))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await send(pilot, "append hi twice")
        await pending(pilot)
        view = app.chat.view
        assert [c.status for c in view.cards] == ["waiting"]
        assert app.chat.pane.current is not None
        assert app.chat.pane.current.action_id == view.cards[0].action_id
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: len(view.cards) == 2 and view.cards[1].status == "waiting",
            "the second, identical action",
        )
        assert app.chat.pane.current is not None
        assert app.chat.pane.current.action_id == view.cards[1].action_id
        await pilot.press("n")
        await pilot.press(*"once is enough", "enter")
        await turn_done(pilot)
        first, second = view.cards
        assert first.action_id != second.action_id
        assert (first.status, second.status) == ("done", "denied")
        assert 'denied by you: "once is enough"' in str(second.status_text())
        decided = {p["action_id"]: p["verdict"] for k, p in events(app) if k == "action.decided"}
        assert decided == {first.action_id: "approve", second.action_id: "deny"}
    assert (workspace_dir / "a.txt").read_text() == "hi\n"


async def test_a_key_stored_in_the_app_is_bound_to_its_host_at_once(
    http_server: LoopbackServer, open_app: AppOpener, memory_keyring: MemoryKeyring
) -> None:
    origin = f"http://{http_server.key}"
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, "/keys set SHOP --host ftp://shop")
        await wait_for(pilot, lambda: "only http:// and https://" in screen_text(app), "refusal")
        assert type(app.screen).__name__ != "SecretInputScreen"  # said before the value
        await send(pilot, f"/keys set SHOP --host {origin}")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretInputScreen", "input")
        await pilot.press(*"shop-token-123456", "enter")
        await wait_for(pilot, lambda: "stored SHOP in" in screen_text(app), "the note")
        assert origin in screen_text(app)
        assert memory_keyring.store[(SERVICE, "SHOP")] == "shop-token-123456"
        args = {"url": http_server.url("/orders"), "headers": {"X-Key": "{{secret:SHOP}}"}}
        await send(pilot, f"/tool http_request {json.dumps(args)}")
        await pending(pilot)  # a loopback address: a person approves it by name
        await pilot.press("y")
        await wait_for(pilot, lambda: http_server.seen, "the request")
        assert "shop-token-123456" not in screen_text(app)
    assert http_server.seen[0].headers["x-key"] == "shop-token-123456"
    from assistant import config

    assert config.load().secrets["SHOP"] == (origin,)


def test_the_persons_system_prompt_replaces_the_builtin_one(
    fake_llm: llm.FakeLLM, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = ["run", "hi", "--model", fake_llm.model(), "--api-base", fake_llm.base_url]
    run += ["--workspace", str(workspace_dir)]
    fake_llm.queue(llm.text("plain"), llm.text("mine"))
    assert main(run) == 0
    assert fake_llm.requests[0]["messages"][0]["content"] == BUILTIN.replace(
        "{workspace}", str(workspace_dir.resolve())
    )
    assert main(["config", "path"]) == 0
    prompt_file = paths.system_prompt_file()
    assert f"system prompt: {prompt_file} (absent: built-in)" in capsys.readouterr().out
    prompt_file.parent.mkdir(parents=True, exist_ok=True)
    prompt_file.write_text("Answer in French. You work in {workspace}; {keep} these braces.\n")
    assert main(run) == 0
    system = fake_llm.requests[1]["messages"][0]["content"]
    assert (
        system
        == f"Answer in French. You work in {workspace_dir.resolve()}; {{keep}} these braces.\n"
    )
    assert main(["config", "path"]) == 0
    out = capsys.readouterr().out
    assert f"system prompt: {prompt_file}\n" in out
