"""Stages stream into each other: pipelines over input bigger than what a stage may keep give
GNU's bytes, a downstream head stops the stages before it, and streaming keeps bash's redirect
rules (the target is opened first; an earlier stage that reads it is refused)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.support.shell_oracle import oracle, tool_run
from tools.base import ToolError
from tools.shell_lite import ShellLimits
from tools.shell_lite.lexer import parse
from tools.shell_lite.pipeline import PipelineOutcome, execute, prepare
from tools.shell_lite.vfs import VirtualFS
from tools.workspace import Workspace

KEEP = 256 << 10
"""What one stage may keep (``ShellLimits.pipe``) in these tests: the input is over 10 times that."""
LIMITS = ShellLimits(pipe=KEEP, output=64 << 10)

needs_gnu = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash + coreutils")


@pytest.fixture
def big(workspace_dir: Path) -> Path:
    lines = [b"%07d %s level=%d\n" % (i, b"abcdefgh"[i % 8 :] * 3, i % 7) for i in range(100_000)]
    data = b"".join(lines)
    assert len(data) > 10 * KEEP
    (workspace_dir / "big.txt").write_bytes(data)
    (workspace_dir / "noeol.txt").write_bytes(data + b"tail without newline")
    return workspace_dir


def run(ws: Path, command: str, limits: ShellLimits = LIMITS) -> PipelineOutcome:
    """The run path of a read-only command line, keeping the per-stage figures."""
    pipeline = parse(command)
    fs = VirtualFS(Workspace(ws))
    return execute(pipeline, prepare(pipeline, fs), fs, limits, time.monotonic() + 60)


@needs_gnu
@pytest.mark.parametrize(
    "command",
    [
        "head -n 90000 big.txt | tail",
        "cat big.txt | head -n 90000 | tail -n 3",
        "cat noeol.txt | head -n 100000 | tail -c 30",
        "cat big.txt | head -c 3000000 | tail -n 2",
        "cat noeol.txt | tail -n 4",
        "cat noeol.txt | tail -n +99998",
        "cat big.txt | tail -c +3000000",
        "cat noeol.txt | head -n -2 | tail -n 2",
        "cat big.txt | head -c -1000 | tail -c 20",
        "cat big.txt | grep -c 'level=3'",
        "cat noeol.txt | grep -v 'level=[0-5]' | wc",
        "cat big.txt | cut -d' ' -f3 | sort | uniq -c",
        "cat big.txt | cat -n | tail -n 2",
        "cat big.txt | sort -r | head -n 3",
        "grep -o 'level=[0-9]' big.txt | sort -u",
        "cat big.txt | uniq -c | wc -l",
    ],
)
def test_pipelines_over_more_than_a_stage_keeps_match_gnu(big: Path, command: str) -> None:
    gnu = oracle(big, command)
    result = tool_run(big, command, ShellLimits(pipe=KEEP, output=1 << 30))
    assert result.output.encode() == gnu.stdout, command
    assert result.data["exit_status"] == gnu.returncode


def test_a_downstream_head_stops_the_stages_before_it(big: Path) -> None:
    size = (big / "big.txt").stat().st_size
    outcome = run(big, "cat big.txt | grep 0 | head -n 2")
    assert (
        outcome.stdout
        == b"0000000 abcdefghabcdefghabcdefgh level=0\n0000001 bcdefghbcdefghbcdefgh level=1\n"
    )
    cat, grep, head = outcome.produced
    assert cat <= 2 * (64 << 10) < size  # cat read one block or two, not 3 MB
    assert grep < cat and head == len(outcome.stdout)
    # without the head, the same stages read everything
    assert run(big, "cat big.txt | grep 0 | wc -l").produced[0] == size


def test_the_model_output_cap_stops_the_stages_too(big: Path) -> None:
    size = (big / "big.txt").stat().st_size
    outcome = run(big, "cat big.txt | sort -r | cat")
    assert outcome.truncated and len(outcome.stdout) == 64 << 10
    assert outcome.produced[0] == size  # sort needs all its input
    assert outcome.produced[1] < size // 4  # but its output was taken only up to the cap


@needs_gnu
def test_standard_input_is_read_once(workspace_dir: Path) -> None:
    (workspace_dir / "f.txt").write_bytes(b"one\ntwo\n")
    for command in ("cat f.txt | cat - -", "cat f.txt | cat - f.txt -", "cat f.txt | wc -l - -"):
        gnu = oracle(workspace_dir, command)
        assert run(workspace_dir, command).stdout == gnu.stdout, command


def test_an_earlier_stage_stopped_early_still_may_not_race_the_redirect(big: Path) -> None:
    (big / "f.txt").write_bytes(b"keep me\n")
    with pytest.raises(ToolError, match="redirect at the end empties"):
        tool_run(big, "cat big.txt f.txt | head -n 1 > f.txt")
    assert (big / "f.txt").read_bytes() == b"keep me\n"
    result = tool_run(big, "cat big.txt | head -n 1 > out.txt")
    assert (
        result.ok
        and (big / "out.txt").read_bytes() == b"0000000 abcdefghabcdefghabcdefgh level=0\n"
    )
