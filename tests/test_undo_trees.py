"""Undo brings back the exact tree: every tool that writes, through the gate, the journal and
`assistant undo`; names, kinds, bytes and modes compared whole, and the undo itself undone."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.approval import ModeApprover
from assistant.config import Settings
from assistant.runtime import start_session
from tests.support.http_servers import LoopbackServer, Reply
from tests.support.undo_path import images_of, last_action, result_of, shown, snapshot, tool, undo
from tools.shell_lite import ShellTool


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    """Folders with their own modes, an executable, CRLF, NUL bytes, no final newline, odd names."""
    w = workspace_dir
    (w / "d" / "e").mkdir(parents=True)
    (w / "d" / "empty").mkdir()
    (w / "d" / "f.txt").write_bytes(b"x\n")
    (w / "d" / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (w / "d" / "sp ace [1].txt").write_bytes(b"no final newline")
    (w / "d" / "bin.dat").write_bytes(b"\x00\xff\r\n\x00")
    (w / "d" / "e" / "deep.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (w / "top.txt").write_bytes(b"top\n")
    (w / "data.csv").write_bytes(b"id;name\r\n1;caf\xe9\r\n")
    os.chmod(w / "d" / "run.sh", 0o755)
    os.chmod(w / "top.txt", 0o600)
    os.chmod(w / "d" / "e", 0o700)
    os.chmod(w / "d", 0o750)
    return w


def round_trip(ws: Path, action_id: str, before: dict[str, Any]) -> None:
    """Undo the action, then undo that undo, then undo that one: before, after, before."""
    after = snapshot(ws)
    assert after != before, "the action changed nothing"
    assert undo(action_id, "--approve", "all") == 0
    assert snapshot(ws) == before, "undo must restore the exact tree, bytes and modes"
    first = last_action("restore")
    assert undo(first, "--approve", "all") == 0
    assert snapshot(ws) == after, "undoing the undo must redo the action exactly"
    second = last_action("restore")
    assert second != first
    assert undo(second, "--approve", "all") == 0
    assert snapshot(ws) == before


SHELL = [
    "rm -r d",
    "rm -r d/e d/empty",
    "rm d/run.sh 'd/sp ace [1].txt'",
    "mkdir -p a/b/c",
    "mkdir -p d/e/new/deeper",
    "mkdir fresh",
    "cp -r d copy",
    "cp -r d/e d/empty",
    "cp d/run.sh top.txt",
    "mv d moved",
    "mv d/e d/empty",
    "mv top.txt d/e",
    "mv d/e/deep.csv .",
    "mv d/run.sh top.txt",
    "echo hi > new.txt",
    "echo hi > 'd/e/new [x].txt'",
    "echo more >> d/run.sh",
    "sort d/e/deep.csv > d/run.sh",
    "cat d/bin.dat > top.txt",
    "touch d/newfile top.txt",
]


@pytest.mark.parametrize("command", SHELL)
def test_shell_writes_undo_to_the_exact_tree(ws: Path, command: str) -> None:
    before = snapshot(ws)
    action = tool(ws, "shell", {"command": command})
    round_trip(ws, action, before)


def test_undo_of_rm_r_brings_the_folder_back_not_a_file(ws: Path) -> None:
    before = snapshot(ws)
    action = tool(ws, "shell", {"command": "rm -r d/e"})
    assert undo(action, "--approve", "all") == 0
    assert (ws / "d" / "e").is_dir() and snapshot(ws) == before


def test_the_record_names_modes_and_what_the_action_left(ws: Path) -> None:
    action = tool(ws, "shell", {"command": "echo more >> d/run.sh"})
    record = result_of(action)["data"]["undo"]
    assert record["format"] == 2
    (entry,) = record["paths"]
    old, left = b"#!/bin/sh\necho hi\n", (ws / "d" / "run.sh").read_bytes()
    assert entry == {
        "path": "d/run.sh",
        "before": {"kind": "file", "mode": 0o755, "sha256": hashlib.sha256(old).hexdigest()},
        "after": {"kind": "file", "mode": 0o755, "sha256": hashlib.sha256(left).hexdigest()},
    }
    assert images_of(action) == {"d/run.sh": b"#!/bin/sh\necho hi\n"}


CSV = [
    {"path": "new.csv", "mode": "create", "rows": [["a", "b"], ["1", "2"]]},
    {"path": "data.csv", "mode": "overwrite", "rows": [["id", "name"], ["9", "other"]]},
    {"path": "data.csv", "mode": "append", "rows": [["id", "name"], ["2", "new"]]},
    {"path": "d/e/deep.csv", "mode": "append", "rows": [["a", "b"], ["3", "4"]]},
]


@pytest.mark.parametrize("args", CSV, ids=lambda a: f"{a['mode']}-{a['path']}")
def test_csv_write_undoes_to_the_exact_tree(ws: Path, args: dict[str, Any]) -> None:
    before = snapshot(ws)
    round_trip(ws, tool(ws, "csv_write", args), before)


@pytest.fixture
def api() -> Any:
    with LoopbackServer() as server:
        server.routes["/file"] = lambda seen: Reply(200, [], b"saved body\r\n\x00")
        yield server


@pytest.mark.parametrize("target", ["saved.bin", "d/f.txt", "d/run.sh"])
def test_http_save_to_undoes_to_the_exact_tree(
    ws: Path, api: LoopbackServer, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(ws)
    args = {"url": api.url("/file"), "save_to": target}
    action = tool(ws, "http_request", args, "--allow-host", api.key)
    assert (ws / target).read_bytes() == b"saved body\r\n\x00"
    capsys.readouterr()
    round_trip(ws, action, before)
    assert "Only the saved file is undone: the HTTP request itself cannot be undone." in (
        shown(capsys)
    )


def test_names_the_journal_cannot_spell_come_back_exactly(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid UTF-8, a newline, a backslash: the record keeps the raw bytes of such a name,
    and the preview shows a newline in a name escaped, so it cannot fake a line of its own."""
    d = workspace_dir / "d"
    d.mkdir()
    Path(os.fsdecode(os.fsencode(d) + b"/\xff name.txt")).write_bytes(b"x\x00\n")
    (d / "new\n  remove nothing").mkdir()
    (d / "back\\slash").write_bytes(b"b")
    before = snapshot(workspace_dir)
    action = asyncio.run(_through_the_gate(workspace_dir, "rm -r d"))
    capsys.readouterr()
    round_trip(workspace_dir, action, before)
    assert "recreate folder d/new\\n  remove nothing/" in shown(capsys)


async def _through_the_gate(ws: Path, command: str) -> str:
    """`assistant tool` itself prints the shell's raw output, which such names cannot pass."""
    rt = start_session(
        Settings(), approver=ModeApprover("all"), tools={"shell": ShellTool()}, workspace=ws
    )
    try:
        outcome = await rt.gate.execute("shell", {"command": command})
    finally:
        rt.journal.close()
    assert outcome.status == "done" and outcome.action_id is not None
    return outcome.action_id
