"""The real app in a real terminal (tmux): type a slash command that writes, see the preview,
approve it with y, read the result off the screen, check the file and the journal, quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.journal import Journal

ROOT = Path(__file__).resolve().parent.parent
TMUX = shutil.which("tmux") or "/usr/bin/tmux"

pytestmark = pytest.mark.skipif(not Path(TMUX).exists(), reason="tmux is not installed here")


class Terminal:
    """One tmux server (its own socket) running one command in a 120x36 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return proc.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", "app", "-x", "120", "-y", "36", command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "app", "-l", text)

    def key(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def alive(self) -> bool:
        return "app" in self.tmux("list-sessions", "-F", "#{session_name}")

    def wait(self, condition: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        """Poll the screen (a terminal offers nothing to wait on) until ``condition`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if condition(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"la-test-{uuid.uuid4().hex[:8]}")
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_slash_write_approved_in_a_real_terminal(
    terminal: Terminal, assistant_home: Path, workspace_dir: Path, tmp_path: Path
) -> None:
    env = {
        "ASSISTANT_HOME": str(assistant_home),
        "PYTHONPATH": str(ROOT),
        "LITELLM_OFFLINE_MODE": "true",
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
        "TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exports = " ".join(f"{k}={v!s}" for k, v in env.items())
    # Textual draws on stderr, so nothing is redirected; after the app the shell prints its
    # exit status and waits, so the last screen (the app's exit note) can be read.
    command = (
        f"cd {ROOT} && env -i {exports} {sys.executable} -m assistant "
        f"--model openai/fake-model --api-base http://127.0.0.1:9/v1 --workspace {workspace_dir}"
        "; echo EXIT=$?; sleep 120"
    )
    terminal.start(command)
    terminal.wait(lambda s: "live-assistant" in s and " s:" in s, "the first frame with a session")
    terminal.type("/sh echo hi > a.txt")
    terminal.key("Enter")
    shown = terminal.wait(lambda s: "Action 1 of 1 · WRITE · shell" in s, "the confirm pane")
    assert "+hi" in shown and "a.txt" in shown and "[y] approve" in shown
    assert not (workspace_dir / "a.txt").exists()
    terminal.key("y")
    shown = terminal.wait(lambda s: "approved by you" in s and "done" in s, "the card to say done")
    assert "Action 1 of 1" not in shown  # the pane is gone
    assert (workspace_dir / "a.txt").read_text() == "hi\n"
    terminal.key("C-q")
    shown = terminal.wait(lambda s: "EXIT=" in s, "the app to quit", timeout=30)
    assert "EXIT=0" in shown
    assert "assistant: session " in shown and "saved" in shown
    with Journal(assistant_home / "data" / "journal.sqlite3") as journal:
        (session,) = journal.sessions()
        kinds = [e.kind for e in journal.events(session.id)]
    assert kinds == ["action.proposed", "action.decided", "action.approved", "action.result"]
