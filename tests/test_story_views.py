"""Events newer than their first readers (tool faults, host unlocks, revoking an unlock) are told
by name in every view: `assistant history show`, the Markdown and HTML exports, the console and
the app's replay, all through the one fold of each action's life."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant import paths
from assistant.agent import events as ev
from assistant.cli import main
from assistant.cli.render import ConsoleRenderer
from assistant.export import export_session
from assistant.journal import Journal
from assistant.ui.screens.replay import ReplayScreen
from tests.support.history_app import HostApp, settle, shown

PRIVATE = "127.0.0.1:8080 (a private address, approved by name)"
FRAME = "tools/csv_files/query.py:80 in plan"


def story() -> list[ev.Event]:
    """A private host approved (which unlocks it), then revoked; a call whose planning raised;
    an action whose run raised. Built from the event classes the gate writes."""
    get = ev.ActionProposed(
        "a1", "c1", "http_request", {"url": "http://127.0.0.1:8080/status"}, "egress",
        "GET http://127.0.0.1:8080/status", {"text": "GET http://127.0.0.1:8080/status"},
        ["host:127.0.0.1:8080"], "f1", needs_person="127.0.0.1 is a private address",
        unlocks="approving also unlocks 127.0.0.1:8080 for this session",
    )  # fmt: skip
    ls = ev.ActionProposed("a3", "c3", "shell", {"command": "ls"}, "read", "ls", {}, [], "f3")
    return [
        ev.UserMessage("check the staging box"),
        ev.AssistantMessage("", [{"id": "c1", "name": "http_request", "arguments": "{}"}]),
        get,
        ev.ActionDecided("a1", "approve", "human"),
        ev.ActionApproved("a1", "human"),
        ev.HostUnlocked("h1", "127.0.0.1:8080", True, PRIVATE),
        ev.ActionResult("a1", True, "ok", "200 OK · text/plain · 2 B", 0.1),
        ev.GrantRevoked("h1"),
        ev.AssistantMessage("", [{"id": "c2", "name": "csv_query", "arguments": "{}"}]),
        ev.ToolFault("csv_query", "plan", "KeyError", "'x'", [FRAME], call_id="c2"),
        ev.ActionError("c2", "csv_query", "csv_query could not plan this call: KeyError: 'x'"),
        ev.AssistantMessage("", [{"id": "c3", "name": "shell", "arguments": "{}"}]),
        ls,
        ev.ActionDecided("a3", "approve", "policy:read"),
        ev.ActionApproved("a3", "policy:read"),
        ev.ToolFault("shell", "run", "ZeroDivisionError", "division by zero", action_id="a3"),
        ev.ActionResult("a3", False, "internal error in shell: division by zero"),
    ]


@pytest.fixture
def session(assistant_home: Path, workspace_dir: Path) -> str:
    with Journal(paths.journal_file()) as j:
        sid = j.create_session(model="m", workspace=str(workspace_dir))
        for event in story():
            j.append(sid, event.kind, event.to_json())
    return sid


def test_history_show_names_them(session: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "show", session]) == 0
    out = capsys.readouterr().out
    assert f"unlocked for this session: {PRIVATE} (unlock h1, approved by the person)" in out
    assert f"unlock h1 revoked: {PRIVATE}" in out
    assert "internal error while plan · csv_query: KeyError: 'x'" in out and f"at {FRAME}" in out
    assert (
        "internal error while run · shell: ZeroDivisionError: division by zero (action a3)" in out
    )
    assert '"unlock_id"' not in out and '"frames"' not in out  # no event shown as raw JSON


def test_the_exports_name_them(session: str) -> None:
    with Journal(paths.journal_file()) as j:
        md, page = export_session(j, session, "md"), export_session(j, session, "html")
    assert f"- **Unlocked:** `h1: {PRIVATE} (revoked later)`" in md
    assert f"> **Revoked** (`h1`): `unlock of {PRIVATE}`" in md
    assert "> **Tool call refused** (`csv_query`)" in md
    assert f"> _Internal error:_ `while plan: KeyError: 'x' at {FRAME}`" in md
    assert "- **Internal error:** `while run: ZeroDivisionError: division by zero`" in md
    assert "- **Outcome:** `failed`" in md
    assert f"<dt>unlocked</dt><dd>h1: {PRIVATE} (revoked later)</dd>" in page
    assert "Internal error: <code>while plan: KeyError: &#x27;x&#x27;" in page


def test_the_console_names_them() -> None:
    out = io.StringIO()
    render = ConsoleRenderer(out)
    for event in story():
        render(event)
    text = out.getvalue()
    assert f"→ unlocked: {PRIVATE} (h1)" in text
    assert f"→ h1 ({PRIVATE}) revoked" in text
    assert f"(internal error recorded in the journal: KeyError at {FRAME})" in text


async def test_the_app_replay_names_them(session: str) -> None:
    journal = Journal(paths.journal_file())
    app = HostApp(lambda: ReplayScreen(journal, session))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("end")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReplayScreen)
            lines = "\n".join(shown(screen.view))
    finally:
        journal.close()
    assert f"unlocked: {PRIVATE} (h1; /grants to revoke)" in lines
    assert f"unlock h1 revoked: {PRIVATE}" in lines
    assert f"internal error in csv_query (KeyError at {FRAME}); the journal keeps it" in lines
