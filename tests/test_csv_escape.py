"""Every path form that leaves the workspace, or reaches the assistant's own data inside it, is
refused by csv_read, csv_query and csv_write, at plan time and again at run time."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant import paths
from tools.base import ToolContext, ToolError
from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool
from tools.workspace import PathEscapeError, Workspace

SECRET = "secret\nhunter2\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    ws = tmp_path / "ws"
    outside = tmp_path / "outside"
    sibling = tmp_path / "ws-sibling"  # shares the workspace's name as a string prefix
    for folder in (ws, outside, sibling):
        folder.mkdir()
    (outside / "secret.csv").write_text(SECRET)
    (sibling / "secret.csv").write_text(SECRET)
    (ws / "ok.csv").write_text("a,b\n1,2\n")
    (ws / "link.csv").symlink_to(outside / "secret.csv")
    (ws / "linkdir").symlink_to(outside, target_is_directory=True)
    # The app's own state lives inside this workspace: ASSISTANT_HOME points into it.
    monkeypatch.setenv("ASSISTANT_HOME", str(ws / ".assistant"))
    journal = paths.data_dir() / "journal.csv"
    journal.parent.mkdir(parents=True)
    journal.write_text(SECRET)
    paths.config_dir().mkdir(parents=True)
    ctx = ToolContext(workspace=Workspace(ws, protected=paths.protected_dirs()))
    return {"ws": ws, "outside": outside, "sibling": sibling, "ctx": ctx}


FORMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "dotdot": lambda e: "../outside/secret.csv",
    "absolute": lambda e: str(e["outside"] / "secret.csv"),
    "absolute-inside": lambda e: str(e["ws"] / "ok.csv"),
    "tilde": lambda e: "~/secret.csv",
    "symlink-out": lambda e: "link.csv",
    "symlinked-parent": lambda e: "linkdir/secret.csv",
    "common-prefix-sibling": lambda e: "../ws-sibling/secret.csv",
    "app-data-inside": lambda e: ".assistant/data/journal.csv",
    "app-config-folder": lambda e: ".assistant/config",
    "dotdot-back-in": lambda e: "../ws/.assistant/data/journal.csv",
}


def snapshot(env: dict[str, Any]) -> dict[str, bytes]:
    out = {}
    for folder in (env["outside"], env["sibling"], env["ws"] / ".assistant"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out[str(path)] = path.read_bytes()
    return out


REASONS = re.compile(
    "outside the workspace|absolute paths are refused|'~' is not expanded|the assistant's own data"
    "|'..' is not allowed in a file pattern|no files in the workspace match"
)


def assert_refused(env: dict[str, Any], call: Callable[[], Any]) -> None:
    """Refused for a path reason (not some other failure), with nothing read or written."""
    before = snapshot(env)
    with pytest.raises(ToolError) as err:
        call()
    assert REASONS.search(str(err.value)), str(err.value)
    assert "hunter2" not in str(err.value)
    assert snapshot(env) == before


@pytest.mark.parametrize("form", FORMS)
def test_csv_read_refuses(env: dict[str, Any], form: str) -> None:
    path = FORMS[form](env)
    with pytest.raises(PathEscapeError):
        CsvReadTool().plan({"path": path}, env["ctx"])


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "template", ["SELECT * FROM '{}'", "SELECT * FROM read_csv('{}')", 'DESCRIBE "{}"']
)
def test_csv_query_refuses(env: dict[str, Any], form: str, template: str) -> None:
    sql = template.format(FORMS[form](env))
    tool = CsvQueryTool()
    assert_refused(env, lambda: tool.run(tool.plan({"sql": sql}, env["ctx"]), env["ctx"]))


@pytest.mark.parametrize(
    "pattern",
    [
        "linkdir/*.csv",
        "../outside/*.csv",
        "../ws-sibling/*.csv",
        ".assistant/**/*.csv",
        "/tmp/*.csv",
        "~/*.csv",
    ],
)
def test_csv_query_globs_never_reach_out(env: dict[str, Any], pattern: str) -> None:
    tool = CsvQueryTool()
    assert_refused(env, lambda: tool.plan({"sql": f"SELECT * FROM '{pattern}'"}, env["ctx"]))


def test_a_workspace_wide_glob_skips_what_it_may_not_read(env: dict[str, Any]) -> None:
    tool = CsvQueryTool()
    result = tool.run(
        tool.plan({"sql": "SELECT count(*) AS n FROM '**/*.csv'"}, env["ctx"]), env["ctx"]
    )
    assert result.data["rows"] == [[1]]  # ok.csv only: not link.csv, linkdir/ or .assistant/
    assert "skipped" in result.output


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("mode", ["create", "overwrite", "append"])
def test_csv_write_refuses_the_target(env: dict[str, Any], form: str, mode: str) -> None:
    args = {"path": FORMS[form](env), "mode": mode, "rows": [["secret"], ["=pwned"]]}
    assert_refused(env, lambda: CsvWriteTool().plan(args, env["ctx"]))


@pytest.mark.parametrize(
    "new",
    ["../outside/new.csv", "linkdir/new.csv", "../ws-sibling/new.csv", ".assistant/data/new.csv"],
)
def test_csv_write_cannot_create_outside(env: dict[str, Any], new: str) -> None:
    args = {"path": new, "mode": "create", "rows": [["a"], ["1"]]}
    assert_refused(env, lambda: CsvWriteTool().plan(args, env["ctx"]))


@pytest.mark.parametrize("form", FORMS)
def test_csv_write_refuses_a_query_source(env: dict[str, Any], form: str) -> None:
    args = {"path": "copy.csv", "mode": "create", "sql": f"SELECT * FROM '{FORMS[form](env)}'"}
    assert_refused(env, lambda: CsvWriteTool().plan(args, env["ctx"]))
    assert not (env["ws"] / "copy.csv").exists()


def _swap_for_link(env: dict[str, Any], rel: str) -> None:
    """After the preview, the approved path becomes a symlink that leaves the workspace."""
    target = env["ws"] / rel
    target.unlink()
    target.symlink_to(env["outside"] / "secret.csv")


def test_run_checks_the_path_again_for_read_and_query(env: dict[str, Any]) -> None:
    ctx = env["ctx"]
    read = CsvReadTool()
    read_action = read.plan({"path": "ok.csv"}, ctx)
    query = CsvQueryTool()
    query_action = query.plan({"sql": "SELECT * FROM 'ok.csv'"}, ctx)
    _swap_for_link(env, "ok.csv")
    assert_refused(env, lambda: read.run(read_action, ctx))
    assert_refused(env, lambda: query.run(query_action, ctx))


def test_run_checks_the_path_again_for_write(env: dict[str, Any]) -> None:
    ctx = env["ctx"]
    write = CsvWriteTool()
    action = write.plan(
        {"path": "ok.csv", "mode": "overwrite", "rows": [["a", "b"], ["9", "9"]]}, ctx
    )
    _swap_for_link(env, "ok.csv")
    assert_refused(env, lambda: write.run(action, ctx))
    assert (env["outside"] / "secret.csv").read_text() == SECRET


def test_run_refuses_when_the_parent_folder_becomes_a_link(env: dict[str, Any]) -> None:
    ctx = env["ctx"]
    (env["ws"] / "sub").mkdir()
    write = CsvWriteTool()
    action = write.plan({"path": "sub/new.csv", "mode": "create", "rows": [["a"], ["1"]]}, ctx)
    shutil.rmtree(env["ws"] / "sub")
    os.symlink(env["outside"], env["ws"] / "sub")
    assert_refused(env, lambda: write.run(action, ctx))
    assert not (env["outside"] / "new.csv").exists()
