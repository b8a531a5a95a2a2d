"""The fast paths give GNU's bytes: newlines counted either way (dense short lines, long
lines), tail of a pipe dropping blocks lazily, head -n -N, and sort's numeric key grouped by
value (ties, negative and non-integer keys, -r on either side, -s and -u, spilled runs)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from tests.support.shell_oracle import oracle, run_bytes
from tools.shell_lite import spill
from tools.shell_lite.command import newlines

needs_gnu = pytest.mark.skipif(shutil.which("sort") is None, reason="needs bash + coreutils")


def test_newlines_counts_exactly_whichever_way_it_counts() -> None:
    rng = random.Random(5)
    for density in (1, 2, 5, 15, 16, 17, 60, 500):
        block = bytes(10 if rng.randrange(density) == 0 else 97 for _ in range(70_000))
        assert newlines(block) == block.count(b"\n"), density
        assert newlines(bytearray(block)) == block.count(b"\n"), density
    assert newlines(b"") == 0 and newlines(b"\n" * 3) == 3 and newlines(b"abc") == 0


@pytest.fixture
def texts(workspace_dir: Path) -> Path:
    """Over 2 MB each (past tail's 1 MB of slack): short dense lines, long lines, lines of
    mixed lengths without a final newline, and one line of 1.5 MB."""
    rng = random.Random(11)
    short = b"".join(
        b"%d\n" % rng.randrange(100) if rng.random() < 0.9 else b"\n" for _ in range(900_000)
    )
    (workspace_dir / "short.txt").write_bytes(short)
    long = b"".join(b"%06d %s\n" % (i, b"x" * rng.randrange(40, 200)) for i in range(20_000))
    (workspace_dir / "long.txt").write_bytes(long)
    mixed = b"".join(b"y" * rng.choice([0, 1, 3, 30, 300, 3000]) + b"\n" for _ in range(8000))
    (workspace_dir / "mixed.txt").write_bytes(mixed + b"no final newline")
    (workspace_dir / "huge.txt").write_bytes(b"a\nb\n" + b"z" * 1_500_000 + b"\nc\n" * 3)
    assert all(p.stat().st_size > 1_500_000 for p in workspace_dir.iterdir())
    return workspace_dir


@needs_gnu
@pytest.mark.parametrize("name", ["short.txt", "long.txt", "mixed.txt", "huge.txt"])
@pytest.mark.parametrize(
    "command",
    [
        "wc -l {f}",
        "wc {f}",
        "cat {f} | wc -l",
        "head -n 7000 {f} | tail",
        "head -n 1 {f}",
        "cat {f} | tail -n 1",
        "cat {f} | tail -n 64",
        "cat {f} | tail -n 65",
        "cat {f} | tail -n 5000 | wc",
        "cat {f} | tail -n 300000 | wc",
        "cat {f} | head -n -3 | tail -n 3",
        "cat {f} | head -n -70000 | wc",
        "tail -n 65 {f}",
        "head -n -65 {f} | wc",
    ],
)
def test_counting_paths_match_gnu(texts: Path, name: str, command: str) -> None:
    line = command.format(f=name)
    gnu = oracle(texts, line)
    assert run_bytes(texts, line) == (gnu.stdout, gnu.returncode), line


NUMBERS = [
    b"0", b"-0", b"00", b"5", b"05", b"5.0", b"5.", b"-5", b"-05", b".5", b"-.5", b"0.50",
    b"12", b"12abc", b"+12", b"1e3", b"-", b"--3", b"abc", b"", b"  7", b"\t8", b"9999999999",
    b"99999999999999999999999", b"-99999999999999999999999", b"3.14159", b"-3.14", b"1_000",
    b"\r4", b"4\r", b"\v6", b"7\f", b"2" * 4500,
]  # fmt: skip


def _numeric_file(rng: random.Random, lines: int, values: list[bytes]) -> bytes:
    out = []
    for _ in range(lines):
        words = [rng.choice([b"info", b"warn", b"a", b"b b", b"x:y", b"\xff"]) for _ in range(2)]
        sep = rng.choice([b" ", b"  ", b"\t", b" \t", b":"])
        fields = [words[0], rng.choice(values), words[1], rng.choice(values)]
        out.append(sep.join(fields[: rng.choice([1, 2, 3, 4, 4, 4])]))
    out += out[: lines // 10]  # whole lines repeated: ties of the last resort too
    rng.shuffle(out)
    return b"\n".join(out) + b"\n"


GROUPED = [
    "-n",
    "-rn",
    "-k2,2n",
    "-k2n",
    "-k2,3n",
    "-k2,2nr",
    "-r -k2,2n",
    "-r -k2,2nr",
    "-k4,4n",
    "-t: -k2,2n",
    "-t: -k2,2nr -r",
    "-s -k2,2n",
    "-u -k2,2n",
    "-su -rk2,2n",
]


@needs_gnu
@pytest.mark.parametrize("options", GROUPED)
@pytest.mark.parametrize("spilled", [False, True])
def test_numeric_keys_grouped_by_value_match_gnu(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch, options: str, spilled: bool
) -> None:
    """Many values repeat (the grouped path), equal values written differently (5, 05, 5.0,
    -0), non-integer and non-numeric keys, odd blanks, missing fields; in one run and spilled
    in runs of 2 KB (merged with the kept numbers, or recomputed where a key is a fraction or
    too large for 64 bits)."""
    if spilled:
        monkeypatch.setattr(spill, "RUN_BYTES", 2048)
    rng = random.Random(len(options))
    ints = [b"%d" % rng.randint(-20, 20) for _ in range(8)]
    (workspace_dir / "ints.txt").write_bytes(_numeric_file(rng, 3000, ints))
    (workspace_dir / "odd.txt").write_bytes(_numeric_file(rng, 3000, NUMBERS))
    (workspace_dir / "mixed.txt").write_bytes(_numeric_file(rng, 3000, NUMBERS[:12] + ints))
    for name in ("ints.txt", "odd.txt", "mixed.txt"):
        command = f"sort {options} {name}"
        gnu = oracle(workspace_dir, command)
        assert run_bytes(workspace_dir, command) == (gnu.stdout, gnu.returncode), command
