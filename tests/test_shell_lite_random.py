"""Randomised oracle checks: many generated grep patterns and sort keys against GNU grep and sort."""

from __future__ import annotations

import random
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.shell_oracle import ORACLE_ENV, run_bytes
from tools.base import ToolError

pytestmark = pytest.mark.skipif(shutil.which("grep") is None, reason="needs GNU grep and sort")

BRE = [
    "a",
    "b",
    "c",
    ".",
    "*",
    "^",
    "$",
    "[ab]",
    "[^a]",
    "\\(",
    "\\)",
    "\\|",
    "\\{1,2\\}",
    "\\+",
    "\\?",
    "x",
    "[[:alpha:]]",
    "\\w",
    "\\<",
    "\\>",
    " ",
    "\\{2\\}",
    "\\1",
    "A",
    "\\.",
    "[.]",
]
ERE = [
    "a",
    "b",
    "c",
    ".",
    "*",
    "^",
    "$",
    "[ab]",
    "[^a]",
    "(",
    ")",
    "|",
    "{1,2}",
    "+",
    "?",
    "x",
    "[[:digit:]]",
    "\\w",
    " ",
    "{2}",
    "\\1",
    "{,2}",
    "A",
    "\\.",
    "[ ]",
]
# -o together with -w is left out: GNU's retry rule for words differs when a pattern can match
# the empty string (a documented difference); both are covered by fixed cases elsewhere.
FLAGS = ["-c", "-o", "-cv", "-cw", "-ci", "-cx", "-oi", "-n", "-on"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_grep_patterns_match_gnu_grep(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lines = ["".join(rng.choice("abcxA_1 .") for _ in range(rng.randint(0, 9))) for _ in range(300)]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    compared = refused = 0
    for _ in range(150):
        ere = rng.random() < 0.5
        pattern = "".join(rng.choice(ERE if ere else BRE) for _ in range(rng.randint(1, 6)))
        flag = rng.choice(FLAGS) + ("E" if ere else "")
        gnu = subprocess.run(
            ["grep", flag, "-e", pattern, "in.txt"],
            cwd=tmp_path,
            env=ORACLE_ENV,
            capture_output=True,
        )
        command = f"grep {flag} -e {shlex.quote(pattern)} in.txt"
        try:
            out, status = run_bytes(tmp_path, command)
        except ToolError as exc:
            # an invalid pattern for GNU, or a construct we refuse by name
            assert gnu.returncode == 2 or "not supported" in str(exc), (command, str(exc))
            refused += gnu.returncode != 2
            continue
        assert gnu.returncode != 2, (command, gnu.stderr)
        assert (out, status) == (gnu.stdout, gnu.returncode), command
        compared += 1
    assert compared >= 50  # most patterns are really compared, not refused or invalid
    assert refused < 45


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_sort_keys_match_gnu_sort(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    values = [
        "",
        " ",
        "a",
        "B",
        "b",
        "10",
        "9",
        "-2",
        "2.5",
        " 3",
        "x y",
        "ab",
        "AB",
        "-",
        "0",
        "-0",
        "\t7",
        "07",
    ]
    lines = [
        rng.choice([":", " ", "\t"]).join(rng.choice(values) for _ in range(rng.randint(0, 4)))
        for _ in range(200)
    ]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    for _ in range(150):
        opts = []
        if rng.random() < 0.5:
            opts.append("-t" + rng.choice([":", " "]))
        for _ in range(rng.randint(0, 3)):
            first = rng.randint(1, 4)
            key = str(first)
            if rng.random() < 0.3:
                key += f".{rng.randint(1, 3)}"
            key += "".join(rng.sample("bfnr", rng.randint(0, 2)))
            if rng.random() < 0.6:
                key += f",{rng.randint(first, 5)}"
                if rng.random() < 0.3:
                    key += f".{rng.randint(0, 3)}"
                key += "".join(rng.sample("bnr", rng.randint(0, 1)))
            opts.append("-k" + key)
        opts += [f"-{flag}" for flag in "nrufbs" if rng.random() < 0.2]
        command = "sort " + " ".join(shlex.quote(o) for o in opts) + " in.txt"
        gnu = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=ORACLE_ENV, capture_output=True
        )
        assert run_bytes(tmp_path, command) == (gnu.stdout, gnu.returncode), command
