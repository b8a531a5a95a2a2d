"""Hostile arguments never crash a call: 1,000 seeded argument sets per tool through the real
gate, journal and tools. Every outcome is one the model can read, with no traceback and no path
of this machine outside the workspace; the journal keeps the faults.

Another seed: ASSISTANT_FUZZ_SEED=123 pytest tests/test_gate_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from assistant.agent.approval import Decision
from assistant.agent.event_log import EventLog
from assistant.agent.gate import CallOutcome, Gate
from assistant.agent.policy import Policy
from assistant.journal import Journal
from tests.support.approvers import ScriptedApprover
from tests.support.hostile import Hostile
from tests.support.http_servers import LoopbackServer, NetworkGuard, make_tool
from tools import all_tools
from tools.base import Action, ToolContext
from tools.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("ASSISTANT_FUZZ_SEED", "9"))
SETS_PER_TOOL = 1000
TOOLS = ["shell", "csv_read", "csv_query", "csv_write", "http_request", "restore"]
STATUSES = {"done", "failed", "denied", "error"}


def build_workspace(ws: Path, outside: Path) -> None:
    """A small nasty workspace: CSVs, a folder, a binary file, a link that leaves. Rebuilt from
    scratch: the approved calls before may have turned any of it into anything."""
    for child in ws.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (ws / "notes.txt").write_text("line one\nline two")
    (ws / "data.csv").write_text("a,b\n1,2\n00501,x\n")
    (ws / "empty.csv").write_bytes(b"")
    (ws / "bin.dat").write_bytes(bytes(range(256)) * 4)
    (ws / "dir").mkdir(exist_ok=True)
    (ws / "dir" / "inner.csv").write_text("x;y\r\n1;2,5\r\n")
    (ws / "sp ace.txt").write_text("spaces\n")
    if not (ws / "link_out").is_symlink():
        (ws / "link_out").symlink_to(os.path.relpath(outside, ws))  # ls -l shows it as written


def approve_loopback(port: int):  # type: ignore[no-untyped-def]
    """A person who approves everything, but no request that would leave this machine."""

    def decide(action: Action) -> Decision:
        hosts = [t for t in action.targets if t.startswith("host:")]
        if any(h != f"host:127.0.0.1:{port}" for h in hosts):
            return Decision("deny", reason="not that host")
        return Decision("approve")

    return decide


def forbidden_spellings(tmp_path: Path, ws: Path) -> list[str]:
    """Absolute paths of this machine the model must never read in a result."""
    spots = {str(tmp_path), os.path.realpath(tmp_path), str(ROOT), sys.prefix, sys.base_prefix}
    spots |= {str(Path.home())} if str(Path.home()) not in ("/", "") else set()
    return sorted(s for s in spots if s and s != "/")


def check_outcome(outcome: CallOutcome, raw: str, ws: Path, forbidden: list[str]) -> None:
    assert outcome.status in STATUSES, outcome
    text = outcome.text
    assert isinstance(text, str)
    text.encode("utf-8")  # no lone surrogate reaches the model's request
    assert "Traceback" not in text and 'File "' not in text, text[:2000]
    shown = text.replace(str(ws), "<ws>").replace(os.path.realpath(ws), "<ws>")
    for spot in forbidden:
        if spot in shown and spot not in raw:
            pytest.fail(f"{spot} in the model's text for {raw[:300]!r}:\n{text[:2000]}")
    if outcome.status != "done":
        for token in re.findall(r"(?<![\w.:/-])/[A-Za-z0-9_.-]+(?:/[^\s'\"]*)?", shown):
            top = token.split("/")[1]
            if os.path.isdir("/" + top) and token not in raw and json.dumps(token) not in raw:
                pytest.fail(f"absolute path {token} in {text[:2000]!r} for {raw[:300]!r}")


@pytest.mark.slow
@pytest.mark.parametrize("tool_name", TOOLS)
async def test_hostile_arguments_never_escape_the_gate(
    tool_name: str,
    tmp_path: Path,
    workspace_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    guard = NetworkGuard()
    monkeypatch.setattr(socket, "create_connection", guard)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside secret\n")
    build_workspace(workspace_dir, outside)
    journal = Journal(tmp_path / "journal.sqlite3")
    session = journal.create_session(model=None, workspace=str(workspace_dir), title="fuzz")
    tools = all_tools()
    with LoopbackServer() as server:
        http_tool, dns = make_tool()
        tools["http_request"] = http_tool
        ctx = ToolContext(workspace=Workspace(workspace_dir), read_blob=journal.get_blob)
        approver = ScriptedApprover(approve_loopback(server.port))
        log = EventLog(journal, session)
        gate = Gate(tools, ctx, Policy(), approver, log)
        hostile = Hostile(SEED * 1000 + TOOLS.index(tool_name), http_base=server.url(""))
        forbidden = forbidden_spellings(tmp_path, workspace_dir)
        counts: dict[str, int] = {}
        for i in range(SETS_PER_TOOL):
            if i % 50 == 0:
                build_workspace(workspace_dir, outside)
            raw = hostile.args(tool_name)
            outcome = await gate.execute(tool_name, raw, f"call{i}")
            check_outcome(outcome, raw, workspace_dir, forbidden)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            counts["planned"] = counts.get("planned", 0) + (outcome.action_id is not None)
            if outcome.result is not None:
                for data in outcome.result.before_images.values():
                    if data is not None:
                        hostile.blobs.append(journal.put_blob(data))
    assert guard.blocked == []
    assert (outside / "secret.txt").read_text() == "outside secret\n"
    # the journal took every event, and its chain still verifies
    assert journal.verify(session).ok
    kinds = {e.kind for e in journal.events(session)}
    assert "action.error" in kinds
    # not every set is refused at the door: plans and runs were reached
    assert counts["planned"] >= SETS_PER_TOOL // 50, counts
    if tool_name != "restore":
        assert counts.get("done", 0) + counts.get("failed", 0) >= SETS_PER_TOOL // 50, counts
    journal.close()
