"""Bounds: output cut with a marker, pipes capped, runaway commands stopped, odd files refused."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support.shell_oracle import tool_run
from tools.base import ToolError
from tools.shell_lite import ShellLimits


def test_output_is_cut_with_a_marker(workspace_dir: Path) -> None:
    (workspace_dir / "big.txt").write_bytes(b"0123456789abcdef\n" * 20_000)  # 340 KB
    result = tool_run(workspace_dir, "cat big.txt")
    body, marker = result.output.rsplit("\n", 2)[0], result.output.rsplit("\n", 2)[1]
    assert marker == "[output cut at 64 KB]"
    assert len(body.encode()) <= 64 * 1024
    assert result.data["truncated"] is True and result.ok


def test_small_output_is_not_marked(workspace_dir: Path) -> None:
    (workspace_dir / "f.txt").write_text("x\n")
    result = tool_run(workspace_dir, "cat f.txt")
    assert result.output == "x\n" and result.data["truncated"] is False


def test_what_a_stage_keeps_is_capped_not_what_flows(workspace_dir: Path) -> None:
    (workspace_dir / "big.txt").write_bytes(b"line\n" * 1000)
    assert tool_run(workspace_dir, "cat big.txt | wc -l", ShellLimits(pipe=1000)).output == "1000\n"
    with pytest.raises(ToolError, match="tail -n 500 would keep over 1000 B of the input"):
        tool_run(workspace_dir, "cat big.txt | tail -n 500", ShellLimits(pipe=1000))
    (workspace_dir / "long.txt").write_bytes(b"x" * 300_000 + b"\n")  # longer than a read
    with pytest.raises(ToolError, match="grep: a line longer than 97 KB"):
        tool_run(workspace_dir, "cat long.txt | grep x", ShellLimits(pipe=100_000))


def test_catastrophic_regex_is_stopped_by_the_time_limit(workspace_dir: Path) -> None:
    (workspace_dir / "x.txt").write_bytes(b"x" * 5000 + b"\n")
    started = time.monotonic()
    with pytest.raises(ToolError, match="time limit"):
        tool_run(workspace_dir, "grep -E '(x+x+)+y' x.txt", ShellLimits(timeout=0.3))
    assert time.monotonic() - started < 5


def test_walks_check_the_deadline(workspace_dir: Path) -> None:
    for i in range(50):
        (workspace_dir / f"d{i}").mkdir()
    for command in ("find .", "ls -R", "grep -r x", "rm -r d1", "cp -r d1 d2"):
        with pytest.raises(ToolError, match="time limit"):
            tool_run(workspace_dir, command, ShellLimits(timeout=0))


def test_fifo_is_refused_not_waited_on(workspace_dir: Path) -> None:
    os.mkfifo(workspace_dir / "pipe")
    result = tool_run(workspace_dir, "cat pipe")
    assert not result.ok and "not a regular file" in result.output
    with pytest.raises(ToolError, match="not a regular file"):
        tool_run(workspace_dir, "echo x > pipe")


def test_binary_output_is_escaped_for_the_model(workspace_dir: Path) -> None:
    (workspace_dir / "b.dat").write_bytes(b"ok\xff\xfe\n")
    assert tool_run(workspace_dir, "cat b.dat").output == "ok\\xff\\xfe\n"


def test_grep_binary_file_message(workspace_dir: Path) -> None:
    (workspace_dir / "b.dat").write_bytes(b"abc\x00def\n")
    result = tool_run(workspace_dir, "grep abc b.dat")
    assert result.ok and result.output == "grep: b.dat: binary file matches\n"


def test_command_needing_input_without_any(workspace_dir: Path) -> None:
    with pytest.raises(ToolError, match="no input"):
        tool_run(workspace_dir, "sort")
