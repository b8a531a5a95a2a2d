"""Helpers for the shell-lite tests (no tests here): a sample tree, our tool, the coreutils oracle."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

from tools.base import Result, ToolContext
from tools.shell_lite import ShellLimits, ShellTool
from tools.shell_lite.lexer import parse
from tools.shell_lite.pipeline import execute, prepare
from tools.shell_lite.vfs import VirtualFS
from tools.workspace import Workspace

ORACLE_ENV = {"LC_ALL": "C", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}

WORDS = [
    "the",
    "The",
    "cat",
    "sat",
    "on",
    "mat",
    "a",
    "b",
    "ab",
    "abc",
    "x1",
    "foo_bar",
    "Zeta",
    "zeta",
    "10",
    "9",
    "-3",
    "alpha.beta",
    "tab\there",
    "",
    "  lead",
]


def make_tree(root: Path, seed: int = 7) -> Path:
    """A workspace with the awkward inputs coreutils has opinions about."""
    rng = random.Random(seed)
    lines = []
    for _ in range(120):
        count = rng.randint(0, 6)
        sep = rng.choice([" ", "  ", "\t", " "])
        lines.append(sep.join(rng.choice(WORDS) for _ in range(count)))
    (root / "words.txt").write_text("\n".join(lines) + "\n")
    nums = [
        "10",
        "9",
        "-3",
        "  42",
        "3.5",
        "-0",
        "0",
        "+5",
        "1e3",
        "abc",
        "",
        "007",
        "-.5",
        ".25",
        "12345678901234567890",
        "2 apples",
        "2 pears",
        "-",
        "1.",
        "\t8",
    ]
    rng.shuffle(nums)
    (root / "nums.txt").write_text("\n".join(nums) + "\n")
    fields = ["a:b:c", "x::z", "nodelim", ":lead", "trail:", "1:2:3:4:5", "b:a:c", "a:B:c", "::"]
    (root / "fields.txt").write_text("\n".join(fields * 2) + "\n")
    (root / "tabs.tsv").write_text("n\tv\tw\nb\t2\tz\na\t10\ty\nc\t1\nsolo\n")
    (root / "noeol.txt").write_bytes(b"first line\nsecond line\nlast without newline")
    (root / "empty.txt").write_bytes(b"")
    (root / "bin.dat").write_bytes(b"abc\x00def\nghi abc\n\xff\xfe text\n")
    (root / "high.txt").write_bytes(b"caf\xc3\xa9 na\xefve\n\x80\x81 \x01\x02 ok\n\x7f\n")
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\n\r\nthree\r\n")
    (root / "dir" / "sub" / "deeper").mkdir(parents=True)
    (root / "dir" / "a.txt").write_text("alpha\nthe end\n")
    (root / "dir" / ".hidden").write_text("secret the\n")
    (root / "dir" / "sub" / "b.txt").write_text("beta\nThe cat\n")
    (root / "dir" / "sub" / "deeper" / "c.md").write_text("gamma the\n")
    (root / "dir" / "B.TXT").write_text("upper\n")
    (root / "emptydir").mkdir()
    long_lines = [f"{i} {rng.choice(WORDS)} {'x' * rng.randint(0, 90)}" for i in range(6000)]
    (root / "long.txt").write_text("\n".join(long_lines))  # ~330 KB, no final newline
    return root


def tool_run(ws: Path, command: str, limits: ShellLimits | None = None) -> Result:
    """Plan then run, as the agent does."""
    tool = ShellTool(limits)
    ctx = ToolContext(workspace=Workspace(ws))
    action = tool.plan({"command": command}, ctx)
    return tool.run(action, ctx)


def run_bytes(ws: Path, command: str) -> tuple[bytes, int]:
    """The exact stdout bytes and exit status of a read-only command line (the run path)."""
    pipeline = parse(command)
    fs = VirtualFS(Workspace(ws))
    prepared = prepare(pipeline, fs)
    outcome = execute(pipeline, prepared, fs, ShellLimits(output=1 << 30), time.monotonic() + 60)
    return outcome.stdout, outcome.status


def oracle(ws: Path, command: str) -> subprocess.CompletedProcess[bytes]:
    """The same command line under bash and GNU coreutils, in the C locale."""
    return subprocess.run(
        ["bash", "-c", command], cwd=ws, env=ORACLE_ENV, capture_output=True, timeout=20
    )
