"""The differential harness for shell-lite: a nasty workspace, and each random command line
(``shell_lines``) run through shell-lite and through bash + GNU coreutils (LC_ALL=C) over an
identical copy, the oracle.

Used by tests/test_shell_lite_differential.py; run it alone to try many seeds::

    SHELL_DIFF_SEED=7 SHELL_DIFF_COUNT=50000 .venv/bin/python -m tests.support.shell_diff
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.shell_lines import WRITERS, generate
from tools.base import ToolContext, ToolError
from tools.shell_lite import ShellLimits, ShellTool
from tools.workspace import Workspace

ORACLE_ENV = {"LC_ALL": "C", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
if "TZ" in os.environ:
    ORACLE_ENV["TZ"] = os.environ["TZ"]

NOW = int(time.time()) // 60 * 60  # time stamps fixed for a run: ls -l prints them
RECENT = NOW - 86_400 * 30
OLD = NOW - 86_400 * 400

_WORDS = ["the", "The", "cat", "a", "ab", "abc", "x1", "foo_bar", "Zeta", "10", "9", "-3", "2.5"]


def _text(rng: random.Random, lines: int) -> bytes:
    out = []
    for _ in range(lines):
        sep = rng.choice([" ", "  ", "\t", ":", ","])
        out.append(sep.join(rng.choice(_WORDS) for _ in range(rng.randint(0, 5))))
    return ("\n".join(out) + "\n").encode()


def tree_spec() -> dict[bytes, tuple[str, bytes, float]]:
    """Relative path (bytes) -> (kind: file, dir or link, bytes or link target, mtime)."""
    rng = random.Random(20240601)
    f = "file"
    spec: dict[bytes, tuple[str, bytes, float]] = {
        b"words.txt": (f, _text(rng, 40), RECENT),
        b"nums.txt": (f, b"10\n9\n-3\n  42\n3.5\n-0\n0\n+5\n\n007\n-.5\n.25\nabc\n2 b\n1e3\n", OLD),
        b"noeol.txt": (f, b"alpha beta\nthe end\ngamma", RECENT),
        b"crlf.txt": (f, b"one\r\ntwo\r\n\r\nthree the\r\n", RECENT),
        b"nul.bin": (f, b"abc\x00def\nghi the\n\x00\nxyz", RECENT),
        b"empty.txt": (f, b"", RECENT),
        b"nl.txt": (f, b"\n", RECENT),
        b"sp ace.txt": (f, b"with space\nthe line two\n", RECENT),
        b"-dash.txt": (f, b"dash file\n", RECENT),
        b"[ab].txt": (f, b"bracket\n", RECENT),
        b"a.txt": (f, b"pear\napple\nfig\napple\n", OLD),
        b"b.txt": (f, b"b one\nb two\n", RECENT),
        b"B.TXT": (f, b"UPPER\nthe\n", RECENT),
        b"c.md": (f, b"# title\n\ntext the cat\n", NOW + 86_400 * 40),
        b"bad\xff.txt": (f, b"bad \xff\xfe name\n", RECENT),
        b"caf\xc3\xa9.txt": (f, "café\n".encode(), RECENT),
        b".hidden": (f, b"hidden the\n", RECENT),
        b"st*r.txt": (f, b"star\n", RECENT),
        b"big.txt": (f, b"".join(b"%d line %s\n" % (i, b"x" * (i % 70)) for i in range(300)), OLD),
        b"fields.txt": (f, b"a:b:c\nx::z\nnodelim\n:lead\ntrail:\n1:2:3:4:5\nb:a:c\n", RECENT),
        b"tabs.tsv": (f, b"n\tv\tw\nb\t2\tz\na\t10\ty\nc\t1\nsolo\n", RECENT),
        b"high.txt": (f, b"caf\xc3\xa9 na\xefve\n\x80\x81 \x01\x02 ok\n\x7f\n", RECENT),
        b"dir": ("dir", b"", RECENT),
        b"dir/a.txt": (f, b"alpha\nthe end\n", RECENT),
        b"dir/.hid": (f, b"secret the\n", RECENT),
        b"dir/B.TXT": (f, b"upper\n", OLD),
        b"dir/sub": ("dir", b"", OLD),
        b"dir/sub/b.txt": (f, b"beta\nThe cat\n", RECENT),
        b"dir/sub/deep": ("dir", b"", RECENT),
        b"dir/sub/deep/c.md": (f, b"gamma the", RECENT),
        b"dir/up.txt": ("link", b"../nums.txt", RECENT),
        b"emptydir": ("dir", b"", RECENT),
        b"sp dir": ("dir", b"", RECENT),
        b"sp dir/x y.txt": (f, b"x y\n", RECENT),
        b"d[1]": ("dir", b"", RECENT),
        b"d[1]/n.txt": (f, b"n\n", RECENT),
        b"link.txt": ("link", b"words.txt", RECENT),
        b"dirlink": ("link", b"dir", RECENT),
        b"dangling": ("link", b"missing.txt", RECENT),
        b"sp dir/outside": ("link", b"/nonexistent/outside", RECENT),
        b"loop": ("link", b"loop", RECENT),
        b"new\nline.txt": (f, b"newline name\n", RECENT),
        b"tab\tname": (f, b"x\ty\n", OLD),
        b"#hash": (f, b"# not a comment\n", RECENT),
        b"dir/sub/deep/empty": ("dir", b"", RECENT),
        b"long.txt": (f, _text(rng, 3000)[:-1], RECENT),
    }
    return spec


def build(root: Path) -> None:
    """Create the nasty tree under ``root``: in every folder entries are made in descending name
    order, so tmpfs (which lists the newest first) lists them in name order, as shell-lite does."""
    spec = tree_spec()
    base = os.fsencode(root)
    by_parent: dict[bytes, list[bytes]] = {}
    for rel in spec:
        by_parent.setdefault(os.path.dirname(rel), []).append(rel)

    def make(parent: bytes) -> None:
        for rel in sorted(by_parent.get(parent, []), reverse=True):
            kind, data, _ = spec[rel]
            path = os.path.join(base, rel)
            if kind == "dir":
                os.mkdir(path)
            elif kind == "link":
                os.symlink(data, path)
            else:
                with open(path, "wb") as fh:
                    fh.write(data)
        for rel in sorted(by_parent.get(parent, []), reverse=True):
            if spec[rel][0] == "dir":
                make(rel)

    make(b"")
    for rel, (_, _, mtime) in sorted(spec.items(), key=lambda kv: -len(kv[0])):
        os.utime(os.path.join(base, rel), (mtime, mtime), follow_symlinks=False)
    os.utime(base, (RECENT, RECENT))


def fresh(parent: Path) -> Path:
    """A new workspace ``parent/ws``, alone in its folder: ``ls -la`` shows the same '..' for
    every copy (links, size and time stamp)."""
    parent.mkdir()
    ws = parent / "ws"
    ws.mkdir()
    build(ws)
    os.utime(parent, (RECENT, RECENT))
    return ws


def snapshot(root: Path) -> dict[bytes, tuple[str, bytes]]:
    """Every entry under ``root``: kind and bytes (files) or target (links)."""
    out: dict[bytes, tuple[str, bytes]] = {}
    base = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir", b"")
            else:
                with open(path, "rb") as fh:
                    out[rel] = ("file", fh.read())
    return out


# -- running both sides -----------------------------------------------------------------------


@dataclass
class Outcome:
    stdout: bytes | None
    """Raw bytes (GNU); for shell-lite None, with ``digest`` set instead."""
    digest: str
    status: int
    tree: dict[bytes, tuple[str, bytes]] | None
    """The workspace after the command, or None when it was not copied (reads)."""
    refused: str | None = None
    text: str = ""


def may_write(line: str) -> bool:
    """Whether the oracle needs a private copy (a syntactic over-estimate)."""
    return any(w in line.split() for w in WRITERS) or ">" in line


class Oracle:
    """Runs many command lines in one bash process, each in its own subshell, in batches (so
    that the private copies for writing lines never pile up on tmpfs, which is memory). Every
    line runs under limits: bash happily runs the racy lines shell-lite refuses, and one like
    'cat f | cat >> f' would otherwise fill the disk."""

    BATCH = 500
    LIMITS = "ulimit -f 20480; ulimit -t 20"  # 20 MB per file, 20 CPU seconds per process

    def __init__(self, base: Path) -> None:
        self.base = base

    def run(self, lines: list[str], shared: Path) -> list[Outcome]:
        out: list[Outcome] = []
        for start in range(0, len(lines), self.BATCH):
            out.extend(self._batch(lines[start : start + self.BATCH], shared))
        return out

    def _batch(self, lines: list[str], shared: Path) -> list[Outcome]:
        work = self.base / "gnu"
        work.mkdir()
        script = ["exec </dev/null", self.LIMITS]
        dirs: list[Path | None] = []
        for i, line in enumerate(lines):
            (work / f"{i}.cmd").write_bytes(os.fsencode(line))
            if may_write(line):
                ws = fresh(work / f"p{i}")
                dirs.append(ws)
            else:
                dirs.append(None)
                ws = shared
            script.append(
                f'(c=$(<{i}.cmd); cd {shlex.quote(str(ws))} && eval "$c") >{i}.out 2>{i}.err; '
                f"echo $? >{i}.rc"
            )
        (work / "all.sh").write_text("\n".join(script) + "\n")
        try:
            subprocess.run(
                ["bash", "all.sh"], cwd=work, env=ORACLE_ENV, timeout=600, check=True,
                capture_output=True,
            )  # fmt: skip
            out = []
            for i in range(len(lines)):
                stdout = (work / f"{i}.out").read_bytes()
                status = int((work / f"{i}.rc").read_text())
                ws = dirs[i]
                tree = snapshot(ws) if ws is not None else None
                out.append(Outcome(stdout, hashlib.sha256(stdout).hexdigest(), status, tree))
                if ws is not None:
                    shutil.rmtree(ws.parent)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return out


def ours(line: str, ws: Path, copy: bool) -> Outcome:
    """shell-lite through plan and run, as the agent calls it."""
    tool = ShellTool(ShellLimits(output=1 << 30))
    ctx = ToolContext(workspace=Workspace(ws))
    try:
        action = tool.plan({"command": line}, ctx)
        result = tool.run(action, ctx)
    except ToolError as exc:
        return Outcome(None, "", -1, None, refused=str(exc))
    return Outcome(
        None, result.data["stdout_sha256"], result.data["exit_status"],
        snapshot(ws) if copy else None, text=result.output,
    )  # fmt: skip


@dataclass
class Mismatch:
    line: str
    what: str
    gnu: Outcome
    ours: Outcome


def compare(lines: list[str], base: Path) -> tuple[list[Mismatch], int]:
    """Run every line both ways; the mismatches and how many lines were refused."""
    shared = fresh(base / "shared")
    before = snapshot(shared)
    gnu = Oracle(base).run(lines, shared)
    assert snapshot(shared) == before, "a read-only line changed the shared oracle tree"
    mismatches = []
    refused = 0
    for line, expected in zip(lines, gnu, strict=True):
        copy = may_write(line)
        ws = fresh(base / "mine") if copy else shared
        got = ours(line, ws, copy)
        if copy:
            shutil.rmtree(ws.parent)
        if got.refused is not None:
            refused += 1
            continue
        what = []
        if got.digest != expected.digest:
            what.append("stdout")
        if got.status != expected.status:
            what.append(f"status {got.status} != {expected.status}")
        if copy and _unordered(line, got.tree) != _unordered(line, expected.tree):
            what.append("tree")
        if what:
            mismatches.append(Mismatch(line, ", ".join(what), expected, got))
    assert snapshot(shared) == before, "shell-lite changed the shared tree on a read"
    return mismatches, refused


_WALKERS = re.compile(r"(^|\|)\s*(find|grep\s[^|]*-[a-zA-Z]*r)")


def _unordered(line: str, tree: dict[bytes, tuple[str, bytes]] | None) -> object:
    """A tree to compare. When find or grep -r writes into a file the redirect just created,
    GNU walks the folder with that newest entry first (tmpfs lists newest first), while
    shell-lite walks in name order: that file's lines are compared as a sorted list."""
    if tree is None or ">" not in line or not _WALKERS.search(line):
        return tree
    spec = tree_spec()
    out: dict[bytes, object] = dict(tree)
    for rel, (kind, data) in tree.items():
        if kind == "file" and rel not in spec:
            out[rel] = ("lines", sorted(data.split(b"\n")))
    return out


def scratch() -> Iterator[Path]:
    """A temp folder on tmpfs when there is one (GNU find and grep -r then walk in name order)."""
    parent = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="shell-diff-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def tree_diff(
    a: dict[bytes, tuple[str, bytes]] | None, b: dict[bytes, tuple[str, bytes]] | None
) -> str:
    if a is None or b is None:
        return ""
    lines = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            lines.append(f"  {key!r}: gnu={str(a.get(key))[:80]} ours={str(b.get(key))[:80]}")
    return "\n".join(lines)


def main() -> None:
    seed = int(os.environ.get("SHELL_DIFF_SEED", "1"))
    count = int(os.environ.get("SHELL_DIFF_COUNT", "5000"))
    rng = random.Random(seed)
    lines = [generate(rng) for _ in range(count)]
    for base in scratch():
        found, refused = compare(lines, base)
        for m in found:
            print(f"{m.what}: {m.line}")
            if m.gnu.stdout is not None and "stdout" in m.what:
                print(f"    gnu:  {m.gnu.stdout[:300]!r}")
                print(f"    ours: {m.ours.text[:300]!r}")
            diff = tree_diff(m.gnu.tree, m.ours.tree)
            if diff:
                print(diff)
        print(f"{len(found)} different, {refused} refused, of {count}")


if __name__ == "__main__":
    main()
