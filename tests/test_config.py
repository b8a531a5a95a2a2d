"""Settings: file, ASSISTANT_* overrides, clear errors, and the `config` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import config, paths
from assistant.cli import main
from tools.http_request import HttpSettings


def test_assistant_home_moves_everything(assistant_home: Path) -> None:
    assert paths.config_file() == assistant_home / "config" / "config.toml"
    assert paths.journal_file().is_relative_to(assistant_home / "data")
    assert set(paths.protected_dirs()) == {assistant_home / "config", assistant_home / "data"}


def test_defaults_file_and_environment_in_that_order(assistant_home: Path) -> None:
    assert config.load().max_tool_calls == 25 and config.load().model is None
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        'model = "openai/gpt-4.1-mini"\nmax_tool_calls = 7\nallow_hosts = ["localhost:8000"]\n'
        '[[deny]]\ntool = "http_request"\ntarget = "host:*.prod.example.com:*"\n'
        '[secrets.SHOP]\nhosts = ["Shop.Example.com"]\n[http]\ntimeout = 5\n'
    )
    s = config.load(env={})
    assert (s.model, s.max_tool_calls, s.allow_hosts) == (
        "openai/gpt-4.1-mini",
        7,
        ("localhost:8000",),
    )
    assert s.deny[0].tool == "http_request" and s.secrets == {"SHOP": ("shop.example.com",)}
    assert s.for_tool(HttpSettings).timeout == 5.0
    s = config.load(
        env={"ASSISTANT_MODEL": "ollama_chat/llama3.1", "ASSISTANT_MAX_TOOL_CALLS": "3"}
    )
    assert (s.model, s.max_tool_calls) == ("ollama_chat/llama3.1", 3)


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("model = ", {}, "not valid TOML"),
        ("colour = 'red'", {}, "unknown setting colour"),
        ("colour = 'red'\nsize = 2", {}, "unknown settings colour, size"),
        (
            "",
            {"ASSISTANT_MAX_TOOL_CALLS": "many"},
            "ASSISTANT_MAX_TOOL_CALLS: max_tool_calls must be a whole number, 1 or more",
        ),
        ("approve = 'sometimes'", {}, "approve must be ask, never or all"),
        ("[http]\nspeed = 1", {}, "unknown [http] setting speed"),
        ("[secrets.SHOP]\nhost = ['shop.example.com']", {}, "unknown [secrets.SHOP] setting host"),
    ],
)
def test_bad_settings_name_the_problem(text: str, env: dict[str, str], message: str) -> None:
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text(text)
    with pytest.raises(
        config.ConfigError,
        match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)"),
    ):
        config.load(env=env)


def test_config_commands(assistant_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "path"]) == 0
    assert str(assistant_home / "config" / "config.toml") in capsys.readouterr().out
    config.set_secret_hosts("SHOP", ["shop.example.com"])
    assert main(["config", "show"]) == 0
    shown = capsys.readouterr().out
    assert "max_tool_calls = 25" in shown and "shop.example.com" in shown


def test_a_broken_config_is_one_clear_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text("max_tool_calls = -1")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert "config error" in err and "max_tool_calls" in err and "Traceback" not in err
