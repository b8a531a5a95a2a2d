"""shell-lite against bash + GNU coreutils 9.1 / grep 3.8 (LC_ALL=C): thousands of seeded random
command lines (1-4 stage pipelines, redirects, globs, every supported flag) over a nasty
workspace (names with spaces, dashes, brackets and invalid UTF-8; no final newline; CRLF; NUL
bytes; empty files and folders; symlinks, dangling and looping). Each line runs through
``ShellTool.plan`` and ``run`` in one copy of the workspace and under bash in another: stdout
bytes, exit status and the resulting tree must be identical, or shell-lite must refuse.

Other seeds and sizes, e.g. to hunt for new classes of difference::

    SHELL_DIFF_SEED=7 SHELL_DIFF_COUNT=50000 .venv/bin/pytest -q tests/test_shell_lite_differential.py

(``.venv/bin/python -m tests.support.shell_diff`` with the same variables prints every
difference instead of stopping at the first few.)
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.support import shell_diff, shell_lines

SEED = int(os.environ.get("SHELL_DIFF_SEED", "20240601"))
COUNT = int(os.environ.get("SHELL_DIFF_COUNT", "5000"))


def _gnu() -> bool:
    if shutil.which("bash") is None or shutil.which("ls") is None:
        return False
    version = subprocess.run(["ls", "--version"], capture_output=True, text=True).stdout
    return "GNU coreutils" in version


pytestmark = pytest.mark.skipif(not _gnu(), reason="needs bash and GNU coreutils as the oracle")


def test_random_command_lines_are_identical_to_gnu_or_refused() -> None:
    rng = random.Random(SEED)
    lines = [shell_lines.generate(rng) for _ in range(COUNT)]
    for base in shell_diff.scratch():
        mismatches, refused = shell_diff.compare(lines, base)
        shown = "\n".join(
            f"{m.what}: {m.line}\n    gnu:  {m.gnu.stdout!r:.300}\n    ours: {m.ours.text!r:.300}"
            + ("\n" + shell_diff.tree_diff(m.gnu.tree, m.ours.tree) if "tree" in m.what else "")
            for m in mismatches[:10]
        )
        assert not mismatches, f"{len(mismatches)} of {COUNT} lines differ from GNU:\n{shown}"
        # most lines are really compared, not refused (a refusing tool would pass trivially)
        assert refused < COUNT * 0.4, f"{refused} of {COUNT} lines refused"


def test_the_generator_covers_every_command_redirects_and_pipelines() -> None:
    rng = random.Random(SEED)
    lines = [shell_lines.generate(rng) for _ in range(COUNT)]
    commands = Counter(
        stage.split()[0] for line in lines for stage in line.split(" > ")[0].split(" | ")
    )
    for name in ("ls", "cat", "head", "tail", "wc", "grep", "sort", "uniq", "cut", "find"):
        assert commands[name] > COUNT // 50, name
    for name in ("echo", "mkdir", "touch", "cp", "mv", "rm"):
        assert commands[name] > COUNT // 200, name
    assert sum(" >> " in line for line in lines) > COUNT // 40
    assert sum(" > " in line for line in lines) > COUNT // 20
    assert sum(line.count(" | ") >= 3 for line in lines) > COUNT // 40
    assert sum(any(c in line for c in "*?[") for line in lines) > COUNT // 4


def test_the_nasty_workspace_is_nasty(tmp_path: Path) -> None:
    shell_diff.build(tmp_path)
    tree = shell_diff.snapshot(tmp_path)
    names = b"\n".join(tree)
    assert b" " in names and b"\xff" in names and b"[" in names and b"\n-" in b"\n" + names
    files = [data for kind, data in tree.values() if kind == "file"]
    assert any(b"\x00" in d for d in files) and any(b"\r\n" in d for d in files)
    assert any(d and not d.endswith(b"\n") for d in files) and b"" in files
    kinds = Counter(kind for kind, _ in tree.values())
    assert kinds["link"] >= 4 and kinds["dir"] >= 5
    assert any(os.readlink(tmp_path / os.fsdecode(rel)) == "loop" for rel in tree if rel == b"loop")


FLAGS = {
    "ls": "aA1Rpdl",
    "cat": "n",
    "head": "nc",
    "tail": "nc",
    "wc": "lwc",
    "grep": "ivnclwxohHqsFrEGme",
    "sort": "nrufbstk",
    "uniq": "cdu",
    "cut": "fcbds",
    "echo": "n",
    "mkdir": "p",
    "touch": "c",
    "cp": "r",
    "rm": "rf",
}


def test_the_generator_uses_every_supported_flag() -> None:
    rng = random.Random(SEED)
    seen: dict[str, set[str]] = {name: set() for name in FLAGS}
    for _ in range(COUNT):
        for stage in shell_lines.generate(rng).split(" > ")[0].split(" | "):
            words = stage.split()
            if words[0] in seen:
                for word in words[1:]:
                    if word.startswith("-") and word[1:2].isalpha():
                        seen[words[0]].update(word[1:])
    for name, flags in FLAGS.items():
        assert set(flags) <= seen[name], (name, set(flags) - seen[name])
