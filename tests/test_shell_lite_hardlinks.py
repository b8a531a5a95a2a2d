"""A workspace file with more than one hard link may be a door to a file outside: every shell
write (touch included) refuses it, whatever the route (operand, redirect, glob, recursion), and
every read says so in its result. Through the real gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.agent.approval import Decision
from assistant.agent.event_log import EventLog
from assistant.agent.gate import CallOutcome, Gate
from assistant.agent.policy import Policy
from tests.support.approvers import ScriptedApprover
from tools.base import ToolContext
from tools.shell_lite import ShellTool
from tools.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "dir").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("outside data\n")
    os.link(outside, root / "door.txt")
    os.link(outside, root / "dir" / "inner.txt")
    (root / "a.txt").write_text("plain\n")
    return root


async def shell(ws: Path, command: str) -> CallOutcome:
    approver = ScriptedApprover(lambda action: Decision("approve"))
    gate = Gate(
        {"shell": ShellTool()},
        ToolContext(workspace=Workspace(ws)),
        Policy(),
        approver,
        EventLog(None, "s"),
    )
    return await gate.execute("shell", {"command": command})


@pytest.mark.parametrize(
    "command",
    [
        "touch door.txt",
        "echo x > door.txt",
        "echo x >> door.txt",
        "sort a.txt > door.txt",
        "cp a.txt door.txt",
        "cp a.txt dir/inner.txt",
        "mv a.txt door.txt",
        "mv door.txt moved.txt",
        "rm door.txt",
        "rm -r dir",
        "mv dir elsewhere",
        "touch *.txt",
        "rm -f d*",
    ],
)
async def test_writes_refuse_a_hard_linked_file(ws: Path, command: str) -> None:
    outcome = await shell(ws, command)
    assert outcome.status == "error", outcome.text
    assert "hard links" in outcome.text
    assert (ws.parent / "outside.txt").read_text() == "outside data\n"
    assert (ws / "door.txt").exists() and (ws / "dir" / "inner.txt").exists()
    assert os.stat(ws / "door.txt").st_nlink == 3


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("cat door.txt", "outside data"),
        ("grep -r data .", "dir/inner.txt:outside data"),
        ("wc -l dir/inner.txt", "1 dir/inner.txt"),
        ("head -n 1 *.txt", "==> door.txt <==\noutside data"),
        ("sort door.txt", "outside data"),
    ],
)
async def test_reads_say_a_file_has_other_links(ws: Path, command: str, shown: str) -> None:
    outcome = await shell(ws, command)
    assert outcome.status == "done", outcome.text
    assert shown in outcome.text
    assert "has 3 hard links" in outcome.text


async def test_copying_from_a_hard_linked_file_makes_a_plain_new_file(ws: Path) -> None:
    outcome = await shell(ws, "cp door.txt copy.txt")
    assert outcome.status == "done", outcome.text
    assert os.stat(ws / "copy.txt").st_nlink == 1
