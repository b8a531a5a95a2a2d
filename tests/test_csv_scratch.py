"""The CSV engine's temporary folders hold copies of workspace data: a process that ends
normally removes its own, and one that was killed has its folders removed by the next process
that queries, while a running process's folders are never touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.cli import ROOT, env_fixture  # noqa: F401  (the "env" fixture)
from tests.support.cli import assistant as cli

KILLED_MID_SESSION = """
import os, sys
from tools.base import ToolContext
from tools.csv_files import CsvQueryTool
from tools.workspace import Workspace
ctx = ToolContext(workspace=Workspace(sys.argv[1]))
tool = CsvQueryTool()
print(tool.run(tool.plan({"sql": "SELECT count(*) FROM 'q.csv'"}, ctx), ctx).data["rows"])
sys.stdout.flush()
os.kill(os.getpid(), 9)  # killed: nothing at exit runs
"""


def engine_folders(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith(("csv-copies-", "csv-query-")))


def test_what_a_killed_process_left_is_removed_by_the_next_query(
    env: dict[str, str], workspace_dir: Path, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**env, "TMPDIR": str(tmp)}
    (workspace_dir / "q.csv").write_text('id,name\n1,"Ann"\n2,"Bob"\n')  # quoted: copied
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_SESSION, str(workspace_dir)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL and killed.stdout == "[[2]]\n", killed.stderr
    left = engine_folders(tmp)
    assert [name.split("-")[:3] for name in left] == [["csv", "copies", str(killed_pid(left))]]
    assert any((tmp / left[0]).iterdir())  # the copy of q.csv, workspace data in /tmp
    running = subprocess.Popen(["sleep", "60"])
    try:
        alive = tmp / f"csv-copies-{running.pid}-kept"
        alive.mkdir()
        args = json.dumps({"sql": "SELECT name FROM 'q.csv' ORDER BY id"})
        done = cli(env, "tool", "csv_query", args, "--workspace", str(workspace_dir))
        assert done.returncode == 0, done.stderr
        assert "Ann" in done.stdout
        assert engine_folders(tmp) == [alive.name]  # the killed one's gone, its own removed
    finally:
        running.kill()
        running.wait()


def killed_pid(names: list[str]) -> int:
    pid = int(names[0].split("-")[2])
    assert not Path(f"/proc/{pid}").exists()
    return pid


def test_a_folder_of_another_kind_or_name_is_left_alone(tmp_path: Path) -> None:
    from tools.csv_files import scratch

    tmp_path = tmp_path / "tmp"
    tmp_path.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    for name in (f"csv-copies-{dead.pid}-x", f"csv-query-{dead.pid}-y"):
        (tmp_path / name).mkdir()
    (tmp_path / f"csv-copies-{dead.pid}-file").write_text("not a folder")
    for name in (f"other-{dead.pid}-z", "csv-copies-notapid-w", f"csv-copies-{os.getpid()}-me"):
        (tmp_path / name).mkdir()
    removed = scratch.sweep(str(tmp_path))
    assert sorted(Path(p).name for p in removed) == [
        f"csv-copies-{dead.pid}-x",
        f"csv-query-{dead.pid}-y",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"csv-copies-{dead.pid}-file", f"other-{dead.pid}-z", "csv-copies-notapid-w",
         f"csv-copies-{os.getpid()}-me"]
    )  # fmt: skip
