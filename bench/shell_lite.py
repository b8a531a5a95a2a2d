"""Times shell-lite's grep, wc and sort on a generated 100 MB file beside GNU coreutils (LC_ALL=C).

Run: .venv/bin/python bench/shell_lite.py [--mb 100] [--repeat 3]
Prints one row per command: the median seconds for coreutils, for shell-lite, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.base import ToolContext  # noqa: E402
from tools.shell_lite import ShellLimits, ShellTool  # noqa: E402
from tools.workspace import Workspace  # noqa: E402

COMMANDS = [
    "grep -c error big.txt",
    "grep -c zqxj big.txt",
    "grep -n 'user=4242' big.txt",
    "grep -c -E 'warn(ing)? [0-9]+' big.txt",
    "grep -ci 'ERROR' big.txt",
    "grep -vc error big.txt",
    "wc big.txt",
    "wc -l big.txt",
    "sort big.txt",
    "sort -n -k3,3 big.txt",
]


def make_file(path: Path, megabytes: int, seed: int = 1) -> None:
    """Log-like lines: a level, words, numbers; about 60 bytes each."""
    rng = random.Random(seed)
    words = [
        w
        for w in [
            "the",
            "quick",
            "brown",
            "fox",
            "jumps",
            "over",
            "lazy",
            "dog",
            "alpha",
            "beta",
            "gamma",
            "delta",
        ]
    ]
    levels = ["info", "debug", "warn", "warning", "error", "trace"]
    target = megabytes << 20
    with path.open("wb") as fh:
        written = 0
        while written < target:
            block = []
            for _ in range(20_000):
                line = (
                    f"{rng.choice(levels)} {rng.randint(0, 99999)} {rng.randint(0, 999)} "
                    f"user={rng.randint(0, 9999)} {' '.join(rng.choices(words, k=5))}\n"
                )
                block.append(line)
            data = "".join(block).encode()
            fh.write(data)
            written += len(data)


def time_coreutils(ws: Path, command: str) -> float:
    # into a file, not /dev/null: GNU grep stops at the first match when it sees /dev/null
    started = time.perf_counter()
    subprocess.run(
        ["bash", "-c", f"{command} > out.tmp"],
        cwd=ws,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    return time.perf_counter() - started


def time_ours(ws: Path, command: str) -> float:
    tool = ShellTool(ShellLimits(timeout=600))
    ctx = ToolContext(workspace=Workspace(ws))
    started = time.perf_counter()
    result = tool.run(tool.plan({"command": command}, ctx), ctx)
    elapsed = time.perf_counter() - started
    if result.data["exit_status"] not in (0, 1):
        raise SystemExit(f"{command}: {result.output[-300:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        started = time.perf_counter()
        make_file(ws / "big.txt", args.mb)
        size = os.path.getsize(ws / "big.txt")
        lines = sum(1 for _ in (ws / "big.txt").open("rb"))
        print(
            f"file: {size / (1 << 20):.0f} MB, {lines} lines (made in {time.perf_counter() - started:.1f} s)"
        )
        print(f"{'command':<42} {'coreutils s':>12} {'shell-lite s':>13} {'ratio':>7}")
        for command in COMMANDS:
            theirs = statistics.median(time_coreutils(ws, command) for _ in range(args.repeat))
            ours = statistics.median(time_ours(ws, command) for _ in range(args.repeat))
            print(f"{command:<42} {theirs:>12.3f} {ours:>13.3f} {ours / theirs:>6.1f}x")


if __name__ == "__main__":
    main()
