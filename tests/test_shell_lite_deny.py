"""Deny rules cover every file a shell action would read, list or write, through recursion,
parents and globs: a denied file is left out with a note (and a failing status where GNU would
fail on an unreadable file) or the whole write is refused. Its name and contents never appear
in an output, a preview, an error or the journal. Everything goes through the real gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.agent.approval import Decision
from assistant.agent.event_log import EventLog
from assistant.agent.gate import CallOutcome, Gate
from assistant.agent.policy import Policy
from assistant.config import DenyRule
from tests.support.approvers import ScriptedApprover
from tests.support.gate_store import ListStore
from tools.base import ToolContext
from tools.shell_lite import ShellTool
from tools.workspace import Workspace

SECRET = "TOPSECRET-4f1c"
HIDDEN_NAMES = ("vault", "key.txt", "private.txt", "day1.txt")


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    (workspace_dir / "vault").mkdir()
    (workspace_dir / "vault" / "key.txt").write_text(f"the {SECRET}\n")
    (workspace_dir / "dir" / "diary").mkdir(parents=True)
    (workspace_dir / "dir" / "diary" / "day1.txt").write_text(f"{SECRET} the\n")
    (workspace_dir / "dir" / "private.txt").write_text(f"the {SECRET}\n")
    (workspace_dir / "dir" / "ok.txt").write_text("the public\n")
    (workspace_dir / "a.txt").write_text("the top\n")
    return workspace_dir


RULES = (
    DenyRule(tool="shell", target="path:vault", reason="off limits"),
    DenyRule(tool="*", target="path:dir/private.txt"),
    DenyRule(tool="shell", target="path:dir/diary/*"),
)


def gate(ws: Path, store: ListStore, approver: ScriptedApprover | None = None) -> Gate:
    approver = approver or ScriptedApprover(lambda action: Decision("approve"))
    ctx = ToolContext(workspace=Workspace(ws))
    return Gate({"shell": ShellTool()}, ctx, Policy(RULES), approver, EventLog(store, "s1"))


async def shell(ws: Path, command: str, store: ListStore | None = None) -> CallOutcome:
    store = store if store is not None else ListStore()
    outcome = await gate(ws, store).execute("shell", {"command": command}, "c1")
    journal = store.text()
    for leak in (SECRET, *HIDDEN_NAMES):
        if leak in command:
            continue
        assert leak not in outcome.text, (command, leak, outcome.text)
        assert leak not in journal, (command, leak)
    return outcome


@pytest.mark.parametrize(
    "command",
    [
        "grep -r the .",
        "grep -rh the",
        "grep -rn the dir",
        "grep -rc the .",
        "grep -rl the .",
        "grep -r -i TOPSECRET .",
    ],
)
async def test_recursive_grep_leaves_denied_files_out_and_fails_as_gnu_would(
    ws: Path, command: str
) -> None:
    outcome = await shell(ws, command)
    assert outcome.status == "failed"  # GNU exits 2 when it could not read a file
    assert "left out: covered by a deny rule" in outcome.text
    assert "exit status 2" in outcome.text
    if "-i" not in command:
        assert "the public" in outcome.text or "ok.txt" in outcome.text or ":1" in outcome.text


@pytest.mark.parametrize(
    "command",
    ["find .", "find dir -type f", "ls -R", "ls -la dir", "ls -A", "ls dir", "echo * */*"],
)
async def test_listings_and_globs_never_name_a_denied_path(ws: Path, command: str) -> None:
    outcome = await shell(ws, command)
    assert outcome.status == "done", outcome.text
    assert "left out: covered by a deny rule" in outcome.text


async def test_a_glob_never_expands_to_a_denied_file(ws: Path) -> None:
    outcome = await shell(ws, "cat dir/*.txt")
    assert outcome.status == "done" and outcome.text.startswith("the public\n")
    outcome = await shell(ws, "wc -l dir/*/*")  # dir/diary/* are all denied: nothing matches
    assert outcome.status == "error" and "no files match" in outcome.text


@pytest.mark.parametrize(
    "command",
    [
        "cat vault/key.txt",
        "cat dir/private.txt",
        "grep -r the vault",
        "cat dir/../vault/key.txt",
        "ls vault",
        "head dir/diary/day1.txt",
    ],
)
async def test_naming_a_denied_path_is_refused(ws: Path, command: str) -> None:
    store = ListStore()
    outcome = await shell(ws, command, store)
    assert outcome.status in ("denied", "error") and "deny rule" in outcome.text
    assert SECRET not in store.text()


@pytest.mark.parametrize(
    "command",
    [
        "cp -r dir copy",
        "rm -r dir",
        "mv dir moved",
        "rm dir/*",
        "cp dir/* .",
        "grep -r the . > found.txt",
        "ls -R > listing.txt",
        "find . > files.txt",
        "cat dir/ok.txt > dir/private.txt",
    ],
)
async def test_writes_touching_a_denied_path_are_refused_whole(ws: Path, command: str) -> None:
    before = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*"))
    outcome = await shell(ws, command)
    assert outcome.status in ("error", "denied"), outcome.text
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")) == before
    assert (ws / "dir" / "private.txt").read_text() == f"the {SECRET}\n"


async def test_a_link_to_a_denied_file_is_denied(ws: Path) -> None:
    (ws / "innocent.txt").symlink_to("vault/key.txt")
    outcome = await shell(ws, "cat innocent.txt")  # its target is never named, even in a preview
    assert outcome.status == "error" and "deny rule" in outcome.text
    outcome = await shell(ws, "grep -r TOPSECRET .")  # grep -r does not follow links
    assert SECRET not in outcome.text


async def test_allowed_work_around_denied_files_still_runs(ws: Path) -> None:
    outcome = await shell(ws, "cp dir/ok.txt a.txt copy.txt dir/diary/../../copied")
    assert outcome.status == "error"  # the destination is not a folder: plain GNU error
    (ws / "out").mkdir()
    outcome = await shell(ws, "cp dir/ok.txt a.txt out")
    assert outcome.status == "done", outcome.text
    assert (ws / "out" / "ok.txt").read_text() == "the public\n"
