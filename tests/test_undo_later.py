"""Undo is honest about changes made after the action: the preview shows what would be lost,
`--approve all` alone never undoes over them, a person or `--force` can, and that undo is
itself undoable. Real path: tool through the gate, journal, `assistant undo`, restore."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.journal import Journal
from tests.support.pty import run_in_pty
from tests.support.undo_path import journal, last_action, shown, snapshot, tool, undo

CREATES = [
    ("shell", {"command": "echo hi > notes.txt"}),
    ("csv_write", {"path": "notes.txt", "mode": "create", "rows": [["hi"]]}),
]


@pytest.mark.parametrize(("name", "args"), CREATES, ids=["shell", "csv_write"])
def test_undo_of_a_create_never_silently_deletes_later_edits(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str], name: str, args: dict[str, Any]
) -> None:
    before = snapshot(workspace_dir)
    action = tool(workspace_dir, name, args)
    note = workspace_dir / "notes.txt"
    with note.open("ab") as fh:
        fh.write(b"my own edit\n")
    edited = snapshot(workspace_dir)
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 3
    out = err = shown(capsys)
    assert snapshot(workspace_dir) == edited, "the edits were deleted"
    assert "WOULD BE LOST" in out
    assert "notes.txt was edited after the action; these later edits would be lost:" in out
    assert "  │ +my own edit" in out, "the preview must show the later edits as a diff"
    assert "--force" in err
    assert undo(action, "--force", "--approve", "all") == 0
    out = shown(capsys)
    assert "--force: the changes made after the action, shown below, will be lost." in out
    assert snapshot(workspace_dir) == before
    assert undo(last_action("restore"), "--approve", "all") == 0  # the edits come back
    assert snapshot(workspace_dir) == edited


def test_later_edits_to_an_overwritten_file_are_shown_and_kept(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace_dir / "data.csv").write_bytes(b"id,name\n1,ann\n")
    action = tool(
        workspace_dir,
        "csv_write",
        {"path": "data.csv", "mode": "overwrite", "rows": [["id", "name"], ["2", "bob"]]},
    )
    (workspace_dir / "data.csv").write_bytes(b"id,name\n2,bob\n3,later\n")
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 3
    out = shown(capsys)
    assert "  │ +3,later" in out
    assert (workspace_dir / "data.csv").read_bytes() == b"id,name\n2,bob\n3,later\n"


def test_files_made_since_inside_a_folder_the_undo_removes(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workspace_dir)
    action = tool(workspace_dir, "shell", {"command": "mkdir -p a/b"})
    (workspace_dir / "a" / "b" / "later").mkdir()
    (workspace_dir / "a" / "b" / "later" / "mine.txt").write_bytes(b"keep me\n")
    made = snapshot(workspace_dir)
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 3
    out = shown(capsys)
    assert snapshot(workspace_dir) == made
    assert "a/b/later/mine.txt (file, 8 B) was made after the action inside a/b/later/" in out
    assert undo(action, "--approve", "all", "--force") == 0
    assert snapshot(workspace_dir) == before
    assert undo(last_action("restore"), "--approve", "all") == 0
    assert snapshot(workspace_dir) == made


def test_a_mode_changed_since_is_a_later_change(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tool(workspace_dir, "shell", {"command": "echo '#!/bin/sh' > run.sh"})
    os.chmod(workspace_dir / "run.sh", 0o755)
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 3
    assert "its mode was changed after the action (644 → 755)" in shown(capsys)
    assert (workspace_dir / "run.sh").exists()


def test_a_file_made_again_where_the_action_removed_one(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace_dir / "d").mkdir()
    (workspace_dir / "d" / "f.txt").write_bytes(b"old\n")
    action = tool(workspace_dir, "shell", {"command": "rm -r d"})
    (workspace_dir / "d").mkdir()
    (workspace_dir / "d" / "f.txt").write_bytes(b"new work\n")
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 3
    out = shown(capsys)
    assert "d/f.txt: the action left nothing here; it is now a file" in out
    assert (workspace_dir / "d" / "f.txt").read_bytes() == b"new work\n"


def test_a_deletion_since_loses_nothing_so_it_needs_no_person(workspace_dir: Path) -> None:
    (workspace_dir / "log.txt").write_bytes(b"one\n")
    action = tool(workspace_dir, "shell", {"command": "echo two >> log.txt"})
    os.unlink(workspace_dir / "log.txt")
    assert undo(action, "--approve", "all") == 0
    assert (workspace_dir / "log.txt").read_bytes() == b"one\n"


def test_undoing_twice_says_there_is_nothing_left_to_undo(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tool(workspace_dir, "shell", {"command": "echo hi > new.txt"})
    assert undo(action, "--approve", "all") == 0
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 1
    assert "nothing to undo" in shown(capsys)


def test_a_person_at_the_console_may_undo_over_later_changes(
    assistant_home: Path, workspace_dir: Path, shared_keyring: dict[str, str]
) -> None:
    action = tool(workspace_dir, "shell", {"command": "echo hi > notes.txt"})
    (workspace_dir / "notes.txt").write_bytes(b"hi\nmine\n")
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home), **shared_keyring}
    rc, screen = run_in_pty(["undo", action], ["y"], env)
    assert "WOULD BE LOST" in screen and "+mine" in screen and "[y] approve" in screen
    assert rc == 0, screen
    assert not (workspace_dir / "notes.txt").exists()


def test_an_action_recorded_in_the_old_format_is_still_undone(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Journals written before after-states were kept: blobs only, "dir/" keys for folders."""
    (workspace_dir / "keep.txt").write_bytes(b"k\n")
    (workspace_dir / "d" / "e").mkdir(parents=True)
    (workspace_dir / "d" / "e" / "f.txt").write_bytes(b"f\r\n")
    before = snapshot(workspace_dir)
    with journal() as j:
        blobs = {"d/": j.put_blob(b""), "d/e/": j.put_blob(b""), "d/e/f.txt": j.put_blob(b"f\r\n")}
        blobs.update({"keep.txt": j.put_blob(b"k\n"), "made.txt": None})
        _old_action(j, workspace_dir, "0123456789ab", blobs)
    shutil.rmtree(workspace_dir / "d")  # what that action did: rm -r d keep.txt; made made.txt
    os.unlink(workspace_dir / "keep.txt")
    (workspace_dir / "made.txt").write_bytes(b"made\n")
    assert undo("0123456789ab", "--approve", "all") == 3  # no after-state: a person decides
    assert "recorded without the state it left" in shown(capsys)
    assert undo("0123456789ab", "--approve", "all", "--force") == 0
    assert snapshot(workspace_dir) == before


def _old_action(j: Journal, ws: Path, action_id: str, blobs: dict[str, str | None]) -> None:
    sid = j.create_session(model=None, workspace=str(ws))
    j.append(
        sid,
        "action.proposed",
        {"action_id": action_id, "tool": "shell", "effect": "write", "targets": []},
    )
    j.append(
        sid, "action.result", {"action_id": action_id, "ok": True, "output": "", "blobs": blobs}
    )


def test_a_folder_made_in_place_of_a_removed_file(
    workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace_dir / "a.txt").write_bytes(b"pear\napple\n")
    before = snapshot(workspace_dir)
    action = tool(workspace_dir, "shell", {"command": "rm a.txt"})
    (workspace_dir / "a.txt").mkdir()
    (workspace_dir / "a.txt" / "inner").write_bytes(b"new")
    later = snapshot(workspace_dir)
    assert undo(action, "--approve", "all") == 3
    assert "it is now a folder" in shown(capsys)
    assert snapshot(workspace_dir) == later
    assert undo(action, "--approve", "all", "--force") == 0
    assert snapshot(workspace_dir) == before
    assert undo(last_action("restore"), "--approve", "all") == 0
    assert snapshot(workspace_dir) == later
