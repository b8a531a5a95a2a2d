"""MCP tools under the gate, in process: npm's reference servers (nobody here wrote them) and
small hostile servers, through the session service, Gate.execute, the policy and the journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keyring
import pytest

from assistant import config
from assistant.agent.approval import ModeApprover
from assistant.mcp.servers import McpStart
from assistant.runtime import Runtime
from assistant.session import Session
from tests.support.mcp_world import (
    CANARY,
    Recorder,
    everything,
    filesystem,
    hostile,
    write_config,
)
from tools import builtin_tools


@pytest.fixture(autouse=True)
def canary_secret() -> None:
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)


def session(workspace: Path, approver: Any, **start: Any) -> Runtime:
    """A session as the CLI opens one; ``Runtime.close`` stops its servers."""
    opened = Session(config.load(), workspace, builtin_tools(), mcp=McpStart(**start))
    return opened.open(approver)


def kinds(rt: Runtime) -> list[str]:
    return [e.kind for e in rt.journal.events(rt.session_id)]


def payloads(rt: Runtime, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in rt.journal.events(rt.session_id) if e.kind == kind]


async def test_a_filesystem_write_runs_only_after_approval_and_is_journaled(
    assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(assistant_home, {"fs": filesystem(workspace_dir)})
    note = workspace_dir / "note.txt"
    approver = Recorder(["approve"], check=note.exists)
    rt = session(workspace_dir, approver)
    try:
        assert "fs__write_file" in rt.gate.tools
        out = await rt.gate.execute(
            "fs__write_file", {"path": str(note), "content": "hello from MCP"}, "call-1"
        )
        events = kinds(rt)
        decided = payloads(rt, "action.decided")
        result = payloads(rt, "action.result")
        proposed = payloads(rt, "action.proposed")
    finally:
        rt.close()
    assert out.status == "done", out.text
    assert note.read_text() == "hello from MCP"
    (action, existed), *_ = approver.asked
    assert existed is False  # the pane was shown before anything was written
    assert action.effect.value == "write"
    text = action.preview.text
    assert "MCP server fs · tool write_file" in text
    assert '"content": "hello from MCP"' in text  # the arguments, as formatted JSON
    assert "Declared by the server, not verified: read-only: no · destructive: yes" in text
    start = events.index("action.proposed")
    assert events[start:] == [
        "action.proposed",
        "action.decided",
        "action.approved",
        "action.result",
    ]
    assert [(d["verdict"], d["by"]) for d in decided] == [("approve", "human")]
    assert proposed[0]["tool"] == "fs__write_file" and proposed[0]["targets"] == [
        "mcp:fs/write_file"
    ]
    assert result[0]["ok"] is True and result[0]["data"]["server"] == "fs"


async def test_approve_never_runs_no_mcp_call(assistant_home: Path, workspace_dir: Path) -> None:
    write_config(assistant_home, {"fs": filesystem(workspace_dir), "bad": hostile()})
    rt = session(workspace_dir, ModeApprover("never"))
    try:
        calls = [
            ("fs__write_file", {"path": str(workspace_dir / "a.txt"), "content": "x"}),
            ("fs__read_text_file", {"path": str(workspace_dir / "a.txt")}),
            ("bad__write_note", {"path": str(workspace_dir / "b.txt"), "text": "x"}),
        ]
        outs = [await rt.gate.execute(name, args) for name, args in calls]
        ran = payloads(rt, "action.approved")
    finally:
        rt.close()
    assert [o.status for o in outs] == ["denied", "denied", "denied"]
    assert ran == []
    assert not (workspace_dir / "a.txt").exists() and not (workspace_dir / "b.txt").exists()


async def test_a_false_read_only_hint_does_not_skip_the_pane(
    assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(assistant_home, {"liar": hostile()})
    target = workspace_dir / "written.txt"
    approver = Recorder(["deny"], check=target.exists)
    rt = session(workspace_dir, approver)
    try:
        out = await rt.gate.execute("liar__write_note", {"path": str(target), "text": "gotcha"})
    finally:
        rt.close()
    assert out.status == "denied"
    assert not target.exists()
    ((action, _),) = approver.asked
    assert action.effect.value == "write"  # the server's readOnlyHint=true is only shown
    assert "Declared by the server, not verified: read-only: yes" in action.preview.text


async def test_only_the_config_makes_a_tool_a_read(
    assistant_home: Path, workspace_dir: Path
) -> None:
    (workspace_dir / "a.txt").write_text("alpha")
    write_config(
        assistant_home,
        {
            "fs": filesystem(workspace_dir, read_only_tools=["read_text_file"]),
            "all": hostile(read_only=True),
        },
    )
    approver = Recorder([])
    rt = session(workspace_dir, approver)
    try:
        read = await rt.gate.execute("fs__read_text_file", {"path": str(workspace_dir / "a.txt")})
        echo = await rt.gate.execute("all__echo", {"text": "hi"})
        decided = payloads(rt, "action.decided")
    finally:
        rt.close()
    assert read.status == "done" and "alpha" in read.text
    assert echo.status == "done" and "echo: hi" in echo.text
    assert approver.asked == []
    assert [d["by"] for d in decided] == ["policy:read", "policy:read"]


async def test_deny_rules_and_session_grants_apply(
    assistant_home: Path, workspace_dir: Path
) -> None:
    path = write_config(assistant_home, {"fs": filesystem(workspace_dir), "h": hostile()})
    path.write_text(path.read_text() + '\n[[deny]]\ntool = "fs__move_file"\nreason = "no moving"\n')
    approver = Recorder(["approve"])
    rt = session(workspace_dir, approver)
    try:
        moved = await rt.gate.execute("fs__move_file", {"source": "a", "destination": "b"})
        from assistant.agent.approval import Decision

        async def remember(request: Any) -> Decision:
            approver.asked.append((request.action, None))
            return Decision("approve", remember=True)

        rt.gate.approver.decide = remember  # type: ignore[method-assign]
        first = await rt.gate.execute("h__echo", {"text": "one"})
        second = await rt.gate.execute("h__echo", {"text": "two"})
        grants = payloads(rt, "grant.added")
        decided = payloads(rt, "action.decided")
    finally:
        rt.close()
    assert moved.status == "denied" and "no moving" in moved.text
    assert first.status == second.status == "done"
    assert len(approver.asked) == 1  # the second call ran under the session rule
    assert grants[0]["tool"] == "h__echo" and grants[0]["label"].endswith("any arguments")
    assert decided[-1]["by"] == f"rule:{grants[0]['grant_id']}"


async def test_everything_server_results_read_well(
    assistant_home: Path, workspace_dir: Path
) -> None:
    write_config(assistant_home, {"ev": everything(read_only=True)})
    rt = session(workspace_dir, Recorder([]))
    try:
        image = await rt.gate.execute("ev__get-tiny-image", {})
        structured = await rt.gate.execute("ev__get-structured-content", {"location": "New York"})
        resource = await rt.gate.execute(
            "ev__get-resource-reference", {"resourceType": "Text", "resourceId": 1}
        )
        total = await rt.gate.execute("ev__get-sum", {"a": 2, "b": 40})
        results = payloads(rt, "action.result")
    finally:
        rt.close()
    assert image.status == "done"
    assert "[image image/png," in image.text and "iVBOR" not in image.text  # summarised
    assert "temperature" in structured.text.lower()
    assert "[resource " in resource.text
    assert "42" in total.text
    journal_text = json.dumps(results)
    assert "iVBOR" not in journal_text  # binary never lands in the journal either


async def test_a_saved_rule_covers_an_mcp_tool_in_the_next_session(
    assistant_home: Path, workspace_dir: Path
) -> None:
    """A rule saved for this workspace (the pane's r) applies to an MCP tool as to any tool:
    the next session runs the call without asking, recorded as decided by that rule."""
    from assistant.agent.approval import Decision

    write_config(assistant_home, {"h": hostile()})
    approver = Recorder([])

    async def save(request: Any) -> Decision:
        approver.asked.append((request.action, None))
        return Decision("approve", save=True)

    rt = session(workspace_dir, approver)
    try:
        rt.gate.approver.decide = save  # type: ignore[method-assign]
        first = await rt.gate.execute("h__echo", {"text": "one"})
    finally:
        rt.close()
    later = Recorder([])
    rt = session(workspace_dir, later)
    try:
        second = await rt.gate.execute("h__echo", {"text": "two"})
        decided = payloads(rt, "action.decided")
    finally:
        rt.close()
    assert first.status == second.status == "done" and "two" in second.text
    assert len(approver.asked) == 1 and later.asked == []
    assert decided[-1]["by"] == "rule:r1"
