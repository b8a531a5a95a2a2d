"""`python -m assistant ...` on a pseudo-terminal, answering its prompts as a person types."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read_terminal(
    master: int,
    proc: subprocess.Popen[bytes],
    timeout: float,
    step: Callable[[bytes], bytes | None] = lambda screen: None,
) -> bytes:
    """What the process writes to its terminal until it ends (or ``timeout``). After each read
    ``step`` sees the screen so far and may return bytes to type (then echoed as a new line)."""
    screen = b""
    deadline = time.monotonic() + timeout
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
        typed = step(screen)
        if typed is not None:
            os.write(master, typed)
            screen += b"\n"
        if proc.poll() is not None and not ready:
            break
    return screen


def run_in_pty(
    args: list[str], answers: list[str], env: dict[str, str], timeout: float = 90
) -> tuple[int, str]:
    """Run `assistant ARGS` on a terminal, typing each answer when a prompt ("...>") waits."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    pending = list(answers)

    def answer(screen: bytes) -> bytes | None:
        if pending and screen.rstrip().endswith(b">"):
            return pending.pop(0).encode() + b"\r"
        return None

    try:
        screen = read_terminal(master, proc, timeout, answer)
        return proc.wait(10), screen.decode("utf-8", "replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
