"""MCP in the running app: the confirm pane's preview of a call, /mcp, a failing server's one
line, and quitting stops every server the app started (no process left)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.pilot import Pilot

from tests.support import fake_llm as llm
from tests.support.mcp_world import CANARY, alive, filesystem, hostile, server_pids, write_config
from tests.support.pilot import AppOpener, pane_words
from tests.support.textdump import screen_text

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)


async def wait_for(pilot: Pilot[Any], condition: Callable[[], Any], what: str) -> None:
    """Let the app run until ``condition()`` holds (bounded; no fixed sleeps)."""
    for _ in range(1500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}\n{screen_text(pilot.app)}")


def children() -> dict[int, str]:
    """This process's live children (the servers it started), pid -> command line. Other tests
    in this process may have left a child of their own running (the CSV tools' worker server)."""
    out = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
        if fields.get("PPid") == str(os.getpid()) and not fields.get("State", "").startswith("Z"):
            try:
                cmd = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            out[int(status.parent.name)] = cmd
    return out


async def test_the_pane_previews_an_mcp_call_and_quitting_stops_every_server(
    fake_llm: llm.FakeLLM,
    assistant_home: Path,
    workspace_dir: Path,
    tmp_path: Path,
    open_app: AppOpener,
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    write_config(
        assistant_home,
        {
            "fs": filesystem(workspace_dir),
            "h": hostile(pid_dir=pids),
            "dead": hostile("crash-start", pid_dir=pids),
        },
    )
    target = workspace_dir / "from-app.txt"
    call = {"path": str(target), "content": "written through the pane"}
    before = children()
    fake_llm.queue(llm.tool_call("fs__write_file", json.dumps(call)), llm.text("Written."))
    async with open_app(fake_llm) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await wait_for(
            pilot, lambda: "MCP server dead failed to start" in screen_text(app), "the line"
        )
        # each server starts in its own time (under load one may still be starting)
        await wait_for(pilot, lambda: len(server_pids(pids)) == 2, "both hostile servers")
        await wait_for(
            pilot,
            lambda: any(
                "filesystem" in cmd for pid, cmd in children().items() if pid not in before
            ),
            "the filesystem server",
        )
        prompt = app.chat.prompt
        prompt.focus()
        prompt.load_text("save a note")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.pane.current is not None, "the pane")
        await pilot.pause()
        words = pane_words(app)
        assert "MCP server fs · tool write_file" in words
        assert '"content": "written through the pane"' in words
        assert "Declared by the server, not verified: read-only: no · destructive: yes" in words
        assert "Not marked read-only in your config, so every call asks." in words
        assert not target.exists()
        await pilot.press("y")
        await wait_for(pilot, lambda: target.exists(), "the write")
        await wait_for(pilot, lambda: not app.chat.turn_running, "the turn")
        prompt.focus()
        prompt.load_text("/mcp")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "fs__write_file  asks" in screen_text(app), "/mcp")
        text = screen_text(app)
        assert "fs  ready · stdio:" in text and "h__write_note  asks" in text
        assert "dead  FAILED: failed to start: it closed the connection" in text
        await pilot.press("ctrl+q")
    assert target.read_text() == "written through the pane"
    started = server_pids(pids)
    assert started and not [p for p in started if alive(p)]
    left = {pid: cmd for pid, cmd in children().items() if pid not in before}
    assert left == {}  # the filesystem server (node) is gone too


async def test_a_hanging_server_never_blocks_the_app(
    assistant_home: Path, open_app: AppOpener
) -> None:
    write_config(assistant_home, {"h": hostile(read_only=True, call_timeout=3)})
    async with open_app() as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: "MCP server h: " in screen_text(app), "the server")
        prompt = app.chat.prompt
        prompt.focus()
        prompt.load_text('/tool h__hang {"seconds": 60}')
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.view.cards, "the card")
        prompt.focus()
        prompt.load_text("/mcp")  # answered while the call hangs: the loop is free
        await pilot.press("enter")
        await wait_for(pilot, lambda: "h__hang  read (your config)" in screen_text(app), "/mcp")
        assert app.chat.view.cards[0].status == "running"  # still waiting on the server
        await wait_for(
            pilot,
            lambda: "did not answer hang within 3 s; it was stopped" in screen_text(app),
            "the timeout's line",
        )
        await pilot.press("ctrl+q")
