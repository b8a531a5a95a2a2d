"""Globs and recursive walks never follow a symbolic link out of the workspace or around a loop:
a pattern that would need to look through a link out is refused (naming the link, never what
lies outside), a loop is bounded, walks do not follow links at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.base import ToolContext, ToolError
from tools.shell_lite import ShellLimits, ShellTool
from tools.shell_lite.globbing import MAX_MATCHES
from tools.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "stolen.txt").write_text("outside secret\n")
    root = tmp_path / "ws"
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "dir" / "sub" / "f.txt").write_text("inside\n")
    (root / "out").symlink_to(outside)
    (root / "dir" / "up").symlink_to("../..")
    (root / "self").symlink_to(".")
    (root / "dir" / "loop").symlink_to("loop")
    return root


def run(ws: Path, command: str, limits: ShellLimits | None = None) -> str:
    tool = ShellTool(limits)
    ctx = ToolContext(workspace=Workspace(ws))
    try:
        return tool.run(tool.plan({"command": command}, ctx), ctx).output
    except ToolError as exc:
        return f"refused: {exc}"


@pytest.mark.parametrize(
    "command",
    ["echo */*", "ls */", "cat out/*/*", "echo dir/up/*", "ls -d */*/*", "grep -r x out/*"],
)
def test_a_glob_that_would_look_through_a_link_out_is_refused(ws: Path, command: str) -> None:
    text = run(ws, command)
    assert text.startswith("refused: ")
    assert "stolen" not in text and "inner" not in text and "outside secret" not in text
    assert str(ws.parent) not in text


def test_a_last_component_link_out_is_only_a_name(ws: Path) -> None:
    """bash expands a link's name without looking at its target; so does shell-lite. Using it
    is refused (ls -d would not follow it, but the read preview would)."""
    assert run(ws, "echo o*") == "out\n"
    assert run(ws, "ls -d o*") in ("out\n", "refused: 'out' is outside the workspace")
    assert run(ws, "cat o*").startswith("refused: ")


def test_a_loop_through_a_link_is_bounded(tmp_path: Path) -> None:
    ws = tmp_path / "loops"
    (ws / "dir" / "sub").mkdir(parents=True)
    (ws / "dir" / "sub" / "f.txt").write_text("inside\n")
    (ws / "self").symlink_to(".")
    (ws / "dir" / "back").symlink_to("..")
    text = run(ws, "echo " + "self/" * 30 + "dir/sub/*.txt")
    assert text == "self/" * 30 + "dir/sub/f.txt\n"
    # the count bounds it, not the clock (a loaded machine would reach the time limit first)
    many = run(ws, "echo " + "*/" * 30 + "*", ShellLimits(timeout=300))
    assert many.startswith("refused: ") and f"more than {MAX_MATCHES}" in many


@pytest.mark.parametrize(
    "command", ["find .", "grep -r inside .", "ls -R", "find self -name f.txt"]
)
def test_walks_do_not_follow_links(ws: Path, command: str) -> None:
    text = run(ws, command)
    assert "stolen" not in text and "outside secret" not in text
    assert text.count("f.txt") <= 1, text
    assert len(text) < 10_000


def test_an_unreadable_loop_is_reported_as_gnu_does(ws: Path) -> None:
    assert "Too many levels of symbolic links" in run(ws, "cat dir/loop")
    assert run(ws, "ls -l dir/loop").startswith("l")
    assert os.path.islink(ws / "dir" / "loop")
