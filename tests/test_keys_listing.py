"""Keys in the app and the CLI: /keys set NAME --host binds a secret exactly as the CLI's --host
does, and /keys and `assistant keys list` list provider keys too (found in the keyring or the
environment), with where each is kept, and never a value."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest

from assistant import config
from assistant.secrets import SERVICE
from tests.support.cli import assistant, env_fixture  # noqa: F401  (the "env" fixture)
from tests.support.keyrings import MemoryKeyring
from tests.support.pilot import MODEL_NAMED, AppOpener, send, wait_for
from tests.support.textdump import screen_text

OPENAI_VALUE = "sk-openai-canary-0123456789abcdef"
ANTHROPIC_VALUE = "sk-ant-canary-0123456789abcdef"
SHOP_VALUE = "shop-canary-0123456789abcdef"


async def test_keys_in_the_app_bind_hosts_like_the_cli_and_list_provider_keys(
    workspace_dir: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    open_app: AppOpener,
) -> None:
    memory_keyring.store[(SERVICE, "OPENAI_API_KEY")] = OPENAI_VALUE
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_VALUE)
    async with open_app(settings=MODEL_NAMED, size=(120, 40)) as pilot:
        app = pilot.app
        await send(pilot, "/keys set SHOP --host api.example.com:8443 --host http://10.0.0.5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretInputScreen", "input")
        await pilot.press(*SHOP_VALUE, "enter")
        await wait_for(pilot, lambda: "stored SHOP in" in screen_text(app), "the note")
        await send(pilot, "/keys")
        await wait_for(pilot, lambda: "OPENAI_API_KEY" in screen_text(app), "the listing")
        shown = screen_text(app)
    bound = ("http://10.0.0.5:80", "https://api.example.com:8443")
    assert config.load().secrets["SHOP"] == bound  # what `keys set --host` would store
    assert "OPENAI_API_KEY  (openai API key)  [keyring]" in shown
    assert "ANTHROPIC_API_KEY  (anthropic API key)  [environment]" in shown
    assert "SHOP  → https://api.example.com:8443, http://10.0.0.5:80  [keyring]" in shown
    assert "GROQ_API_KEY" not in shown  # a provider key that is nowhere is not listed
    for value in (OPENAI_VALUE, ANTHROPIC_VALUE, SHOP_VALUE):
        assert value not in shown


def test_keys_list_on_the_cli_names_provider_keys_and_never_values(
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    keyring.set_password(SERVICE, "OPENAI_API_KEY", OPENAI_VALUE)  # the shared keyring file
    set_shop = assistant(
        env, "keys", "set", "SHOP", "--host", "api.example.com:8443", stdin=SHOP_VALUE
    )
    assert set_shop.returncode == 0, set_shop.stderr
    listed = assistant({**env, "ANTHROPIC_API_KEY": ANTHROPIC_VALUE}, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "ANTHROPIC_API_KEY  (anthropic API key)  [environment]" in lines
    assert "OPENAI_API_KEY  (openai API key)  [keyring]" in lines
    assert "SHOP  → https://api.example.com:8443  [keyring]" in lines
    as_json = assistant(env, "keys", "list", "--json")
    rows = {r["name"]: r for r in map(json.loads, as_json.stdout.splitlines())}
    assert rows["OPENAI_API_KEY"] == {
        "name": "OPENAI_API_KEY",
        "hosts": [],
        "where": "keyring",
        "provider": "openai",
    }
    assert "ANTHROPIC_API_KEY" not in rows  # not in this run's environment, not in the keyring
    for proc in (set_shop, listed, as_json):
        for value in (OPENAI_VALUE, ANTHROPIC_VALUE, SHOP_VALUE):
            assert value not in proc.stdout + proc.stderr
