"""sort keeps its memory bound: input past one 16 MB run is sorted run by run, spilled to
temporary files outside the workspace and merged, with exactly GNU's order."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.shell_oracle import ORACLE_ENV, make_tree, run_bytes
from tools.shell_lite import spill

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import resource, sys
from pathlib import Path
from tools.base import ToolContext
from tools.shell_lite import ShellTool
from tools.workspace import Workspace
tool, ctx = ShellTool(), ToolContext(workspace=Workspace(Path(sys.argv[1])))
action = tool.plan({"command": "sort -k2 big.txt"}, ctx)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = tool.run(action, ctx)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(grown // 1024, result.output.splitlines()[0])
"""


def test_sorting_a_file_four_runs_long_stays_under_the_bound(workspace_dir: Path) -> None:
    """70 MB of short lines: holding them all took about 300 MB; the bound is about 100 MB."""
    tmp_path = workspace_dir
    rng = random.Random(1)
    words = [bytes(rng.choice(b"abcdefghij") for _ in range(8)) for _ in range(5000)]
    lines = [b" ".join(rng.choices(words, k=6)) for _ in range(1_300_000)]
    (tmp_path / "big.txt").write_bytes(b"\n".join(lines) + b"\n")
    assert (tmp_path / "big.txt").stat().st_size > 4 * spill.RUN_BYTES
    private_tmp = tmp_path.parent / "tmp"  # its own: other processes' sorts cannot show up here
    private_tmp.mkdir()
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(private_tmp)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    grown_mb, first = probe.stdout.split(maxsplit=1)
    assert int(grown_mb) < 130, f"sort grew by {grown_mb} MB"
    assert first.strip() == min(lines, key=lambda line: (line.split()[1:], line)).decode()
    assert list(private_tmp.iterdir()) == [], "temp files left"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt"], "nothing in the workspace"


@pytest.mark.skipif(shutil.which("sort") is None, reason="needs GNU sort")
@pytest.mark.parametrize(
    "options",
    [
        "",
        "-r",
        "-n",
        "-u",
        "-k2",
        "-k2,2 -s",
        "-t: -k2,2r -k1,1",
        "-rn -k1,1",
        "-fu",
        "-k1.2b,1.3n -u",
        "-k2,2n",
        "-r -k2,2n",
        "-k2,2nr",
        "-rn -k2",
        "-t: -k2,2n",
        "-t: -n",
        "-ru",
    ],
)
def test_spilled_runs_merge_in_gnu_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: str
) -> None:
    """With tiny runs, every file is sorted through the spill and merge path."""
    monkeypatch.setattr(spill, "RUN_BYTES", 512)
    make_tree(tmp_path)
    rng = random.Random(3)
    few = [rng.choice([b"b 2", b"a 10", b"a 9", b"-1 x", b"c", b""]) for _ in range(3000)]
    (tmp_path / "few.txt").write_bytes(b"\n".join(few) + b"\n")  # tallied, not sorted
    many = [b"%d %d" % (rng.randint(-99, 99), i % 13) for i in range(3000)]
    (tmp_path / "many.txt").write_bytes(b"\n".join(few[:1500] + many) + b"\n")  # tally overflows
    for name in ("words.txt", "nums.txt", "fields.txt", "long.txt", "few.txt", "many.txt"):
        command = f"sort {options} {name}"
        gnu = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=ORACLE_ENV, capture_output=True
        )
        assert run_bytes(tmp_path, command) == (gnu.stdout, gnu.returncode), command
