"""A person at a real terminal (a pty): `assistant tool` shows the write preview and waits for
the key; `y` runs it, `n` leaves the files alone."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_in_pty(args: list[str], answers: list[str], env: dict[str, str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk
            if pending and screen.rstrip().endswith(b">"):
                os.write(master, pending.pop(0).encode() + b"\r")
                screen += b"\n"
            if proc.poll() is not None and not ready:
                break
        return proc.wait(10), screen.decode("utf-8", "replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize(("answers", "code"), [(["y"], 0), (["n", "not now"], 3)])
def test_the_console_shows_the_preview_and_obeys_the_key(
    assistant_home: Path, workspace_dir: Path, answers: list[str], code: int
) -> None:
    (workspace_dir / "notes.txt").write_text("keep\n")
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(assistant_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    args = [
        "tool",
        "shell",
        '{"command": "echo added >> notes.txt"}',
        "--workspace",
        str(workspace_dir),
    ]
    rc, screen = run_in_pty(args, answers, env)
    assert "WRITE shell" in screen and "+added" in screen and "[y] approve" in screen
    assert rc == code, screen
    expected = "keep\nadded\n" if code == 0 else "keep\n"
    assert (workspace_dir / "notes.txt").read_text() == expected
