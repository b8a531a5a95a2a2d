"""First run: with no model configured the app asks for one: a provider with a key (kept in the
keyring, or for this session only where there is none), a local server found on loopback, or
skip into manual mode. The loopback probe lists only what really answers."""

from __future__ import annotations

import socket

import keyring
import keyring.backends.fail
import pytest

from assistant import config
from assistant.secrets import SERVICE
from assistant.ui.probe import Candidate, LocalServer, model_names, probe
from tests.support import fake_llm as llm
from tests.support.keyrings import MemoryKeyring
from tests.support.pilot import AppOpener, found, send, wait_for
from tests.support.textdump import screen_text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def candidates(server: llm.FakeLLM) -> tuple[Candidate, ...]:
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    return (
        Candidate("Ollama", closed_port(), "/api/tags", "ollama_chat", ""),
        Candidate("vLLM", port, "/v1/models", "hosted_vllm", "/v1"),
    )


async def test_probe_lists_only_servers_that_answer(fake_llm: llm.FakeLLM) -> None:
    found = await probe(candidates(fake_llm), timeout=2)
    assert found == [
        LocalServer("vLLM", fake_llm.base_url, "hosted_vllm", ("fake-model",)),
    ]
    assert found[0].model_string("fake-model") == "hosted_vllm/fake-model"


def test_model_names_keep_only_sane_strings() -> None:
    assert model_names(
        {"models": [{"name": "llama3.1"}, {"name": 5}, {"name": "bad\x1bname"}]}
    ) == ("llama3.1",)
    assert model_names({"data": [{"id": "a"}, "junk", {"id": "x" * 500}]}) == ("a",)
    assert model_names({"data": [{"id": str(i)} for i in range(100)]}) == tuple(
        str(i) for i in range(20)
    )
    assert model_names(["not", "a", "dict"]) == ()


async def test_a_local_server_can_be_picked(fake_llm: llm.FakeLLM, open_app: AppOpener) -> None:
    servers = await probe(candidates(fake_llm), timeout=2)
    async with open_app(setup=True, probe=found(servers)) as pilot:
        app = pilot.app
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "SetupScreen", "the setup screen"
        )
        await wait_for(pilot, lambda: "found: vLLM" in screen_text(app), "the scan")
        await pilot.click("#provider-local")
        await pilot.pause()
        options = app.screen.query_one("#servers")
        options.focus()
        await pilot.press("down", "enter")
        await pilot.click("#connect")
        await wait_for(pilot, lambda: app.screen is app.chat, "the chat")
        assert app.chat.status.model == "hosted_vllm/fake-model"
        assert f"connected: hosted_vllm/fake-model at {fake_llm.base_url}" in screen_text(app)
    saved = config.load()
    assert (saved.model, saved.api_base) == ("hosted_vllm/fake-model", fake_llm.base_url)


async def test_a_pasted_key_goes_to_the_keyring(
    open_app: AppOpener, memory_keyring: MemoryKeyring
) -> None:
    async with open_app(setup=True, probe=found()) as pilot:
        app = pilot.app
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "SetupScreen", "the setup screen"
        )
        await wait_for(
            pilot,
            lambda: (
                "Keys are stored in the keyring backend" in screen_text(app)
                and "MemoryKeyring" in screen_text(app)
            ),
            "the keyring check (naming the backend in use, which is not a system keyring)",
        )
        await pilot.click("#connect")  # no key yet: an error, not a crash
        await wait_for(
            pilot, lambda: "needs an API key (OPENAI_API_KEY)" in screen_text(app), "the error"
        )
        app.screen.query_one("#key").focus()
        await pilot.press(*"sk-pasted-1234")
        assert "sk-pasted-1234" not in screen_text(app)
        await pilot.click("#connect")
        await wait_for(pilot, lambda: app.screen is app.chat, "the chat")
        assert "OPENAI_API_KEY stored in the keyring backend" in screen_text(app)
    assert memory_keyring.store[(SERVICE, "OPENAI_API_KEY")] == "sk-pasted-1234"
    assert config.load().model == "openai/gpt-4.1-mini"


async def test_no_keyring_says_so_and_keeps_the_key_for_this_session(
    open_app: AppOpener, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with open_app(setup=True, probe=found()) as pilot:
        app = pilot.app
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "SetupScreen", "the setup screen"
        )
        await wait_for(
            pilot, lambda: "A key pasted here is used" in screen_text(app), "the keyring note"
        )
        await pilot.click("#provider-anthropic")
        app.screen.query_one("#key").focus()
        await pilot.press(*"sk-ant-9999")
        await pilot.click("#connect")
        await wait_for(pilot, lambda: app.screen is app.chat, "the chat")
        assert "no system keyring" in screen_text(app)
        import os

        assert os.environ["ANTHROPIC_API_KEY"] == "sk-ant-9999"
        monkeypatch.delenv("ANTHROPIC_API_KEY")


async def test_skip_leaves_a_working_manual_mode(open_app: AppOpener) -> None:
    async with open_app(setup=True, probe=found()) as pilot:
        app = pilot.app
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "SetupScreen", "the setup screen"
        )
        await wait_for(pilot, lambda: "no local server answered" in screen_text(app), "the scan")
        await pilot.click("#skip")
        await wait_for(pilot, lambda: app.screen is app.chat, "the chat")
        assert "Manual mode" in screen_text(app)
        await send(pilot, "hello")
        await pilot.pause()
        assert "No model is connected" in screen_text(app)
        await send(pilot, "/sh echo hi > a.txt")
        await wait_for(pilot, lambda: app.chat.pane.current is not None, "the pane")
    assert config.load().model is None
