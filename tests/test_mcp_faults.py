"""Servers that fail: at start, mid-call, by hanging, by answering garbage, with a huge result,
an invalid tool schema, and a result carrying a canary secret and terminal escapes. Each gives
one clear line, its tools go away, the turn goes on; nothing secret or raw reaches anyone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring
import pytest

from assistant import config
from assistant.agent.approval import ModeApprover
from assistant.journal import Journal
from assistant.mcp.servers import McpStart
from assistant.mcp.status import status_lines
from assistant.runtime import Runtime
from assistant.session import Session
from tests.support import fake_llm as llm
from tests.support.cli import env_fixture  # noqa: F401 (the "env" fixture)
from tests.support.mcp_world import CANARY, ROOT, hostile, write_config
from tools import builtin_tools
from tools.mcp import McpSettings


@pytest.fixture(autouse=True)
def canary(env: dict[str, str]) -> None:
    """The subprocesses' keyring (a file, this test's too) holds the canary secret."""
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)


def run(env: dict[str, str], server: llm.FakeLLM, workspace: Path, *flags: str) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "run", "go", "--model", server.model(),
         "--api-base", server.base_url, "--workspace", str(workspace), *flags],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=180,
    )  # fmt: skip


def tool_names(request: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in request.get("tools", [])]


def tool_messages(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


def events(home: Path) -> list[tuple[str, dict[str, Any]]]:
    with Journal(home / "data" / "journal.sqlite3") as j:
        (s,) = j.sessions()
        return [(e.kind, e.payload) for e in j.events(s.id)]


def in_process(workspace: Path) -> Runtime:
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)
    opened = Session(config.load(), workspace, builtin_tools(), mcp=McpStart())
    return opened.open(ModeApprover("all"))


async def test_a_server_that_fails_or_hangs_at_start_is_one_line_and_offers_nothing(
    assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(
        assistant_home,
        {
            "dead": hostile("crash-start"),
            "slow": hostile("hang-start", start_timeout=2),
            "ok": hostile(),
        },
    )
    rt = in_process(workspace_dir)
    try:
        names = set(rt.gate.tools)
        notes = list(rt.notes)
    finally:
        rt.close()
    assert "ok__echo" in names and not any(n.startswith(("dead__", "slow__")) for n in names)
    dead = [n for n in notes if n.startswith("MCP server dead")]
    slow = [n for n in notes if n.startswith("MCP server slow")]
    assert dead == [
        "MCP server dead failed to start: it closed the connection (its last words: fatal: "
        "cannot open the database (simulated)); its tools are gone for this session"
    ]
    assert slow == ["MCP server slow did not start within 2 s; its tools are gone for this session"]


async def test_an_invalid_tool_schema_skips_that_tool_only(
    assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(assistant_home, {"b": hostile("bad-schema")})
    rt = in_process(workspace_dir)
    try:
        names = set(rt.gate.tools)
        fine = await rt.gate.execute("b__fine", {"text": "still works"})
        lines = status_lines(rt.settings.for_tool(McpSettings), rt.mcp)
        notes = list(rt.notes)
    finally:
        rt.close()
    assert "b__fine" in names and "b__broken" not in names
    assert fine.status == "done" and "still works" in fine.text
    assert notes[-1] == "MCP server b: 1 tool; 1 skipped (/mcp says why)"
    assert any(
        line.strip().startswith("skipped broken: its input schema is invalid") for line in lines
    ), lines


@pytest.mark.parametrize(
    ("call", "line"),
    [
        (
            {},
            "crashed (it closed the connection) (its last words: about to crash: segmentation fault (simulated))",
        ),
        ({"seconds": 60}, "did not answer hang within 2 s; it was stopped"),
        ({"kind": "bytes"}, "answered something that is not MCP and was stopped"),
        ({"kind": "shape"}, "answered something that is not MCP and was stopped"),
    ],
    ids=["crash", "hang", "garbage-bytes", "garbage-shape"],
)
def test_a_server_failing_mid_call_is_one_line_its_tools_go_and_the_turn_goes_on(
    fake_llm: llm.FakeLLM,
    env: dict[str, str],
    assistant_home: Path,
    workspace_dir: Path,
    call: dict[str, Any],
    line: str,
) -> None:
    name = {"crash": "crash", "seconds": "hang", "kind": "garbage"}[next(iter(call), "crash")]
    write_config(
        assistant_home,
        {"h": hostile(call_timeout=2), "other": hostile(), "dead": hostile("crash-start")},
    )
    fake_llm.queue(llm.tool_call(f"h__{name}", json.dumps(call)), llm.text("The server is gone."))
    proc = run(env, fake_llm, workspace_dir, "--approve", "all")
    assert proc.returncode == 0, proc.stderr
    assert "assistant: MCP server dead failed to start: it closed the connection" in proc.stderr
    first, second = fake_llm.requests
    assert f"h__{name}" in tool_names(first)
    assert not any(n.startswith("h__") for n in tool_names(second))  # gone for the model
    assert "other__echo" in tool_names(second)  # the other server is untouched
    expected = f"MCP server h {line}; its tools are gone for this session"
    assert tool_messages(second) == [f"error: {expected}"]
    assert expected in proc.stderr  # the one line the person reads (a note: stderr)
    assert proc.stdout == "The server is gone.\n"  # the answer, the only data
    result = [p for k, p in events(assistant_home) if k == "action.result"]
    assert result[0]["ok"] is False and expected in result[0]["output"]


def test_huge_results_are_cut_and_secrets_and_escapes_never_pass(
    fake_llm: llm.FakeLLM, env: dict[str, str], assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(assistant_home, {"h": hostile()}, max_result_chars=5000)
    fake_llm.queue(
        llm.tool_calls([("h__huge", json.dumps({"chars": 3_000_000})), ("h__canary", "{}")]),
        llm.text("Done."),
    )
    proc = run(env, fake_llm, workspace_dir, "--approve", "all")
    assert proc.returncode == 0, proc.stderr
    huge, canary = tool_messages(fake_llm.requests[1])
    assert "h__described" in tool_names(fake_llm.requests[0])
    assert CANARY not in json.dumps(fake_llm.requests)  # tool lists included
    # 3,000,000 characters and the canary, marked (before the cut: its value never shows)
    rest = 3_000_000 + len("[raw value of secret MCP_CANARY]") - 5000
    assert len(huge) < 6000 and f"[… cut: {rest:,} more characters not shown]" in huge
    assert CANARY not in canary and "token=[raw value of secret MCP_CANARY]" in canary
    assert "\x1b" not in canary and "\\x1b[2J" in canary and "\\u202e" in canary
    stored = json.dumps(events(assistant_home), ensure_ascii=False)
    assert CANARY not in stored and "\x1b" not in stored and "\u202e" not in stored
    assert len(stored) < 100_000  # the 3 MB result was cut before the journal
    for text in (proc.stdout, proc.stderr):
        assert CANARY not in text and "\x1b]0;pwned" not in text and "\u202e" not in text


def test_the_model_never_sees_the_secret_handles_values_in_a_servers_env(
    fake_llm: llm.FakeLLM, env: dict[str, str], assistant_home: Path, workspace_dir: Path
) -> None:
    """npm's everything server shows its environment: the secret given to it as a handle is
    marked in what comes back, and the model's tool list holds no value."""
    from tests.support.mcp_world import everything

    write_config(assistant_home, {"ev": everything(env={"API_TOKEN": "{{secret:MCP_CANARY}}"})})
    fake_llm.queue(llm.tool_call("ev__get-env", "{}"), llm.text("Seen."))
    proc = run(env, fake_llm, workspace_dir, "--approve", "all")
    assert proc.returncode == 0, proc.stderr
    (shown,) = tool_messages(fake_llm.requests[1])
    assert "API_TOKEN" in shown and "[raw value of secret MCP_CANARY]" in shown
    everything_sent = json.dumps(fake_llm.requests)
    assert CANARY not in everything_sent
    assert CANARY not in json.dumps(events(assistant_home)) and CANARY not in proc.stdout
