"""Each class of silent difference the differential run found, with several inputs per class:
shell-lite's stdout, exit status and resulting tree equal bash + GNU coreutils (LC_ALL=C), or
shell-lite refuses. Also ls -l, and a failing command's error lines reaching the person."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import shell_diff
from tools.base import ToolContext, ToolError
from tools.shell_lite import ShellLimits, ShellTool
from tools.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent

CLASSES = {
    "trailing slash after a file operand": [
        "rm -f noeol.txt/",
        "rm a.txt/ b.txt",
        "mv a.txt/ moved.txt",
        "cat a.txt/ b.txt",
        "cp a.txt/ copy.txt",
        "touch c.md/",
        "ls a.txt/ dir",
        "wc -l nums.txt/ b.txt",
        "head -n 1 words.txt/",
        "grep -c a a.txt/ b.txt",
        "echo x > b.txt/",
        "cat dir/a.txt/../b.txt",
    ],
    "reversed bracket ranges": [
        "rm [z-a]*",
        "ls [c-a]*",
        "echo [!z-a]*",
        "find . -name '[z-a]*'",
        "find . -name '[!c-a]*' -maxdepth 1",
        "find dir -iname '[Z-A]*'",
        "cat [b-a].txt",
    ],
    "grep on a last line without a newline, -vc, ^^x, back-references, binary files": [
        "grep -c 'x*' noeol.txt",
        "grep -vc 'x*' noeol.txt",
        "grep -vc zzz noeol.txt",
        "grep -c '$' noeol.txt",
        "grep -n '' noeol.txt",
        "grep '^^x' words.txt",
        "grep -c '^^' words.txt",
        "grep -E -c '^^a' words.txt",
        "grep -E '(a)|\\1' words.txt",
        "grep '\\(a\\)\\|\\1' words.txt",
        "grep -E -e '(a)' -e '\\1' words.txt",
        "grep -E '(a)(b)\\2' words.txt",
        "grep -c '' nul.bin",
        "grep -c '^def' nul.bin",
        "grep -vc xyz nul.bin",
        "grep -c '^$' nul.bin",
        "grep -l ghi nul.bin",
        "grep -m 0 a a.txt",
        "grep -c -m 0 a a.txt missing.txt",
        "grep -v '' a.txt missing.txt",
        "grep -vx '' words.txt",
    ],
    "tail +N, -n 0 with several files, the last -n/-c wins": [
        "tail +2 a.txt",
        "tail +3c a.txt",
        "tail -2l a.txt",
        "tail +2 a.txt b.txt",
        "tail -n 0 a.txt b.txt",
        "tail -c 0 a.txt b.txt missing.txt",
        "tail -n +2 -n 1 a.txt",
        "tail -c 3 -n 1 a.txt",
        "head -n 2 -c 3 a.txt",
        "head -c 3 -n 2 a.txt",
        "head -n -1 -c 5 a.txt",
        "head -n +2 a.txt",
        "tail -n -2 a.txt",
    ],
    "ls -a order and -a/-A": [
        "ls -a",
        "ls -a dir",
        "ls -aA dir",
        "ls -Aa dir",
        "ls -aAa",
        "ls -ap 'sp dir'",
        "ls -aR dir/sub",
    ],
    "folder operands": [
        "wc dir a.txt",
        "wc -c dir",
        "wc -l emptydir dir/",
        "head dir a.txt",
        "head -n 0 dir a.txt",
        "head -c -1 emptydir",
        "tail dir a.txt",
        "tail -n +1 dir a.txt",
        "grep -c a dir a.txt",
        "grep -hc a dir a.txt",
        "grep -l a dir a.txt",
        "cat dir a.txt",
        "cut -c1 dir b.txt",
        "sort dir a.txt",
        "uniq dir",
    ],
    "input file is output file": [
        "cat a.txt >> a.txt",
        "cat b.txt a.txt >> a.txt",
        "cat a.txt a.txt > a.txt",
        "cat a.txt > a.txt",
        "cat b.txt a.txt > a.txt",
        "grep a a.txt >> a.txt",
        "grep -c a a.txt >> a.txt",
        "sort a.txt >> a.txt",
        "sort b.txt > b.txt",
        "grep -r the . > found.txt",
        "ls > listing.txt",
        "wc a.txt > a.txt",
    ],
    "NAME=~ and mv d e/": [
        "echo a=~",
        "echo X=a:~/b",
        "echo '~' a=x~",
        "mv dir newname/",
        "mv emptydir other/",
        "mv 'd[1]' renamed/",
        "cp -r 'd[1]' copied/",
        "mv a.txt newname/",
        "cp -r dir copied/",
        "cp a.txt copied/",
    ],
    "the later of two flags, repeated lists and separators, quoted names": [
        "grep -h -H the a.txt",
        "grep -H -h the a.txt b.txt",
        "grep -rhH the dir",
        "sort -t: -t, fields.txt",
        "sort -t: -t: -k2 fields.txt",
        "cut -f1 -f2 fields.txt",
        "cut -d: -d, -f1 fields.txt",
        "wc -l new*",
        "wc new* a.txt",
        "wc -c t* *[[:space:]]*",
    ],
}
ALL = [(name, line) for name, lines in CLASSES.items() for line in lines]


@pytest.mark.parametrize(("name", "line"), ALL, ids=[line for _, line in ALL])
def test_each_class_is_identical_to_gnu_or_refused(name: str, line: str) -> None:
    for scratch in shell_diff.scratch():
        mismatches, _ = shell_diff.compare([line], scratch)
        assert not mismatches, (
            f"{name}: {line}\n{mismatches[0].what}\n gnu: {mismatches[0].gnu.stdout!r}\n"
            f"ours: {mismatches[0].ours.text!r}\n"
            + shell_diff.tree_diff(mismatches[0].gnu.tree, mismatches[0].ours.tree)
        )


def _ours(ws: Path, line: str) -> str:
    tool = ShellTool(ShellLimits(output=1 << 24))
    ctx = ToolContext(workspace=Workspace(ws))
    try:
        return tool.run(tool.plan({"command": line}, ctx), ctx).output
    except ToolError as exc:
        return f"refused: {exc}"


@pytest.mark.parametrize(
    "line",
    [
        "ls -l",
        "ls -la",
        "ls -l dir dirlink link.txt dangling loop",
        "ls -lR dir",
        "ls -ld dir dirlink dirlink/ 'sp dir'",
        "ls -lp dir emptydir",
        "ls -lA 'sp dir' d*",
        "ls -l c.md nums.txt big.txt",
    ],
)
def test_ls_long_is_gnu_ls_long(line: str) -> None:
    """Mode, links, owner, group, size, recent and old dates (and the future), 'total' in 1K
    blocks, '-> target' for links, column widths over every operand."""
    for scratch in shell_diff.scratch():
        ws = shell_diff.fresh(scratch / "p")
        gnu = subprocess.run(
            ["bash", "-c", line], cwd=ws, env=shell_diff.ORACLE_ENV, capture_output=True
        )
        assert gnu.returncode == 0, gnu.stderr
        expected = gnu.stdout.decode("utf-8", "backslashreplace")
        assert _ours(ws, line) == expected


def test_ls_long_shows_a_file_the_redirect_just_made(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("x\n")
    tool = ShellTool()
    ctx = ToolContext(workspace=Workspace(ws))
    tool.run(tool.plan({"command": "ls -l a.txt out.txt > out.txt"}, ctx), ctx)
    lines = (ws / "out.txt").read_text().splitlines()
    assert lines[0].startswith("-rw-") and lines[0].endswith(" a.txt")
    mode = oct(os.stat(ws / "out.txt").st_mode & 0o777)
    assert lines[1].split()[4] == "0" and lines[1].endswith(" out.txt"), lines
    assert lines[1].startswith("-" + _rwx(int(mode, 8))), (lines[1], mode)


def _rwx(mode: int) -> str:
    return "".join(
        ch if mode & bit else "-"
        for ch, bit in zip(
            "rwxrwxrwx", [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 4, 2, 1], strict=True
        )
    )


def test_a_failing_command_shows_its_error_lines_to_the_person(
    tmp_path: Path, assistant_home: Path
) -> None:
    """`assistant tool` prints the result's one-line display for a failure: it carries the
    command's error lines, not only "exit 1" (on stderr: stdout holds only the data)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("one\n")
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home), "PYTHONPATH": str(ROOT)}
    env["LITELLM_OFFLINE_MODE"] = "true"
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "tool", "shell"]
        + ['{"command": "cat missing.txt a.txt nope/"}', "--workspace", str(ws)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1
    # the data on stdout, as cat gives it; the words about it on stderr (a Unix citizen)
    assert proc.stdout == "one\n"
    assert "exit 1" in proc.stderr
    assert "cat: missing.txt: No such file or directory" in proc.stderr
    assert "cat: nope/: No such file or directory" in proc.stderr


@pytest.mark.parametrize("offset", [1_000, 60_000, 200_000])
def test_a_binary_file_prints_as_gnu_or_is_refused(tmp_path: Path, offset: int) -> None:
    """Lines before a late NUL byte print in GNU depending on its read buffer (or, from a pipe,
    on timing): refused; a NUL early in a file makes all of it binary in both. Counting never depends on buffers."""
    ws = tmp_path / "ws"
    ws.mkdir()
    data = b"match\n" + b"x" * offset + b"\n\x00 match\nmatch\n"
    (ws / "f.bin").write_bytes(data)
    for line in (
        "grep match f.bin",
        "grep -c match f.bin",
        "grep -vc x f.bin",
        "cat f.bin | grep -n x",
    ):
        gnu = subprocess.run(
            ["bash", "-c", line], cwd=ws, env=shell_diff.ORACLE_ENV, capture_output=True
        )
        got = _ours(ws, line)
        if got.startswith("refused: "):
            # from a file GNU's first read is sure to hold 64 KiB; from a pipe nothing is sure
            assert "-c" not in line and (offset > 60_000 or "|" in line), (line, got)
            continue
        assert got.split("grep: ")[0] == gnu.stdout.decode(), line


OPERANDS = [
    "a.txt/", "a.txt/.", "a.txt/..", "dir/", "dir/.", "dir/..", "dirlink/", "dirlink", "dangling",
    "dangling/", "missing/", "missing", "link.txt/", "loop", "loop/", "emptydir/.", "a.txt//",
    "./dir//sub/",
]  # fmt: skip
OPERAND_COMMANDS = [
    "cat", "head -n 1", "tail -n 1", "tail -n +1", "tail -c +2", "wc", "wc -c", "grep -c a",
    "grep a", "grep -r a", "grep -l a", "sort", "uniq", "cut -c1", "ls", "ls -d", "ls -l",
    "ls -ld", "ls -R", "find", "touch", "touch -c", "mkdir", "mkdir -p", "rm", "rm -f", "rm -r",
    "rm -rf",
]  # fmt: skip
DESTINATIONS = ["x", "x/", "dir", "dir/", "emptydir/", "b.txt", "b.txt/", "dangling", "missing/y"]


def test_every_command_on_every_odd_operand_is_identical_to_gnu_or_refused() -> None:
    """Trailing slashes, '.' and '..' after files, folders, links, dangling links and loops,
    as sources, destinations and redirect targets."""
    lines = [
        f"{c} {o}{extra}" for c in OPERAND_COMMANDS for o in OPERANDS for extra in ("", " b.txt")
    ]
    for o in OPERANDS:
        for t in DESTINATIONS:
            lines += [
                f"cp {o} {t}",
                f"cp -r {o} {t}",
                f"mv {o} {t}",
                f"cp b.txt {o}",
                f"mv b.txt {o}",
            ]
        lines += [f"echo x > {o}", f"echo x >> {o}"]
    lines = list(dict.fromkeys(lines))
    for scratch in shell_diff.scratch():
        mismatches, refused = shell_diff.compare(lines, scratch)
        assert not mismatches, [(m.what, m.line) for m in mismatches]
        assert refused < len(lines) * 0.6
