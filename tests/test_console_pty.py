"""A person at a real terminal (a pty): `assistant tool` shows the write preview and waits for
the key; `y` runs it, `n` leaves the files alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.pty import run_in_pty

ROOT = Path(__file__).resolve().parent.parent


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
