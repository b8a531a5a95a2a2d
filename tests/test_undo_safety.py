"""Undo never follows a symbolic link swapped in, never writes over a change made after its
preview, and keeps to the deny rules: the real gate, journal and restore tool."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.agent.approval import Decision
from assistant.config import DenyRule, Settings
from assistant.runtime import start_session
from assistant.undo import undo_args
from tests.support.approvers import ScriptedApprover
from tests.support.undo_path import journal, shown, snapshot, tool, undo
from tools.base import Action
from tools.restore import RestoreTool
from tools.safe_tree import LinkOnPath, SafeTree
from tools.workspace import Workspace


def undo_in_session(
    ws: Path, action_id: str, answer: Callable[[Action], Decision], settings: Settings | None = None
) -> tuple[str, str]:
    """The app's undo path: undo_args, then restore through a gate whose approver is ``answer``."""
    return asyncio.run(_undo_in_session(ws, action_id, answer, settings))


async def _undo_in_session(
    ws: Path, action_id: str, answer: Callable[[Action], Decision], settings: Settings | None
) -> tuple[str, str]:
    rt = start_session(
        settings or Settings(),
        approver=ScriptedApprover(answer),
        tools={"restore": RestoreTool()},
        workspace=ws,
    )
    try:
        args, _ = undo_args(rt.journal, action_id)
        outcome = await rt.gate.execute("restore", args)
    finally:
        rt.journal.close()
    return outcome.status, outcome.text


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    (workspace_dir / "d" / "e").mkdir(parents=True)
    (workspace_dir / "d" / "e" / "f.txt").write_bytes(b"f\n")
    (workspace_dir / "other").mkdir()
    (workspace_dir / "other" / "keep.txt").write_bytes(b"keep\n")
    return workspace_dir


def test_a_link_in_place_of_a_removed_folder_is_not_followed(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tool(ws, "shell", {"command": "rm -r d"})
    os.symlink("other", ws / "d")
    swapped = snapshot(ws)
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 1
    assert "symbolic link" in shown(capsys)
    assert snapshot(ws) == swapped, "nothing may be written through the link"


def test_a_link_on_the_path_of_a_created_file_is_not_followed(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tool(ws, "shell", {"command": "echo hi > d/e/new.txt"})
    os.rename(ws / "d" / "e", ws / "moved")
    (ws / "other" / "new.txt").write_bytes(b"hi\n")  # what the undo would delete through a link
    os.symlink("../other", ws / "d" / "e")
    swapped = snapshot(ws)
    assert undo(action, "--approve", "all", "--force") == 1
    assert "symbolic link" in shown(capsys)
    assert snapshot(ws) == swapped


def test_a_link_in_place_of_a_created_file_is_not_removed_or_followed(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tool(ws, "shell", {"command": "echo hi > made.txt"})
    os.unlink(ws / "made.txt")
    os.symlink("other/keep.txt", ws / "made.txt")
    swapped = snapshot(ws)
    assert undo(action, "--approve", "all", "--force") == 1
    assert "symbolic link" in shown(capsys)
    assert snapshot(ws) == swapped


def test_a_link_swapped_in_while_the_person_reads_the_preview(ws: Path) -> None:
    action = tool(ws, "shell", {"command": "rm -r d"})

    def swap_then_approve(a: Action) -> Decision:
        assert "recreate folder d/" in a.preview.text
        os.symlink("other", ws / "d")
        return Decision("approve")

    status, text = undo_in_session(ws, action, swap_then_approve)
    assert status == "failed" and "symbolic link" in text
    assert sorted(os.listdir(ws / "other")) == ["keep.txt"]
    assert os.path.islink(ws / "d")


def test_a_change_made_after_the_preview_is_never_overwritten(ws: Path) -> None:
    action = tool(ws, "shell", {"command": "echo more >> d/e/f.txt"})

    def edit_then_approve(a: Action) -> Decision:
        assert "-more" in a.preview.text and not a.needs_person
        (ws / "d" / "e" / "f.txt").write_bytes(b"f\nmore\nwritten during the preview\n")
        return Decision("approve")

    status, text = undo_in_session(ws, action, edit_then_approve)
    assert status == "failed" and "changed since the undo's preview" in text
    assert (ws / "d" / "e" / "f.txt").read_bytes() == b"f\nmore\nwritten during the preview\n"


def test_a_person_approving_in_the_app_undoes_over_later_changes(ws: Path) -> None:
    action = tool(ws, "shell", {"command": "mkdir -p a/b"})
    (ws / "a" / "b" / "mine.txt").write_bytes(b"mine\n")
    asked: list[Action] = []

    def person(a: Action) -> Decision:
        asked.append(a)
        return Decision("approve")

    status, _ = undo_in_session(ws, action, person)
    assert status == "done" and not (ws / "a").exists()
    assert asked[0].needs_person and "a/b/mine.txt" in asked[0].needs_person
    assert asked[0].preview.data["changed_since"] == ["a/b/mine.txt"]


def test_a_denied_file_made_since_is_refused_without_naming_it(ws: Path) -> None:
    action = tool(ws, "shell", {"command": "mkdir -p a/b"})
    (ws / "a" / "b" / "secret-plans.txt").write_bytes(b"x\n")
    settings = Settings(deny=(DenyRule(target="path:a/b/secret*"),))

    def never(a: Action) -> Decision:
        raise AssertionError("a refused undo must not reach the approver")

    status, text = undo_in_session(ws, action, never, settings)
    assert status == "error" and "deny rule" in text and "secret" not in text
    assert (ws / "a" / "b" / "secret-plans.txt").exists()


class _SwappedAfterCheck(SafeTree):
    """A link swapped in after the path was checked: only the descriptor walk stands guard."""

    def check(self, rel: str) -> str:
        return rel


def test_every_file_operation_refuses_a_folder_link_swapped_in_after_the_check(ws: Path) -> None:
    os.symlink("other", ws / "lnk")
    tree = _SwappedAfterCheck(Workspace(ws))
    before = snapshot(ws)
    for op in (
        lambda: tree.write("lnk/x.txt", b"x", 0o644),
        lambda: tree.mkdir("lnk/sub", 0o700),
        lambda: tree.unlink("lnk/keep.txt"),
        lambda: tree.rmdir("lnk/sub"),
        lambda: tree.chmod_dir("lnk", 0o700),
        lambda: tree.read("lnk/keep.txt"),
        lambda: tree.read("lnk"),
    ):
        with pytest.raises((LinkOnPath, OSError)):
            op()
    assert snapshot(ws) == before


def test_writing_over_a_link_replaces_the_link_not_its_target(ws: Path) -> None:
    os.symlink("other/keep.txt", ws / "lnk")
    SafeTree(Workspace(ws)).write("lnk", b"new\n", 0o640)
    assert not os.path.islink(ws / "lnk") and (ws / "lnk").read_bytes() == b"new\n"
    assert (ws / "other" / "keep.txt").read_bytes() == b"keep\n"
    assert os.stat(ws / "lnk").st_mode & 0o7777 == 0o640


@pytest.mark.parametrize(
    "path", ["../outside.txt", "/etc/hostname", "a/../../outside.txt", "./x", "a//b", "home/x"]
)
def test_a_tampered_record_cannot_reach_outside_the_workspace(
    ws: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths in the journal are untrusted too: outside the workspace, unnormalised, or the
    assistant's own data (here ASSISTANT_HOME, moved inside the workspace) are refused."""
    monkeypatch.setenv("ASSISTANT_HOME", str(ws / "home"))
    (ws / "home" / "x").mkdir(parents=True)
    with journal() as j:
        sid = j.create_session(model=None, workspace=str(ws))
        j.append(sid, "action.proposed", {"action_id": "feedfacecafe", "tool": "shell"})
        blobs = {path: j.put_blob(b"x"), "ok.txt": j.put_blob(b"x")}
        j.append(sid, "action.result", {"action_id": "feedfacecafe", "ok": True, "blobs": blobs})
    outside = ws.parent / "outside.txt"
    before = {k: v for k, v in snapshot(ws.parent).items() if not k.startswith("ws/home/data")}
    assert undo("feedfacecafe", "--approve", "all", "--force") != 0
    after = {k: v for k, v in snapshot(ws.parent).items() if not k.startswith("ws/home/data")}
    assert after == before and not outside.exists()


def test_a_file_with_another_hard_link_is_not_undone_over(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tool(ws, "shell", {"command": "echo hi > notes.txt"})
    outside = tmp_path / "outside.txt"
    os.link(ws / "notes.txt", outside)  # a door from the workspace to a file outside
    capsys.readouterr()
    assert undo(action, "--approve", "all", "--force") != 0
    assert "hard links" in shown(capsys)
    assert outside.read_bytes() == b"hi\n" and (ws / "notes.txt").exists()
