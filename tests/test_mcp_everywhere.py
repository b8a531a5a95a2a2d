"""MCP calls everywhere a tool is: history, exports, the replay screen, and recipes (a run
re-runs the call through the same gate; `recipe test` answers it from the recording, with no
server, no config and no secret)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring
import pytest

from assistant.journal import Journal
from tests.support import fake_llm as llm
from tests.support.cli import env_fixture  # noqa: F401 (the "env" fixture)
from tests.support.mcp_world import CANARY, ROOT, filesystem, hostile, write_config


@pytest.fixture(autouse=True)
def canary(env: dict[str, str]) -> None:
    """The subprocesses' keyring (a file, this test's too) holds the canary secret."""
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)


def assistant(env: dict[str, str], *args: str, cwd: Path = ROOT) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=180,
    )  # fmt: skip


@pytest.fixture
def session(
    fake_llm: llm.FakeLLM, env: dict[str, str], assistant_home: Path, workspace_dir: Path
) -> str:
    """A session in which the model called two MCP tools (one a write), both approved."""
    write_config(assistant_home, {"h": hostile(), "fs": filesystem(workspace_dir)})
    note = workspace_dir / "note.txt"
    fake_llm.queue(
        llm.tool_calls(
            [
                ("h__echo", json.dumps({"text": "hello MCP"})),
                ("fs__write_file", json.dumps({"path": str(note), "content": "from MCP"})),
                ("h__canary", "{}"),
            ]
        ),
        llm.text("All done."),
    )
    proc = assistant(
        env, "run", "go", "--model", fake_llm.model(), "--api-base", fake_llm.base_url,
        "--workspace", str(workspace_dir), "--approve", "all",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert note.read_text() == "from MCP"
    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        (s,) = j.sessions()
        return s.id


def test_history_and_exports_show_mcp_calls(
    session: str, env: dict[str, str], tmp_path: Path
) -> None:
    shown = assistant(env, "history", "show", session[:8])
    assert shown.returncode == 0, shown.stderr
    for words in (
        "h__echo",
        "fs__write_file",
        "echo: hello MCP",
        "MCP server fs · tool write_file",
    ):
        assert words in shown.stdout, words
    listed = assistant(env, "history", "list", "--tool", "fs__write_file")
    assert session[:8] in listed.stdout
    for fmt in ("md", "html", "jsonl"):
        out = tmp_path / f"s.{fmt}"
        proc = assistant(env, "export", session[:8], "--format", fmt, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        text = out.read_text()
        assert "fs__write_file" in text and "h__echo" in text, fmt
        assert CANARY not in text and "\x1b" not in text, fmt


async def test_the_replay_screen_shows_mcp_calls(session: str, assistant_home: Path) -> None:
    from assistant.config import Settings
    from assistant.ui.app import AssistantApp
    from assistant.ui.screens.replay import ReplayScreen
    from tests.support.textdump import screen_text

    app = AssistantApp(Settings(), preload=False, setup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(500):
            if app.session.runtime is not None:
                break
            await pilot.pause(0.02)
        rt = app.session.runtime
        assert rt is not None
        app.push_screen(ReplayScreen(rt.journal, session))
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        text = screen_text(app)
    assert "fs__write_file" in text and "h__echo" in text
    assert CANARY not in text


def test_a_recipe_reruns_mcp_calls_and_its_test_answers_them_from_recordings(
    session: str, env: dict[str, str], assistant_home: Path, workspace_dir: Path, tmp_path: Path
) -> None:
    recipe = tmp_path / "mcp.recipe.toml"
    made = assistant(
        env, "export", session[:8], "--format", "recipe", "-o", str(recipe),
        "--with-fixtures", str(tmp_path / "mcp.fixtures"),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = recipe.read_text()
    assert 'tool = "fs__write_file"' in text and 'tool = "h__echo"' in text
    recorded = sorted((tmp_path / "mcp.fixtures" / "mcp").iterdir())
    assert [p.name for p in recorded] == ["001-step-1.json", "002-step-2.json", "003-step-3.json"]
    assert CANARY not in "".join(p.read_text() for p in recorded)

    # recipe test: no server, no config, no secret here; every call answered from its recording
    offline = {**env, "ASSISTANT_HOME": str(tmp_path / "elsewhere")}
    (workspace_dir / "note.txt").unlink()
    tested = assistant(offline, "recipe", "test", str(recipe))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "recipe test passed: 3 steps" in tested.stdout
    assert not (workspace_dir / "note.txt").exists()  # nothing was called

    # a recipe that sends something else than the session did fails its test
    changed = tmp_path / "changed.recipe.toml"
    changed.write_text(text.replace("hello MCP", "goodbye MCP"))
    shutil.copytree(tmp_path / "mcp.fixtures", tmp_path / "changed.fixtures")
    failed = assistant(offline, "recipe", "test", str(changed))
    assert failed.returncode == 1
    assert "no recorded answer for h__echo with these arguments" in failed.stdout

    # a dry run starts the servers to plan each call (nothing is called) and shows its preview
    dry = assistant(
        env, "recipe", "run", str(recipe), "--dry-run", "--workspace", str(workspace_dir)
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert (
        "WRITE fs__write_file" in dry.stdout
        and "Declared by the server, not verified" in dry.stdout
    )
    assert not (workspace_dir / "note.txt").exists()

    # recipe run: the servers start, each call goes through the same gate and the journal
    ran = assistant(
        env, "recipe", "run", str(recipe), "--approve", "all", "--workspace", str(workspace_dir)
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert (workspace_dir / "note.txt").read_text() == "from MCP"
    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        newest = j.sessions()[0]
        kinds = [(e.kind, e.payload.get("tool")) for e in j.events(newest.id)]
    assert ("action.proposed", "fs__write_file") in kinds and (
        "action.proposed",
        "h__echo",
    ) in kinds
    never = assistant(
        env, "recipe", "run", str(recipe), "--approve", "never", "--workspace", str(workspace_dir)
    )
    assert never.returncode == 3  # the first MCP call is denied: nothing runs
