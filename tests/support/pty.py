"""`python -m assistant ...` on a pseudo-terminal, answering its prompts as a person types."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    screen = b""
    deadline = time.monotonic() + timeout
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
