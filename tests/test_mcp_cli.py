"""`assistant mcp add | list | remove | import` and an MCP tool by hand (`assistant tool`), as a
person types them; a streamable HTTP server on 127.0.0.1 whose header secret stays a handle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from assistant import config
from tests.support.cli import env_fixture  # noqa: F401 (the "env" fixture)
from tests.support.mcp_world import CANARY, ROOT, filesystem, write_config
from tools.mcp import McpSettings


@pytest.fixture(autouse=True)
def canary(env: dict[str, str]) -> None:
    """The subprocesses' keyring (a file, this test's too) holds the canary secret."""
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)


def assistant(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_add_list_remove(env: dict[str, str], assistant_home: Path, workspace_dir: Path) -> None:
    server = filesystem(workspace_dir)
    added = assistant(
        env, "mcp", "add", "files", "--read-only-tool", "read_text_file", "--",
        server["command"], *server["args"],
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "added MCP server files (stdio; every call asks)" in added.stdout
    cfg = config.load().for_tool(McpSettings).servers["files"]
    assert cfg.command == server["command"] and cfg.args == tuple(server["args"])
    assert cfg.read_only_tools == ("read_text_file",)

    listed = assistant(env, "mcp", "list", "--workspace", str(workspace_dir))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("files  ready · stdio: ")
    assert any(ln.split()[:3] == ["files__write_file", "asks", "·"] for ln in lines)
    assert any(
        ln.split()[:4] == ["files__read_text_file", "read", "(your", "config)"] for ln in lines
    )
    assert any("declared: read-only: no · destructive: yes" in ln for ln in lines)

    again = assistant(env, "mcp", "add", "files", "--", "true")
    assert again.returncode == 2 and "--force replaces it" in again.stderr
    removed = assistant(env, "mcp", "remove", "files")
    assert removed.returncode == 0 and config.load().for_tool(McpSettings).servers == {}
    assert assistant(env, "mcp", "remove", "files").returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mcp", "add", "a__b", "--", "x"], "'__' separates server and tool names"),
        (["mcp", "add", "a"], "say how to reach it"),
        (["mcp", "add", "a", "--url", "ftp://x"], "url must be an http:// or https:// address"),
        (["mcp", "add", "a", "--url", "http://x", "--", "cmd"], "not both"),
        (["mcp", "add", "a", "--env", "NOEQUALS", "--", "cmd"], "expected NAME=VALUE"),
    ],
)
def test_add_refuses_what_cannot_work(env: dict[str, str], args: list[str], message: str) -> None:
    proc = assistant(env, *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_bad_mcp_config_is_one_line(env: dict[str, str], assistant_home: Path) -> None:
    path = assistant_home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    for text, message in [
        ('[mcp.servers.x]\ncommand = "a"\nurl = "http://b"\n', "either command"),
        ('[mcp.servers.x]\ncommand = "a"\nargs = "oops"\n', "args must be a list of strings"),
        ('[mcp.servers.x]\ncommand = "a"\nenabled = "no"\n', "enabled must be true or false"),
        ("[mcp]\ncall_timeout = -1\n", "call_timeout must be a number more than 0"),
        ('[mcp.servers.x]\ncommand = "a"\nbogus = 1\n', "unknown setting bogus"),
        ("[mcp]\nmax_result_chars = 50\n", "max_result_chars must be a whole number from 100"),
        ("[mcp]\nmax_result_chars = 99999999999\n", "to 10000000, not 99999999999"),
        ("[mcp]\nservers = 3\n", "[mcp.servers] must be a table of servers"),
        ('[mcp.servers.x]\ncommand = "a"\nstart_timeout = 5000\n', "at most 3600 seconds"),
    ]:
        path.write_text(text)
        proc = assistant(env, "config", "show")
        assert proc.returncode == 2 and message in proc.stderr, (text, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_import_moves_secret_looking_values_into_the_keyring(
    env: dict[str, str], tmp_path: Path
) -> None:
    doc = {
        "mcpServers": {
            "github": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_raw-value-0123456789", "LOG": "info"},
            },
            "remote docs": {
                "url": "https://docs.example.com/mcp",
                "headers": {"Authorization": "Bearer abcdef123456"},
            },
            "old": {"type": "sse", "url": "https://old.example.com/sse"},
            "off": {"command": "x", "disabled": True},
        }
    }
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(doc))
    proc = assistant(env, "mcp", "import", str(path))
    assert proc.returncode == 0, proc.stderr
    servers = config.load().for_tool(McpSettings).servers
    assert sorted(servers) == ["github", "off", "remote-docs"]
    gh = servers["github"]
    assert gh.env == {
        "GITHUB_PERSONAL_ACCESS_TOKEN": "{{secret:MCP_GITHUB_GITHUB_PERSONAL_ACCESS_TOKEN}}",
        "LOG": "info",
    }
    assert servers["remote-docs"].headers == {
        "Authorization": "{{secret:MCP_REMOTE_DOCS_AUTHORIZATION}}"
    }
    assert servers["off"].enabled is False
    stored = keyring.get_password("live-assistant", "MCP_GITHUB_GITHUB_PERSONAL_ACCESS_TOKEN")
    assert stored == "ghp_raw-value-0123456789"
    file_text = (Path(env["ASSISTANT_HOME"]) / "config" / "config.toml").read_text()
    assert "ghp_raw-value" not in file_text and "abcdef123456" not in file_text
    assert "'old' skipped: the SSE transport is not supported" in proc.stderr
    assert "'remote docs' is named 'remote-docs' here" in proc.stderr


def test_import_without_a_keyring_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    path = tmp_path / "mcp.json"
    path.write_text(
        json.dumps({"mcpServers": {"gh": {"command": "x", "env": {"API_KEY": "raw-secret-1"}}}})
    )
    proc = assistant(env, "mcp", "import", str(path))
    assert proc.returncode == 2 and "Nothing was written" in proc.stderr
    assert config.load().for_tool(McpSettings).servers == {}


def test_an_mcp_tool_by_hand(
    env: dict[str, str], assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(assistant_home, {"fs": filesystem(workspace_dir)})
    target = workspace_dir / "hand.txt"
    args = json.dumps({"path": str(target), "content": "by hand"})
    denied = assistant(env, "tool", "fs__write_file", args, "--workspace", str(workspace_dir))
    assert denied.returncode == 3 and not target.exists()
    done = assistant(
        env, "tool", "fs__write_file", args, "--workspace", str(workspace_dir), "--approve", "all"
    )
    assert done.returncode == 0, done.stderr
    assert target.read_text() == "by hand"
    unknown = assistant(env, "tool", "nope__x", "{}")
    assert unknown.returncode == 2 and "no MCP server 'nope' is configured" in unknown.stderr


@pytest.fixture
def http_server() -> Iterator[str]:
    """tests/support/mcp_servers.py over streamable HTTP on 127.0.0.1 (a free port)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.mcp_servers", "http"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()  # printed once the server listens
        assert port.isdigit(), "the HTTP MCP server did not start"
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)


async def test_streamable_http_server_with_a_secret_header(
    http_server: str, assistant_home: Path, workspace_dir: Path
) -> None:
    from assistant.agent.approval import ModeApprover
    from assistant.mcp.servers import McpStart
    from assistant.session import Session
    from tools import builtin_tools

    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)
    write_config(
        assistant_home,
        {"web": {"url": http_server, "headers": {"Authorization": "Bearer {{secret:MCP_CANARY}}"}}},
    )
    session = Session(config.load(), workspace_dir, builtin_tools(), mcp=McpStart())
    rt = session.open(ModeApprover("all"))
    try:
        out = await rt.gate.execute("web__whoami", {})
        stored = [e.payload for e in rt.journal.events(rt.session_id)]
    finally:
        rt.close()
    assert out.status == "done", out.text
    assert out.text == "you sent: Bearer [raw value of secret MCP_CANARY]"
    assert CANARY not in json.dumps(stored)
    proposed: Any = next(p for p in stored if p.get("tool") == "web__whoami")
    assert "{{secret" not in json.dumps(proposed) and CANARY not in json.dumps(proposed)
