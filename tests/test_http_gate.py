"""http_request through the gate as a person uses it (`assistant tool`): reads run, POST asks,
and a loopback address is unlocked only by --allow-host or a person, never by --approve all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.cli import main
from tests.support.http_servers import LoopbackServer
from tests.support.pty import run_in_pty


@pytest.fixture
def api() -> LoopbackServer:
    with LoopbackServer() as server:
        yield server  # type: ignore[misc]


def call(api: LoopbackServer, ws: Path, method: str, *flags: str) -> int:
    args = {
        "method": method,
        "url": api.url("/orders"),
        **({"json": {"id": 1}} if method == "POST" else {}),
    }
    return main(["tool", "http_request", json.dumps(args), "--workspace", str(ws), *flags])


def test_get_to_an_allowed_loopback_host_runs_as_a_read(
    api: LoopbackServer, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert call(api, workspace_dir, "GET", "--allow-host", api.key, "--approve", "never") == 0
    assert [s.method for s in api.seen] == ["GET"]
    assert '"path": "/orders"' in capsys.readouterr().out


def test_post_asks_first_and_shows_the_request(
    api: LoopbackServer, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert call(api, workspace_dir, "POST", "--allow-host", api.key, "--approve", "never") == 3
    out = capsys.readouterr().err  # the preview is a note: stderr
    assert "WRITE http_request" in out and "POST" in out and api.url("/orders") in out
    assert "cannot be undone" in out
    assert api.seen == []
    assert call(api, workspace_dir, "POST", "--allow-host", api.key, "--approve", "all") == 0
    assert [(s.method, json.loads(s.body)) for s in api.seen] == [("POST", {"id": 1})]


def test_blanket_approval_never_unlocks_loopback(
    api: LoopbackServer, workspace_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert call(api, workspace_dir, "GET", "--approve", "all") == 3
    assert "127.0.0.1" in capsys.readouterr().err  # the refusal is a note: stderr
    assert api.seen == []


def test_a_person_at_the_terminal_can_approve_that_exact_loopback_target(
    api: LoopbackServer, assistant_home: Path, workspace_dir: Path
) -> None:
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(assistant_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    args = json.dumps({"method": "POST", "url": api.url("/orders"), "json": {"id": 2}})
    rc, screen = run_in_pty(
        ["tool", "http_request", args, "--workspace", str(workspace_dir)], ["y"], env
    )
    assert rc == 0, screen
    assert "loopback" in screen or "private" in screen
    assert "allow for this session" not in screen  # no blanket rule is offered for a private target
    assert [s.method for s in api.seen] == ["POST"]
