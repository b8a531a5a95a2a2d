"""Times shell-lite beside GNU coreutils (LC_ALL=C) on a generated log file, in one run.

Run: .venv/bin/python bench/shell_lite.py [--mb 100] [--repeat 5]

The file (log-like lines of about 52 bytes) is made deterministically in a temporary folder and
removed afterwards. Each command runs ``--repeat`` times under bash + coreutils and through
shell-lite's plan and run, alternating, so both see the same machine load; the table shows the
medians, the ratio, whether shell-lite printed the same bytes, and PASS when the ratio is at
most 3x. The load average is printed before and after: on a shared machine, run it more than
once. Not run in CI.
"""

from __future__ import annotations

import argparse
import hashlib
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
    "grep -vc error big.txt",
    "grep -F -c -e warning -e 'user=42' -e 'dog alpha' big.txt",
    "grep -ci ERROR big.txt",
    "grep -c -E 'warn(ing)? [0-9]+' big.txt",
    "grep -o 'user=[0-9]*' big.txt | sort -u | wc -l",
    "cut -d' ' -f1 big.txt | sort | uniq -c",
    "sort -k3,3n big.txt | tail",
    "wc -l big.txt",
    "wc big.txt",
    "head -n 1000000 big.txt | tail",
]
LIMIT = 3.0
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"]
WORDS += ["alpha", "beta", "gamma", "delta"]
LEVELS = ["info", "debug", "warn", "warning", "error", "trace"]


def make_file(path: Path, megabytes: int, seed: int = 1) -> None:
    """Log-like lines: a level, two numbers, a user, five words; about 52 bytes each."""
    rng = random.Random(seed)
    target = megabytes << 20
    with path.open("wb") as fh:
        written = 0
        while written < target:
            block = [
                f"{rng.choice(LEVELS)} {rng.randint(0, 99999)} {rng.randint(0, 999)} "
                f"user={rng.randint(0, 9999)} {' '.join(rng.choices(WORDS, k=5))}\n"
                for _ in range(20_000)
            ]
            data = "".join(block).encode()
            fh.write(data)
            written += len(data)


def time_gnu(ws: Path, command: str) -> tuple[float, str]:
    # into a file, not /dev/null: GNU grep stops at the first match when it sees /dev/null
    started = time.perf_counter()
    subprocess.run(
        ["bash", "-c", f"{command} > out.tmp"],
        cwd=ws,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    elapsed = time.perf_counter() - started
    return elapsed, hashlib.sha256((ws / "out.tmp").read_bytes()).hexdigest()


def time_ours(ws: Path, command: str) -> tuple[float, str]:
    tool = ShellTool(ShellLimits(timeout=600))
    ctx = ToolContext(workspace=Workspace(ws))
    started = time.perf_counter()
    result = tool.run(tool.plan({"command": command}, ctx), ctx)
    elapsed = time.perf_counter() - started
    if result.data["exit_status"] not in (0, 1) or result.data["truncated"]:
        raise SystemExit(f"{command}: {result.output[-300:]}")
    return elapsed, str(result.data["stdout_sha256"])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="shell-lite-bench-") as tmp:
        ws = Path(tmp)
        started = time.perf_counter()
        make_file(ws / "big.txt", args.mb)
        with (ws / "big.txt").open("rb") as fh:
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        size = (ws / "big.txt").stat().st_size / (1 << 20)
        made = time.perf_counter() - started
        print(f"file: {size:.0f} MB, {lines} lines (made in {made:.1f} s); load {load()}")
        print(f"median of {args.repeat} runs each, alternating; PASS at most {LIMIT:g}x")
        print(f"{'command':<58} {'GNU s':>7} {'ours s':>7} {'ratio':>6}  same  verdict")
        for command in COMMANDS:
            gnu_times, our_times, same = [], [], True
            for _ in range(args.repeat):
                elapsed, gnu_sha = time_gnu(ws, command)
                gnu_times.append(elapsed)
                elapsed, our_sha = time_ours(ws, command)
                our_times.append(elapsed)
                same &= gnu_sha == our_sha
            gnu, ours = statistics.median(gnu_times), statistics.median(our_times)
            ratio = ours / gnu
            verdict = "PASS" if ratio <= LIMIT and same else "FAIL"
            failed += verdict == "FAIL"
            print(
                f"{command:<58} {gnu:>7.3f} {ours:>7.3f} {ratio:>5.1f}x  "
                f"{'yes' if same else 'NO':<4}  {verdict}"
            )
    print(f"load {load()}; {'all PASS' if not failed else f'{failed} FAIL'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
