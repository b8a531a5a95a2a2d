"""Every save_to path that would leave the workspace (or touch the app's own state) is refused,
before anything is sent, against a live server that would otherwise answer and be saved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import http_servers
from tests.support.http_servers import LoopbackServer, make_ctx, make_tool
from tools.base import ToolContext, ToolError

net_guard = http_servers.net_guard
http_server = http_servers.http_server


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the workspace, with a file in it: what an escape would reach."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "victim.txt").write_text("untouched")
    return out


@pytest.fixture
def ctx(workspace_dir: Path, outside: Path, http_server: LoopbackServer) -> ToolContext:
    state = workspace_dir / ".assistant"
    (state / "data").mkdir(parents=True)
    (state / "data" / "journal.sqlite3").write_bytes(b"journal")
    (workspace_dir / "sub").mkdir()
    os.symlink(outside, workspace_dir / "link_out")
    os.symlink(outside / "victim.txt", workspace_dir / "victim_link.txt")
    os.symlink("..", workspace_dir / "sub" / "up")
    os.symlink(workspace_dir / "sub" / "loop", workspace_dir / "sub" / "loop")
    return make_ctx(workspace_dir, protected=[state], allow_hosts={http_server.key})


ESCAPES = [
    ("../x.json", "outside the workspace"),
    ("../outside/victim.txt", "outside the workspace"),
    ("../../etc/passwd", "outside the workspace"),
    ("sub/../../x.json", "outside the workspace"),
    ("sub/./../../outside/victim.txt", "outside the workspace"),
    ("/etc/passwd", "absolute paths are refused"),
    ("/tmp/x.json", "absolute paths are refused"),
    ("{outside}/victim.txt", "absolute paths are refused"),
    ("{workspace}/inside.json", "absolute paths are refused"),
    ("~/x.json", "'~' is not expanded"),
    ("~root/x.json", "'~' is not expanded"),
    ("x\x00.json", "NUL"),
    ("link_out/victim.txt", "outside the workspace"),
    ("link_out/new.txt", "outside the workspace"),
    ("victim_link.txt", "outside the workspace"),
    ("sub/up/../outside/victim.txt", "outside the workspace"),
    ("sub/up/up/x.json", "outside the workspace|does not exist"),
    (".assistant/data/journal.sqlite3", "assistant's own data"),
    (".assistant/data/new.bin", "assistant's own data"),
    (".assistant", "assistant's own data"),
    (".", "is a folder"),
    ("sub", "is a folder"),
    ("sub/", "is a folder"),
    ("missing/dir/x.json", "does not exist"),
    ("%2e%2e/x.json", "does not exist"),
    ("file:/etc/passwd", "does not exist"),
    ("sub/loop/x", "outside the workspace|does not exist"),
]


@pytest.mark.parametrize(("path", "why"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_save_to_escapes_are_refused_before_anything_is_sent(
    path: str,
    why: str,
    ctx: ToolContext,
    workspace_dir: Path,
    outside: Path,
    http_server: LoopbackServer,
) -> None:
    tool, _ = make_tool()
    save_to = path.format(outside=outside, workspace=workspace_dir)
    with pytest.raises(ToolError, match=why):
        tool.plan({"url": http_server.url("/"), "save_to": save_to}, ctx)
    assert http_server.seen == []
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert (outside / "victim.txt").read_text() == "untouched"


def test_empty_save_to_is_refused(ctx: ToolContext, http_server: LoopbackServer) -> None:
    tool, _ = make_tool()
    with pytest.raises(ToolError, match="save_to must be a workspace-relative file path"):
        tool.plan({"url": http_server.url("/"), "save_to": ""}, ctx)


def test_a_folder_swapped_for_a_symlink_after_the_preview_is_refused(
    ctx: ToolContext, workspace_dir: Path, outside: Path, http_server: LoopbackServer
) -> None:
    (workspace_dir / "out").mkdir()
    tool, _ = make_tool()
    action = tool.plan({"url": http_server.url("/"), "save_to": "out/victim.txt"}, ctx)
    (workspace_dir / "out").rmdir()
    os.symlink(outside, workspace_dir / "out")
    with pytest.raises(ToolError, match="outside the workspace"):
        tool.run(action, ctx)
    assert http_server.seen == [] and (outside / "victim.txt").read_text() == "untouched"


def test_a_file_swapped_for_a_symlink_after_the_preview_is_refused(
    ctx: ToolContext, workspace_dir: Path, outside: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    action = tool.plan({"url": http_server.url("/"), "save_to": "new.txt"}, ctx)
    os.symlink(outside / "victim.txt", workspace_dir / "new.txt")
    with pytest.raises(ToolError, match="outside the workspace"):
        tool.run(action, ctx)
    assert http_server.seen == [] and (outside / "victim.txt").read_text() == "untouched"


def test_a_backslash_is_a_plain_file_name_character_here(
    ctx: ToolContext, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    """On POSIX "..\\x" names a file inside the workspace; it is saved there, nowhere else."""
    tool, _ = make_tool()
    result = tool.run(tool.plan({"url": http_server.url("/"), "save_to": "..\\x.json"}, ctx), ctx)
    assert result.ok and (workspace_dir / "..\\x.json").is_file()
    assert list(result.before_images) == ["..\\x.json"]
