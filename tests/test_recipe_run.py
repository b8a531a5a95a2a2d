"""Running recipes: `assistant recipe run` with no model reproduces a session's files byte for byte,
--dry-run previews today's diff and changes nothing, --param moves a target, and a result that
differs from the recording is reported (and stops the run before the next write)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import config
from assistant.agent.approval import ModeApprover
from assistant.journal import Journal
from assistant.recipes import dry_run, load, make_recipe, run
from tests.support.http_servers import Reply
from tests.test_export_session import (
    CANARY,
    ROOT,
    Source,
    assistant,
    cli_env,
    source_fixture,  # noqa: F401 (the "source" fixture)
)

SUMMARY = b"region,total\nnorth,15\nsouth,20\n"


def write_recipe(src: Source, tmp_path: Path) -> Path:
    with src.journal() as j:
        text = make_recipe(j, src.session_id)
    path = tmp_path / "summary_recipe.py"
    path.write_text(text)
    return path


def sessions(home: Path) -> list:
    with Journal(home / "data" / "journal.sqlite3") as j:
        return j.sessions()


async def test_a_recipe_reruns_with_no_model_and_reproduces_the_files_byte_for_byte(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    recipe = write_recipe(source, tmp_path)
    ws = source.fresh_workspace(tmp_path)
    env = cli_env(assistant_home, tmp_path)
    seen_before = len(source.server.seen)
    proc = assistant(
        env, "recipe", "run", str(recipe), "--approve", "all",
        "--allow-host", source.server.key, "--workspace", str(ws),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        (ws / "summary.csv").read_bytes()
        == (source.workspace / "summary.csv").read_bytes()
        == SUMMARY
    )
    assert proc.stdout.count("as recorded") == 3 and "differs" not in proc.stdout
    assert "recipe done: 3 step(s) ran" in proc.stdout
    # The secret went, as a value, only to its bound host; everything shown holds the handle.
    assert source.server.seen[seen_before].headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY not in proc.stdout + proc.stderr
    # Journaled as its own session, linked to the source, with the recipe in its meta.
    run_session = next(s for s in sessions(assistant_home) if s.id != source.session_id)
    assert run_session.parent == source.session_id
    assert run_session.meta["recipe"]["path"] == str(recipe.resolve())
    assert run_session.model is None
    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        assert j.verify(run_session.id).ok
        decided = [
            (e.payload["by"]) for e in j.events(run_session.id) if e.kind == "action.decided"
        ]
    assert decided == ["policy:read", "policy:read", "--approve all"]


async def test_dry_run_changes_nothing_and_shows_the_diff_and_a_changed_input(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    recipe = write_recipe(source, tmp_path)
    ws = source.fresh_workspace(tmp_path)
    env = cli_env(assistant_home, tmp_path)
    args = ["recipe", "run", str(recipe), "--dry-run", "--allow-host", source.server.key]
    seen_before, sessions_before = len(source.server.seen), len(sessions(assistant_home))
    proc = assistant(env, *args, "--workspace", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "step 3 · WRITE csv_write: create summary.csv: 2 rows added" in proc.stdout
    assert "│ + row 1: north,15" in proc.stdout and "│ + row 2: south,20" in proc.stdout
    assert "Authorization: Bearer {{secret:SHOP}}" in proc.stdout
    assert sorted(p.name for p in ws.iterdir()) == ["orders.csv"]
    assert len(source.server.seen) == seen_before  # nothing was sent
    assert len(sessions(assistant_home)) == sessions_before  # nothing was journaled

    (ws / "orders.csv").write_text("region,amount\nnorth,10\nsouth,20\nnorth,95\neast,1\n")
    changed = assistant(env, *args, "--workspace", str(ws))
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "│ + row 1: east,1" in changed.stdout and "│ + row 2: north,105" in changed.stdout
    assert "3 rows added" in changed.stdout

    # In the source's own workspace the file is already there: said plainly, exit 1.
    there = assistant(env, *args, "--workspace", str(source.workspace))
    assert there.returncode == 1 and "summary.csv already exists" in there.stdout


async def test_param_changes_the_target_and_python_runs_the_script(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    recipe = write_recipe(source, tmp_path)
    ws = source.fresh_workspace(tmp_path)
    env = cli_env(assistant_home, tmp_path)
    proc = subprocess.run(
        [sys.executable, str(recipe), "--approve", "all", "--allow-host", source.server.key,
         "--workspace", str(ws), "--param", "summary_csv=report.csv"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "summary_csv = report.csv  (given)" in proc.stdout
    assert (ws / "report.csv").read_bytes() == SUMMARY and not (ws / "summary.csv").exists()

    bad = assistant(env, "recipe", "run", str(recipe), "--param", "nope=1", "--workspace", str(ws))
    assert bad.returncode == 2 and "unknown parameter(s) nope" in bad.stderr
    quote = assistant(env, "recipe", "run", str(recipe), "--param", "orders_csv=x'.csv")
    assert quote.returncode == 2 and "inside SQL" in quote.stderr


async def test_without_approval_the_reads_run_and_the_write_is_denied(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    recipe = write_recipe(source, tmp_path)
    ws = source.fresh_workspace(tmp_path)
    env = cli_env(assistant_home, tmp_path)
    for flags in (["--approve", "never"], []):  # no terminal to ask on: ask means deny
        proc = assistant(
            env, "recipe", "run", str(recipe), "--allow-host", source.server.key,
            "--workspace", str(ws), *flags,
        )  # fmt: skip
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert "step 3 was denied" in proc.stderr and not (ws / "summary.csv").exists()
        assert proc.stdout.count("as recorded") == 2


async def test_a_different_status_is_reported_and_stops_before_the_write(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    recipe = load(write_recipe(source, tmp_path).read_text())
    source.server.routes["/rates.json"] = lambda seen: Reply(404, body=b"gone")
    ws = source.fresh_workspace(tmp_path)
    said: list[str] = []
    report = await run(
        recipe,
        config.load(),
        approver=ModeApprover("all"),
        workspace=ws,
        allow_hosts=[source.server.key],
        say=said.append,
    )
    assert report.status == "stopped" and report.failed == [1] and report.differed == [1]
    assert "stopped before step 3: step 1 failed" in report.message
    text = "\n".join(said)
    assert (
        "step 1 differs from the recording: it failed" in text
        and "HTTP status 404 (recorded 200)" in text
    )
    assert not (ws / "summary.csv").exists()


HAND_RECIPE = """\
RECIPE = {"format": 1, "source_session": "not-in-this-journal"}
PARAMS = {"first": "a.csv", "second": "b.csv"}
STEPS = [
    {"tool": "csv_write", "args": {"path": "${first}", "mode": "create", "rows": [["x"], ["1"]]},
     "expect": {"ok": True, "rows_after": 5}},
    {"tool": "csv_query", "args": {"sql": "SELECT * FROM '${first}'"}, "expect": {"rows": 1}},
    {"tool": "csv_write", "args": {"path": "${second}", "mode": "create", "rows": [["y"]]}},
]
"""


@pytest.mark.parametrize("keep_going", [False, True])
async def test_a_write_that_differs_stops_before_the_next_write_unless_told(
    workspace_dir: Path, keep_going: bool
) -> None:
    recipe = load(HAND_RECIPE)
    said: list[str] = []
    report = await run(
        recipe, config.load(), approver=ModeApprover("all"), workspace=workspace_dir,
        keep_going=keep_going, say=said.append,
    )  # fmt: skip
    text = "\n".join(said)
    assert "step 1 differs from the recording: data rows after the write 1 (recorded 5)" in text
    assert "step 2 as recorded" in text  # the read after it still ran
    assert (workspace_dir / "a.csv").exists()
    assert (workspace_dir / "b.csv").exists() is keep_going
    assert report.status == ("done" if keep_going else "stopped")


async def test_dry_run_says_when_a_step_reads_what_an_earlier_step_would_write(
    workspace_dir: Path,
) -> None:
    recipe = load(HAND_RECIPE)
    said: list[str] = []
    problems = await dry_run(recipe, config.load(), workspace=workspace_dir, say=said.append)
    text = "\n".join(said)
    assert problems == 0, text
    assert "step 2 · csv_query: cannot be planned now" in text
    assert "it uses a.csv, which step 1 would write first" in text
    assert list(workspace_dir.iterdir()) == []


def test_recipe_commands_do_not_load_litellm(tmp_path: Path) -> None:
    (tmp_path / "r.py").write_text('RECIPE = {"format": 1}\nPARAMS = {}\nSTEPS = []\n')
    code = (
        "import sys\nfrom assistant.cli import main\n"
        f"rc = main(['recipe', 'run', {str(tmp_path / 'r.py')!r}, '--dry-run', '--workspace', {str(tmp_path)!r}])\n"
        "assert rc == 0, rc\nassert 'litellm' not in sys.modules and 'textual' not in sys.modules\n"
    )
    env = {
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.dumps("dry run done: 0 of 0 step(s) planned")[1:-1] in proc.stdout


@pytest.mark.parametrize(("answers", "code"), [(["y"], 0), (["n", "not today"], 3)])
async def test_at_a_terminal_the_write_is_asked_for_like_in_a_live_session(
    source: Source, tmp_path: Path, assistant_home: Path, answers: list[str], code: int
) -> None:
    from tests.test_console_pty import run_in_pty

    recipe = write_recipe(source, tmp_path)
    ws = source.fresh_workspace(tmp_path)
    env = cli_env(assistant_home, tmp_path)
    args = ["recipe", "run", str(recipe), "--allow-host", source.server.key, "--workspace", str(ws)]
    rc, screen = await asyncio.to_thread(run_in_pty, args, answers, env)
    assert "WRITE csv_write: create summary.csv" in screen and "[y] approve" in screen
    assert rc == code, screen
    assert (ws / "summary.csv").exists() is (code == 0)
    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        run_id = next(s.id for s in j.sessions() if s.id != source.session_id)
        (write,) = [
            e.payload
            for e in j.events(run_id)
            if e.kind == "action.decided" and e.payload["by"] == "human"
        ]
    assert write["verdict"] == ("approve" if code == 0 else "deny")
