"""Ctrl+C at the console's approval prompt ends `assistant run` at once (exit 130), the action
recorded as denied and never run: a real pty whose line discipline turns ^C into SIGINT."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import fake_llm as llm
from tests.support.cli import (
    env_fixture,  # noqa: F401 (the "env" fixture)
    journal,
    model_args,
)

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0
"""Seconds the test waits for output or exit; only a hang reaches it."""


def _take_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty on stdin."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def interrupt_at_prompt(
    args: list[str], env: dict[str, str], interrupt: Callable[[subprocess.Popen[bytes], int], None]
) -> tuple[int | None, str]:
    """Run ``assistant ARGS`` on a pty, wait for the approval prompt, interrupt, and return the
    exit code (None if it did not exit within WAIT seconds) and everything it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True,
        preexec_fn=_take_terminal,
    )  # fmt: skip
    os.close(slave)
    screen = b""
    interrupted = False
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                screen += chunk
            if not interrupted and screen.rstrip().endswith(b"decide>"):
                interrupt(proc, master)
                interrupted = True
                deadline = time.monotonic() + WAIT
            if proc.poll() is not None and not ready:
                break
        try:
            code: int | None = proc.wait(WAIT if interrupted else 1)
        except subprocess.TimeoutExpired:
            code = None
        return code, screen.decode("utf-8", "replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def ctrl_c_key(proc: subprocess.Popen[bytes], master: int) -> None:
    os.write(master, b"\x03")


def sigint(proc: subprocess.Popen[bytes], master: int) -> None:
    proc.send_signal(signal.SIGINT)


@pytest.mark.parametrize("interrupt", [ctrl_c_key, sigint], ids=["ctrl-c-key", "sigint"])
def test_ctrl_c_at_the_prompt_ends_the_run_and_denies_the_action(
    fake_llm: llm.FakeLLM,
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
    interrupt: Callable[[subprocess.Popen[bytes], int], None],
) -> None:
    fake_llm.queue(
        llm.tool_call("shell", json.dumps({"command": "echo pwned > out.txt"})),
        llm.text("should never be asked for"),
    )
    args = ["run", "write it", *model_args(fake_llm), "--workspace", str(workspace_dir)]
    code, screen = interrupt_at_prompt(args, env, interrupt)
    assert "WRITE shell" in screen and "decide>" in screen, screen
    assert code == 130, f"exit {code}; the prompt did not give way to Ctrl+C:\n{screen}"
    assert "assistant: interrupted" in screen and "Traceback" not in screen
    assert not (workspace_dir / "out.txt").exists()
    assert len(fake_llm.requests) == 1  # the turn ended; the model was not asked again
    with journal(assistant_home) as j:
        (session,) = j.sessions()
        events = [(e.kind, e.payload) for e in j.events(session.id)]
    decided = [p for k, p in events if k == "action.decided"]
    assert [(d["verdict"], d["by"]) for d in decided] == [("deny", "human")]
    assert "interrupted" in decided[0]["reason"]
    assert not any(k == "action.approved" for k, _ in events)
    assert events[-1][0] == "turn.end" and events[-1][1]["reason"] == "cancelled"


def test_the_prompt_still_reads_a_typed_answer(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path
) -> None:
    """The loop-based reader behaves as input() did: a typed line, edited by the tty."""

    def answer(proc: subprocess.Popen[bytes], master: int) -> None:
        os.write(master, b"x\x7fy\r")  # a typo, a backspace, then y

    fake_llm.queue(
        llm.tool_call("shell", json.dumps({"command": "echo ok > out.txt"})),
        llm.text("Done."),
    )
    args = ["run", "write it", *model_args(fake_llm), "--workspace", str(workspace_dir)]
    code, screen = interrupt_at_prompt(args, env, answer)
    assert code == 0, screen
    assert (workspace_dir / "out.txt").read_text() == "ok\n"
