"""grep runs a pattern in Python's re (no time limit) only where the pattern's shape bounds the
work; elsewhere in regex with the time limit. Both give GNU's output: checked here for patterns
on each side of that line, and patterns or inputs that would run long are still stopped."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.support.shell_oracle import oracle, run_bytes, tool_run
from tools.base import ToolError
from tools.shell_lite import ShellLimits

TEXT = (
    b"user=42 error: disk full\n"
    b"warning 12 user=4242 retry\n"
    b"abcd ab a abab\n"
    b"\n"
    b"xxxyxx x_y x-y\n"
    b"Error ERROR eRRor\n"
    b"warn 7 warning 99 warn\n"
    b"  lead  tab\there\n"
    b"aaa\n"
    b"ab abc abcd bcd"
)

CASES = [
    "grep -c error",
    "grep -vc error",
    "grep -ci error",
    "grep -c ''",
    "grep -vc ''",
    "grep -c -e error -e warn -e '^$'",
    "grep -F -c -e ab -e 'x-y' -e ''",
    "grep -F -e ab -e user -e x",
    "grep -F -v -e ab -e user",
    "grep -F -o -e ab -e abc",
    "grep -n -e a -e x",
    "grep -E -c 'warn(ing)? [0-9]+'",
    "grep -E -o 'warn(ing)? [0-9]+'",
    "grep -o 'user=[0-9]*'",
    "grep -o 'x*'",
    "grep -c 'x*$'",
    "grep -E -o 'a|ab'",
    "grep -E -o '(a|ab)(c|bcd)'",
    "grep -E -o 'ab?a?b*'",
    "grep -E -o 'x?x'",
    "grep -E -w -o '[a-z]+'",
    "grep -E -w -c 'a[b-d]*'",
    "grep -E -x 'a+'",
    "grep -E -x -c '.*y.*'",
    "grep -E -c '^a.*b'",
    "grep -E -c 'a.*b'",
    "grep -c '\\(ab\\)\\1'",
    "grep -E -o '(ab)\\1'",
    "grep -E -c 'x{1,3}y'",
    "grep -E -c '[[:space:]]tab'",
    "grep -E -io 'error|warn'",
    "grep -i -o 'e[r]*o'",
    "grep -n -v 'a'",
    "grep -l 'disk'",
    "grep -q 'disk'",
    "grep -m 2 -n 'a'",
]


@pytest.mark.skipif(shutil.which("grep") is None, reason="needs GNU grep")
@pytest.mark.parametrize("command", CASES)
def test_both_engines_print_what_gnu_prints(workspace_dir: Path, command: str) -> None:
    (workspace_dir / "t.txt").write_bytes(TEXT)  # the last line has no newline
    line = command + " t.txt"
    gnu = oracle(workspace_dir, line)
    assert run_bytes(workspace_dir, line) == (gnu.stdout, gnu.returncode), line
    piped = "cat t.txt | " + command  # the same through a pipe
    gnu = oracle(workspace_dir, piped)
    assert run_bytes(workspace_dir, piped) == (gnu.stdout, gnu.returncode), piped


@pytest.mark.parametrize("lines", [1, 4096], ids=["one 2 MB line", "2 MB of short lines"])
@pytest.mark.parametrize(
    "pattern",
    [
        "(x+x+)+y",  # nested: exponential in a backtracking engine
        "x*x*x*x*y",  # several unbounded repetitions: polynomial
        "x.*x.*y",
        "x{0,300}x{0,300}y",  # bounded, but too many combinations
        "(x|xx)*y",
        "x{0,255}y",
        "x?x?x?x?x?x?[0-9]",  # few enough combinations for re, each tried at every position
        "[a-x]{0,60}[yz]",
    ],
)
def test_patterns_that_could_run_long_are_stopped_in_time(
    workspace_dir: Path, pattern: str, lines: int
) -> None:
    (workspace_dir / "x.txt").write_bytes((b"x" * ((2 << 20) // lines) + b"\n") * lines)
    started = time.monotonic()
    try:
        result = tool_run(workspace_dir, f"grep -cE '{pattern}' x.txt", ShellLimits(timeout=0.5))
    except ToolError as exc:
        assert "time limit" in str(exc)
    else:
        assert result.output.startswith("0\n")  # found quickly (no match): also fine
    assert time.monotonic() - started < 8
