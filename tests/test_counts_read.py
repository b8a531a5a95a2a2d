"""Counts agree with their number wherever a tool says one, as a person sees it through
`assistant tool` and `assistant undo`: "1 row · 1 column", never "1 rows · 1 columns"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from tests.support.undo_path import last_action, tool, undo


def run_tool(capsys: pytest.CaptureFixture[str], ws: Path, name: str, args: dict) -> str:
    code = main(["tool", name, json.dumps(args), "--workspace", str(ws), "--approve", "all"])
    seen = capsys.readouterr()
    out = seen.err + seen.out  # the card on stderr, the data on stdout
    assert code == 0, out
    return out


def test_one_row_and_one_column_read_as_such(
    assistant_home: Path, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace_dir / "one.csv").write_text("n\n1\n")
    read = run_tool(capsys, workspace_dir, "csv_read", {"path": "one.csv"})
    assert "✓ 1 row · 1 column · utf-8" in read
    query = run_tool(capsys, workspace_dir, "csv_query", {"sql": "select n from 'one.csv'"})
    assert "✓ 1 row · 1 column" in query
    two = run_tool(capsys, workspace_dir, "csv_query", {"sql": "select n, n from 'one.csv'"})
    assert "✓ 1 row · 2 columns" in two
    assert "rows ·" not in read + query + two and "columns ·" not in read


def test_one_cell_one_path_and_one_file_read_as_such(
    assistant_home: Path, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["v"], ["=1+1"]]
    made = run_tool(
        capsys, workspace_dir, "csv_write", {"path": "f.csv", "mode": "create", "rows": rows}
    )
    assert "! 1 cell starts with = + - @ tab or CR" in made and "1 row added" in made
    assert "1 data row now" in made
    shell = run_tool(capsys, workspace_dir, "shell", {"command": "echo hi > a.txt"})
    assert "(1 path)" in shell and "changes (1 path):" in shell
    action = tool(workspace_dir, "shell", {"command": "echo bye > a.txt"})
    capsys.readouterr()
    assert undo(action, "--approve", "all") == 0
    seen = capsys.readouterr()
    out = seen.err + seen.out  # the undo's card is a note: stderr
    assert f"undo {action}: 1 file restored" in out
    assert "file(s)" not in out and "1 files" not in out
    assert last_action("restore")
