"""`assistant tool --list` lists the MCP servers' tools too, each with its server and what the gate
does with its calls (read by your config, asks, allowed by a saved rule, denied), against npm's
reference filesystem server; a server that fails or hangs says so on stderr and never hides the
built-in tools; a disabled one is not started; every server started is stopped again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keyring
import tomli_w

from assistant.rules import RuleBook
from tests.support.cli import (
    ROOT,
    env_fixture,  # noqa: F401 (the "env" fixture)
)
from tests.support.mcp_world import CANARY, alive, filesystem, hostile, server_pids
from tools import all_tools


def tool_list(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "tool", "--list", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip


def line_of(stdout: str, tool: str) -> str:
    (line,) = [ln for ln in stdout.splitlines() if ln.startswith(tool + "(")]
    return line


def test_tool_list_shows_each_mcp_tool_with_its_server_and_gate(
    env: dict[str, str], assistant_home: Path, workspace_dir: Path, tmp_path: Path
) -> None:
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)
    pids, off_pids = tmp_path / "pids", tmp_path / "off-pids"
    pids.mkdir()
    off_pids.mkdir()
    config = {
        "deny": [{"tool": "files__move_file", "reason": "no moves here"}],
        "mcp": {
            "servers": {
                "files": filesystem(workspace_dir, read_only_tools=["read_text_file"]),
                "dead": hostile("crash-start", pid_dir=pids),
                "slow": hostile("hang-start", pid_dir=pids, start_timeout=2),
                "off": {**hostile(pid_dir=off_pids), "enabled": False},
            }
        },
    }
    path = assistant_home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(config))
    saved = RuleBook(workspace_dir).add(
        "files__write_file", "mcp:files/write_file", frozenset({"call"}), "files: write_file"
    )

    done = tool_list(env, "--workspace", str(workspace_dir))

    assert done.returncode == 1, done.stderr  # a server failed: said, and the exit says so
    out = done.stdout
    for name in all_tools():  # the built-in tools, first, whatever the servers did
        assert line_of(out, name)
    assert out.index("restore(") < out.index("files__")
    assert line_of(out, "files__read_text_file").endswith(
        "  [MCP server files · read (your config)]"
    )
    assert line_of(out, "files__create_directory") == (
        "files__create_directory(path)  [MCP server files · asks]"
    )
    assert line_of(out, "files__write_file").endswith(
        f'  [MCP server files · allowed by rule "{saved.label}"]'
    )
    assert line_of(out, "files__move_file").endswith(
        "  [MCP server files · denied (no moves here)]"
    )
    lines = out.splitlines()
    about = lines[lines.index(line_of(out, "files__write_file")) + 1]
    assert about.startswith("    Create a new file or completely overwrite")
    assert not any(n in out for n in ("dead__", "slow__", "off__"))

    notes = done.stderr.splitlines()
    assert "assistant: MCP server off is disabled: its tools are not listed" in notes
    assert any(
        n.startswith("assistant: MCP server dead failed to start: ")
        and n.endswith("; its tools are not listed")
        for n in notes
    ), notes
    assert "assistant: MCP server slow did not start within 2 s; its tools are not listed" in notes
    assert CANARY not in out + done.stderr
    # stopped again (one killed at its timeout may not have written its pid yet); "off" never ran
    assert not any(alive(pid) for pid in server_pids(pids))
    assert server_pids(off_pids) == []


def test_tool_list_without_mcp_servers_is_the_built_in_tools(
    env: dict[str, str], workspace_dir: Path
) -> None:
    done = tool_list(env, "--workspace", str(workspace_dir))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "[MCP server" not in done.stdout
    assert [ln.split("(")[0] for ln in done.stdout.splitlines() if not ln.startswith(" ")] == list(
        all_tools()
    )
