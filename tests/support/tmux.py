"""The real app in a real terminal: one tmux server per test, its screen read as text."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

TMUX = shutil.which("tmux") or "/usr/bin/tmux"


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


@pytest.fixture(name="terminal")
def terminal_fixture() -> Iterator[Terminal]:
    """A tmux server of this test's own, killed after it."""
    term = Terminal(f"la-test-{uuid.uuid4().hex[:8]}")
    try:
        yield term
    finally:
        term.tmux("kill-server")
