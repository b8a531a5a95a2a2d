"""`assistant run` says "thinking…" on stderr while the model is waited for, in the app's words
(``present.THINKING``), only when stderr is a terminal: never into a pipe, never on stdout, and
erased before the answer starts. A real subprocess on a pseudo-terminal against the fake
OpenAI-compatible server (stalled before its first chunk, so the wait can be seen)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import keyring
import pytest

from assistant import present
from assistant.cli.render import WaitLine
from assistant.present import THINKING
from tests.support import fake_llm as llm
from tests.support.cli import (
    ROOT,
    env_fixture,  # noqa: F401  (the "env" fixture)
    model_args,
)
from tests.support.cli import assistant as cli
from tests.support.mcp_world import CANARY, hostile, write_config
from tests.support.pty import read_terminal

STATUS = f"assistant: {THINKING}".encode()
ERASE = WaitLine.ERASE.encode()


def run_on_terminal(
    args: list[str],
    env: dict[str, str],
    server: llm.FakeLLM,
    *,
    stdout_on_terminal: bool,
    columns: int = 0,
) -> tuple[int, bytes, bytes]:
    """`assistant ARGS` with stderr (and stdout, if asked) on a terminal (``columns`` wide, if
    given); the stalled reply is released once the terminal shows the status. Returns (exit
    status, terminal, stdout pipe)."""
    master, slave = pty.openpty()
    if columns:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_on_terminal else subprocess.PIPE,
        stderr=slave,
        env=env,
        cwd=ROOT,
        close_fds=True,
    )
    os.close(slave)

    def release(screen: bytes) -> None:
        if (STATUS in screen or columns) and server.stalled.is_set():
            server.release()  # the person has seen it wait: let the answer come

    try:
        screen = read_terminal(master, proc, 120, release)
        piped = proc.stdout.read() if proc.stdout is not None else b""
        return proc.wait(10), screen, piped
    finally:
        os.close(master)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("stdout_on_terminal", [True, False], ids=["person", "stdout-piped"])
def test_thinking_shows_on_a_terminal_and_is_gone_when_the_answer_starts(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, stdout_on_terminal: bool
) -> None:
    fake_llm.queue(llm.text("Hello there.", chunks=2, stall_after=0))
    args = ["run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir)]
    status, screen, piped = run_on_terminal(
        args, env, fake_llm, stdout_on_terminal=stdout_on_terminal
    )
    assert status == 0, screen.decode(errors="replace")
    shown_at = screen.rindex(STATUS)
    erased_at = screen.index(ERASE, shown_at + len(STATUS))
    assert screen.count(ERASE) >= 1
    if stdout_on_terminal:  # erased before the first word of the answer
        assert erased_at < screen.index(b"Hello there.")
    else:
        assert piped == b"Hello there.\n"  # stdout holds the answer alone
        assert b"Hello" not in screen
    assert not screen[erased_at + len(ERASE) :].lstrip(b"\r\n").startswith(STATUS)


def test_no_thinking_status_into_a_pipe(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path
) -> None:
    fake_llm.queue(llm.text("Hello there."))
    done = cli(env, "run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello there.\n"
    assert THINKING not in done.stderr and "\x1b" not in done.stderr

    fake_llm.queue(llm.text("Hello again."))
    done = cli(env, "run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir), "--json")
    assert done.returncode == 0, done.stderr
    assert THINKING not in done.stderr + done.stdout and "\x1b" not in done.stderr


def test_json_output_on_a_terminal_gets_the_status_on_stderr_only(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path
) -> None:
    fake_llm.queue(llm.text("Hello there.", chunks=2, stall_after=0))
    args = ["run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir), "--json"]
    status, screen, piped = run_on_terminal(args, env, fake_llm, stdout_on_terminal=False)
    assert status == 0, screen.decode(errors="replace")
    assert STATUS in screen and ERASE in screen[screen.rindex(STATUS) :]
    assert THINKING.encode() not in piped and b'"text": "Hello' in piped


def test_the_status_fits_a_narrow_terminal_so_it_can_be_erased(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path
) -> None:
    """A status that wrapped onto a second row would leave its first row behind."""
    fake_llm.queue(llm.text("Hello there.", chunks=2, stall_after=0))
    args = ["run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir)]
    status, screen, _ = run_on_terminal(args, env, fake_llm, stdout_on_terminal=False, columns=30)
    assert status == 0, screen.decode(errors="replace")
    rows = [part.split(ERASE)[0] for part in screen.split(ERASE)[1:]]
    statuses = [row.decode() for row in rows if row.startswith(b"assistant: ")]
    assert statuses, screen
    assert all(len(row) <= 29 for row in statuses), statuses


def test_mcp_servers_starting_are_said_on_a_terminal_then_erased(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    """`assistant run` starts the MCP servers before the session opens: the wait is said (on a
    terminal only, like thinking…) and erased before the server's line and the answer."""
    keyring.set_password("live-assistant", "MCP_CANARY", CANARY)  # the keyring file env shares
    write_config(assistant_home, {"slow": hostile("hang-start", start_timeout=2)})
    fake_llm.queue(llm.text("Hello there.", chunks=2, stall_after=0))
    args = ["run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir)]
    status, screen, _ = run_on_terminal(args, env, fake_llm, stdout_on_terminal=True)
    assert status == 0, screen.decode(errors="replace")
    starting = f"assistant: {present.starting(['slow'])}".encode()
    shown_at = screen.index(starting)
    erased_at = screen.index(ERASE, shown_at)
    assert erased_at < screen.index(b"MCP server slow did not start within 2 s")
    assert erased_at < screen.index(b"Hello there.")

    done = cli(env, *args)  # into a pipe: never said
    assert b"starting MCP" not in done.stderr.encode() and "\x1b" not in done.stderr

    # `assistant tool` with one of its tools waits for that server alike
    tool_args = ["tool", "slow__echo", "{}", "--workspace", str(workspace_dir)]
    status, screen, _ = run_on_terminal(tool_args, env, fake_llm, stdout_on_terminal=True)
    shown_at = screen.index(starting)
    assert screen.index(ERASE, shown_at) < screen.index(b"MCP server slow did not start")
    assert status != 0  # the server never came up: its tool is not there
