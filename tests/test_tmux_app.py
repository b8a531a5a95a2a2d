"""The real app in a real terminal (tmux): type a slash command that writes, see the preview,
approve it with y, read the result off the screen, check the file and the journal, quit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from assistant.journal import Journal
from tests.support.tmux import (
    TMUX,
    Terminal,
    terminal_fixture,  # noqa: F401  (the "terminal" fixture)
)

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not Path(TMUX).exists(), reason="tmux is not installed here")


def app_command(assistant_home: Path, workspace_dir: Path, tmp_path: Path) -> str:
    """The app in a clean environment, model server on a closed port; after the app the shell
    prints its exit status and waits, so the last screen (the app's exit note) can be read."""
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
    # Textual draws on stderr, so nothing is redirected
    return (
        f"cd {ROOT} && env -i {exports} {sys.executable} -m assistant "
        f"--model openai/fake-model --api-base http://127.0.0.1:9/v1 --workspace {workspace_dir}"
        "; echo EXIT=$?; sleep 120"
    )


def test_slash_write_approved_in_a_real_terminal(
    terminal: Terminal, assistant_home: Path, workspace_dir: Path, tmp_path: Path
) -> None:
    terminal.start(app_command(assistant_home, workspace_dir, tmp_path))
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


def test_a_prompt_typed_while_the_app_starts_is_not_lost(
    terminal: Terminal, assistant_home: Path, workspace_dir: Path, tmp_path: Path
) -> None:
    """Typed at once, Enter included, before the app has drawn anything (the keys wait in the
    terminal): the prompt is shown as sent, not dropped."""
    terminal.start(app_command(assistant_home, workspace_dir, tmp_path))
    terminal.type("typed at launch")
    terminal.key("Enter")
    shown = terminal.wait(lambda s: "you  typed at launch" in s, "the prompt as sent")
    assert "typed at launch" not in shown.split("you  typed at launch")[1]  # not left unsent
    terminal.key("C-q")
    assert "EXIT=0" in terminal.wait(lambda s: "EXIT=" in s, "the app to quit", timeout=30)
