"""Config values are type-checked, and a config that is not TOML text is one clear line with
exit 2 (through the real CLI); `assistant tool` shows file contents escaped, as `run` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import config, paths
from tools.http_request import HttpSettings

ROOT = Path(__file__).resolve().parent.parent


def write_config(data: str | bytes) -> Path:
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        cfg.write_bytes(data)
    else:
        cfg.write_text(data)
    return cfg


def assistant(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={
            **base,
            "ASSISTANT_HOME": str(home),
            "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            **env,
        },
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[http]\nuse_proxy_env = "false"', "use_proxy_env must be true or false"),
        ("[http]\nuse_proxy_env = 1", "use_proxy_env must be true or false"),
        ("allow_plaintext_keyring = 'yes'", "allow_plaintext_keyring must be true or false"),
        ("budget_usd = nan", "budget_usd must be a number 0 or more"),
        ("budget_usd = inf", "budget_usd must be a number 0 or more"),
        ("budget_usd = -1.5", "budget_usd must be a number 0 or more"),
        ("budget_usd = '2'", "budget_usd must be a number"),
        ("keyring_timeout = 0", "keyring_timeout must be a number more than 0"),
        ("keyring_timeout = -inf", "keyring_timeout must be a number more than 0"),
        ("[http]\ntimeout = nan", "timeout must be a number more than 0"),
        ("[http]\ntimeout = -1", "timeout must be a number more than 0"),
        ("[http]\nmax_body_bytes = 1.5", "max_body_bytes must be a whole number, 1 or more"),
        ("[http]\nmax_redirects = -1", "max_redirects must be a whole number, 0 or more"),
        ("[http]\nmax_redirects = true", "max_redirects must be a whole number"),
        ("max_tool_calls = true", "max_tool_calls must be a whole number, 1 or more"),
        ("max_tool_calls = 2.5", "max_tool_calls must be a whole number, 1 or more"),
        (
            "max_identical_failures = '3'",
            "max_identical_failures must be a whole number, 1 or more",
        ),
        ("model = 5", "model must be a string"),
        ("[[deny]]\ntool = ['shell']", "deny rule 1: tool must be a non-empty string"),
        ("[[deny]]\ntarget = 7", "deny rule 1: target must be a non-empty string"),
        ("[[deny]]\neffect = 'delete'", "deny rule 1: effect must be read, write or egress"),
        ("[[deny]]\ntarget = ''", "deny rule 1: target must be a non-empty string"),
        ("[http]\ntimeout = '5'", "timeout must be a number"),
    ],
)
def test_config_values_are_type_checked(text: str, says: str) -> None:
    write_config(text)
    with pytest.raises(config.ConfigError, match=says.replace("(", r"\(")):
        config.load(env={})


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ASSISTANT_BUDGET_USD": "nan"}, "budget_usd must be a number 0 or more"),
        ({"ASSISTANT_BUDGET_USD": "-3"}, "budget_usd must be a number 0 or more"),
        ({"ASSISTANT_KEYRING_TIMEOUT": "inf"}, "keyring_timeout must be a number more than 0"),
        ({"ASSISTANT_MAX_TOOL_CALLS": "1e3"}, "max_tool_calls must be a whole number, 1 or more"),
        ({"ASSISTANT_ALLOW_PLAINTEXT_KEYRING": "sure"}, "must be true or false"),
    ],
)
def test_environment_values_are_type_checked(env: dict[str, str], says: str) -> None:
    with pytest.raises(config.ConfigError, match=says):
        config.load(env=env)


def test_good_values_still_load() -> None:
    write_config(
        "budget_usd = 0\nkeyring_timeout = 1\nallow_plaintext_keyring = true\n"
        "[http]\ntimeout = 5\nuse_proxy_env = false\nmax_redirects = 0\n"
        '[[deny]]\ntool = "shell"\ntarget = "path:private"\neffect = "write"\n'
    )
    s = config.load(env={"ASSISTANT_ALLOW_PLAINTEXT_KEYRING": "false"})
    assert (s.budget_usd, s.keyring_timeout, s.allow_plaintext_keyring) == (0.0, 1.0, False)
    http = s.for_tool(HttpSettings)
    assert (http.timeout, http.use_proxy_env, http.max_redirects) == (5.0, False, 0)
    assert s.deny[0].effect == "write"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (bytes(range(256)) * 8, "not a text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (b"\x00" * 64, "not valid TOML"),
        (b"a = " + b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"a = " + b"{b = " * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (b'[http]\nuse_proxy_env = "false"\n', "use_proxy_env must be true or false"),
        (b"budget_usd = nan\n", "budget_usd must be a number"),
    ],
    ids=["binary", "png", "nuls", "deep-arrays", "deep-tables", "string-bool", "nan"],
)
@pytest.mark.parametrize("command", [["config", "show"], ["tool", "shell", '{"command": "ls"}']])
def test_a_bad_config_file_is_exit_2_and_one_clear_line(
    assistant_home: Path, workspace_dir: Path, data: bytes, says: str, command: list[str]
) -> None:
    write_config(data)
    args = [*command, "--workspace", str(workspace_dir)] if command[0] == "tool" else command
    proc = assistant(assistant_home, *args)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and says in proc.stderr
    assert proc.stderr.startswith("assistant: config error:")
    assert len(proc.stderr.strip().splitlines()) <= 2


NASTY = (
    "title \x1b]0;pwned\x07 clip \x1b]52;c;cm0gLXJmIH4=\x07 csi \x1b[2J c1 \x9b31m "
    "bidi \u202egnp.exe zero\u200bwidth bell \x07 end\n"
)


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_assistant_tool_escapes_file_contents_as_run_does(
    assistant_home: Path, workspace_dir: Path, json_flag: list[str]
) -> None:
    (workspace_dir / "evil.txt").write_text(NASTY)
    proc = assistant(
        assistant_home,
        "tool",
        "shell",
        json.dumps({"command": "cat evil.txt"}),
        "--workspace",
        str(workspace_dir),
        *json_flag,
    )
    assert proc.returncode == 0, proc.stderr
    for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\u200b"):
        assert raw not in proc.stdout and raw not in proc.stderr, repr(raw)
    if json_flag:
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        (result,) = [e for e in events if e["kind"] == "action.result"]
        assert "\x1b]52;c;" in result["output"]  # the data itself is intact in the JSON
    else:
        assert "\\x1b]0;pwned\\x07" in proc.stdout and "\\x1b]52;c;" in proc.stdout
        assert "\\x9b31m" in proc.stdout and "\\u202egnp.exe" in proc.stdout
