"""csv_query keeps to its limits: memory (a query runs in a worker whose resident size is capped),
its deadline while reading, and a planning deadline; globs never walk symlinked folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.base import ToolContext, ToolError
from tools.csv_files import CsvQueryTool, globwalk
from tools.csv_files.engine import QueryLimits
from tools.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent

MEMORY = """
import sys
from tools.base import ToolContext, ToolError
from tools.csv_files import CsvQueryTool, engine
from tools.workspace import Workspace
ctx = ToolContext(workspace=Workspace(sys.argv[1]))
tool = CsvQueryTool()
for sql in sys.argv[2:]:
    try:
        tool.run(tool.plan({"sql": sql}, ctx), ctx)
        print("ran")
    except ToolError as exc:
        print(f"refused: {exc}")
engine.stop_workers()  # waits for the server, so the workers' peak counts in this process's
"""


def run_child(code: str, *args: str) -> tuple[str, int]:
    """Run Python code in a child: (stdout, the peak resident size of the child and of every
    process it waited for, in bytes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out, usage.ru_maxrss * 1024  # kilobytes on Linux


@pytest.mark.slow
def test_an_absurd_value_fails_clearly_within_the_memory_limit(workspace_dir: Path) -> None:
    # Earlier, the first of these grew the app to 3.9 GB.
    out, peak = run_child(
        MEMORY,
        str(workspace_dir),
        "SELECT length(repeat('x', 2000000000)) AS n",
        "SELECT length(repeat('x', 1000000000)) AS n",  # under the address cap: the watch stops it
        "SELECT 42 AS answer",
    )
    lines = out.splitlines()
    assert lines[0].startswith("refused: the query needs more memory than csv_query may use")
    assert lines[1].startswith("refused: the query needed more memory than csv_query may use")
    assert lines[2] == "ran"  # the next query runs as usual
    cap = QueryLimits().process_bytes
    assert peak < cap + 128 * 2**20, f"peak {peak / 2**20:.0f} MiB, cap {cap / 2**20:.0f} MiB"


def test_memory_errors_name_the_limit(workspace_dir: Path) -> None:
    ctx = ToolContext(workspace=Workspace(workspace_dir))
    tool = CsvQueryTool(QueryLimits(memory_limit="64MB"))
    with pytest.raises(ToolError, match=r"more memory than csv_query may use \(305 MiB\)"):
        tool.run(tool.plan({"sql": "SELECT repeat('x', 900000000) AS s"}, ctx), ctx)


def test_the_deadline_also_covers_reading_the_file(workspace_dir: Path) -> None:
    # A quoted file is read by Python's csv module first: that counts against the deadline too.
    rows = "".join(f'{i},"text {i}"\n' for i in range(400_000))
    (workspace_dir / "quoted.csv").write_text("id,text\n" + rows)
    ctx = ToolContext(workspace=Workspace(workspace_dir))
    tool = CsvQueryTool(QueryLimits(timeout=0.01))
    with pytest.raises(ToolError, match="ran out of time|ran longer than 0.01 s"):
        tool.run(tool.plan({"sql": "SELECT count(*) FROM 'quoted.csv'"}, ctx), ctx)


def _loops(ws: Path, outside: Path) -> None:
    (ws / "a" / "b").mkdir(parents=True)
    (ws / "a" / "b" / "deep.csv").write_text("x\n1\n")
    (ws / "top.csv").write_text("x\n2\n")
    (ws / "a" / "self").symlink_to(".", target_is_directory=True)
    (ws / "a" / "b" / "up").symlink_to("../..", target_is_directory=True)
    (ws / "a" / "b" / "twin").symlink_to("..", target_is_directory=True)
    (outside / "far.csv").write_text("x\n3\n")
    (ws / "out").symlink_to(outside, target_is_directory=True)


PLAN = """
import sys
from tools.base import ToolContext
from tools.csv_files import CsvQueryTool
from tools.workspace import Workspace
ctx = ToolContext(workspace=Workspace(sys.argv[1]))
tool = CsvQueryTool()
result = tool.run(tool.plan({"sql": "SELECT sum(x) AS s FROM '**/*.csv'"}, ctx), ctx)
print(result.data["rows"][0][0])
print(tool.plan({"sql": "SELECT * FROM '**/*.csv'"}, ctx).targets)
"""


def test_globs_never_follow_symlinked_folders(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    _loops(ws, outside)
    # In a child, bounded: walking these loops earlier went on for minutes.
    proc = subprocess.run(
        [sys.executable, "-c", PLAN, str(ws)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    total, targets = proc.stdout.splitlines()
    assert total == "3"  # top.csv (2) + a/b/deep.csv (1); never far.csv (3)
    assert targets == "('path:a/b/deep.csv', 'path:top.csv')"


def test_a_literal_link_out_of_the_workspace_is_not_walked(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    _loops(ws, outside)
    ctx = ToolContext(workspace=Workspace(ws))
    with pytest.raises(ToolError, match="outside the workspace"):
        CsvQueryTool().plan({"sql": "SELECT * FROM 'out/*.csv'"}, ctx)


def test_planning_has_a_deadline_and_a_bound(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(300):
        (workspace_dir / f"f{i:03d}.csv").write_text("x\n1\n")
    ctx = ToolContext(workspace=Workspace(workspace_dir))
    with pytest.raises(ToolError, match="took too long to expand"):
        CsvQueryTool(QueryLimits(plan_timeout=0)).plan({"sql": "SELECT * FROM '**/*.csv'"}, ctx)
    monkeypatch.setattr(globwalk, "MAX_ENTRIES", 100)
    with pytest.raises(ToolError, match="looks at more than 100 files and folders"):
        CsvQueryTool().plan({"sql": "SELECT * FROM '*.csv'"}, ctx)


def test_reversed_ranges_match_nothing(workspace_dir: Path) -> None:
    (workspace_dir / "b.csv").write_text("x\n1\n")
    ctx = ToolContext(workspace=Workspace(workspace_dir))
    with pytest.raises(ToolError, match="no files in the workspace match"):
        CsvQueryTool().plan({"sql": "SELECT * FROM '[z-a]*.csv'"}, ctx)
