"""How long `assistant --help` and `assistant history list` take, and how much of it is imports.

Run: .venv/bin/python bench/startup.py [--runs 10]
Prints the median wall time of each command, the import time Python reports for it
(-X importtime, summed over top-level imports), and whether litellm or textual was loaded.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {"--help": ["--help"], "history list": ["history", "list"]}


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, bool, bool]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "assistant", *argv],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - started
    imports_us = 0
    names = set()
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|( *)(\S+)", line)
        if m:
            names.add(m.group(3))
            if len(m.group(2)) == 1:  # a top-level import: its cumulative time counts once
                imports_us += int(m.group(1))
    return wall, imports_us / 1e6, "litellm" in names, "textual" in names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ASSISTANT_HOME": home}
        subprocess.run(
            [sys.executable, "-m", "assistant", "history", "list"], env=env, capture_output=True
        )
        print(f"{'command':<16}{'wall (median)':>15}{'imports':>10}{'litellm':>9}{'textual':>9}")
        for label, argv in COMMANDS.items():
            runs = [measure(argv, env) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            imports = statistics.median(r[1] for r in runs)
            print(
                f"{label:<16}{wall * 1000:>12.0f} ms{imports * 1000:>7.0f} ms{str(runs[0][2]):>9}{str(runs[0][3]):>9}"
            )
        started = time.perf_counter()
        for _ in range(args.runs):
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        print(
            f"{'python -c pass':<16}{(time.perf_counter() - started) / args.runs * 1000:>12.0f} ms"
        )


if __name__ == "__main__":
    main()
