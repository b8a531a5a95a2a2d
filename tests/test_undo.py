"""`assistant undo`: a previewed, journaled write that restores the exact bytes of before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.journal import Journal
from tests.support.undo_path import shown

ORIGINAL = (
    b"id;name\r\n1;caf\xe9\r\n2;=SUM(A1)\r\n"  # cp1252, semicolons, CRLF: bytes that must survive
)


def last_action(home: Path, tool: str) -> str:
    with Journal(home / "data" / "journal.sqlite3") as j:
        for session in j.sessions(limit=100):
            for e in reversed(j.events(session.id)):
                if e.kind == "action.proposed" and e.payload["tool"] == tool:
                    return e.payload["action_id"]
    raise AssertionError(f"no {tool} action")


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("shell", {"command": "echo appended >> data.csv"}),
        ("shell", {"command": "rm data.csv"}),
        (
            "csv_write",
            {"path": "data.csv", "mode": "append", "rows": [["id", "name"], ["3", "new"]]},
        ),
        (
            "csv_write",
            {"path": "data.csv", "mode": "overwrite", "rows": [["id", "name"], ["9", "other"]]},
        ),
    ],
)
def test_undo_restores_the_exact_bytes(
    assistant_home: Path,
    workspace_dir: Path,
    capsys: pytest.CaptureFixture[str],
    tool: str,
    args: dict[str, object],
) -> None:
    target = workspace_dir / "data.csv"
    target.write_bytes(ORIGINAL)
    assert (
        main(
            ["tool", tool, json.dumps(args), "--workspace", str(workspace_dir), "--approve", "all"]
        )
        == 0
    )
    assert not target.exists() or target.read_bytes() != ORIGINAL
    action = last_action(assistant_home, tool)
    capsys.readouterr()
    assert (
        main(["undo", action[:8], "--approve", "never"]) == 3
    )  # previewed, then denied: nothing changes
    assert "data.csv" in shown(capsys)
    assert not target.exists() or target.read_bytes() != ORIGINAL
    assert main(["undo", action, "--approve", "all"]) == 0
    assert target.read_bytes() == ORIGINAL


def test_undo_of_a_created_file_removes_it_and_the_undo_is_undoable(
    assistant_home: Path, workspace_dir: Path
) -> None:
    args = json.dumps({"command": "echo hi > new.txt"})
    assert main(["tool", "shell", args, "--workspace", str(workspace_dir), "--approve", "all"]) == 0
    assert main(["undo", last_action(assistant_home, "shell"), "--approve", "all"]) == 0
    assert not (workspace_dir / "new.txt").exists()
    assert main(["undo", last_action(assistant_home, "restore"), "--approve", "all"]) == 0
    assert (workspace_dir / "new.txt").read_text() == "hi\n"


def test_reads_and_unknown_actions_cannot_be_undone(
    assistant_home: Path, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace_dir / "a.txt").write_text("x")
    assert (
        main(["tool", "shell", '{"command": "cat a.txt"}', "--workspace", str(workspace_dir)]) == 0
    )
    assert main(["undo", last_action(assistant_home, "shell")]) == 2
    assert "changed no files" in capsys.readouterr().err
    assert main(["undo", "ffffffff"]) == 2


def test_an_imported_read_only_session_cannot_be_undone(
    assistant_home: Path, workspace_dir: Path
) -> None:
    from assistant.undo import UndoError, undo_args

    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        sid = j.create_session(model=None, workspace=str(workspace_dir), meta={"read_only": True})
        j.append(
            sid,
            "action.proposed",
            {"action_id": "abcdef123456", "tool": "shell", "effect": "write", "targets": []},
        )
        j.append(
            sid,
            "action.result",
            {"action_id": "abcdef123456", "ok": True, "output": "", "blobs": {"a.txt": None}},
        )
        with pytest.raises(UndoError, match="read-only"):
            undo_args(j, "abcdef123456")
