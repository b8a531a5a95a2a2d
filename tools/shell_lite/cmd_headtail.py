"""head and tail as GNU coreutils prints them: seeking in files, and on a pipe keeping only what
may still be printed (the last lines, or those held back by head -n -N)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import BinaryIO

from tools.shell_lite.command import (
    CHUNK,
    IO,
    Command,
    Output,
    Spec,
    Stream,
    UsageError,
    getopt,
    newlines,
    parse_count,
)
from tools.shell_lite.lookup import EISDIR

_HEAD_LEGACY = re.compile(r"-([0-9]+)")
_TAIL_OBSOLETE = re.compile(r"([+-])([0-9]*)([bcl]?)(f?)")


def _tail_obsolete(argv: list[str]) -> Spec | None:
    """GNU tail's obsolete form: one option like +N, -N, +Nc, -Nl (b: 512-byte blocks) and at
    most one file; anything else is parsed as options and files (so 'tail +2 a b' reads a file
    named '+2', as GNU does)."""
    if not argv or len(argv) > 2 or (len(argv) == 2 and argv[1][:1] == "-" and argv[1] != "-"):
        return None
    m = _TAIL_OBSOLETE.fullmatch(argv[0])
    if m is None:
        return None
    sign, digits, unit, follow = m.groups()
    rest = argv[0][1:]
    if sign == "-" and (rest == "" or rest == "c"):
        return None
    if follow:
        raise UsageError("tail: following a file (f) is not supported")
    count = parse_count("tail", "number", digits) if digits else 10
    if unit == "b":
        count *= 512
    spec = Spec(getopt("tail", argv[1:], ""), paths=[p for p in argv[1:] if p != "-"])
    spec.extra.update(mode="n" if unit in ("", "l") else "c", count=count, sign=sign)
    if sign == "-":
        spec.extra["sign"] = ""
    return spec


def _parse_head_tail(cmd: str, argv: list[str]) -> Spec:
    if cmd == "tail":
        obsolete = _tail_obsolete(argv)
        if obsolete is not None:
            return obsolete
    elif argv and _HEAD_LEGACY.fullmatch(argv[0]):
        argv = ["-n", argv[0][1:], *argv[1:]]
    opts = getopt(cmd, argv, "", "nc")
    valued = [(flag, value) for flag, value in opts.order if value is not None]
    mode, raw = valued[-1] if valued else ("n", "10")  # the last of -n and -c wins
    assert raw is not None
    sign = ""
    if raw[:1] in ("-", "+") and raw:
        sign, raw = raw[0], raw[1:]
    if cmd == "head" and sign == "+" or cmd == "tail" and sign == "-":
        sign = ""  # head +N is N; tail -N is N
    if cmd == "tail" and any((v or "")[:1] == "+" for _, v in valued):
        sign = "+"  # GNU tail never forgets an earlier +N: 'tail -n +2 -n 5' is 'tail -n +5'
    count = parse_count(cmd, "number of lines" if mode == "n" else "number of bytes", raw)
    spec = Spec(opts, paths=[p for p in opts.operands if p != "-"])
    spec.extra.update(mode=mode, count=count, sign=sign)
    return spec


def _run_head_tail(cmd: str, spec: Spec, io: IO) -> Output:
    names = spec.opts.operands or ["-"]
    mode, count, sign = spec.extra["mode"], spec.extra["count"], spec.extra["sign"]
    if cmd == "tail" and count == 0 and sign != "+":
        return 0  # GNU tail opens nothing when it would print nothing
    reads = cmd == "tail" or count > 0 or sign == "-"
    status = 0
    printed = 0
    for name in names:
        inp = io.input(name)
        if inp.error is not None:
            io.err(f"cannot open '{name}' for reading: {inp.error}")
            status = 1
            continue
        if len(names) > 1:
            label = b"standard input" if name == "-" else inp.label
            yield b"%s==> %s <==\n" % (b"\n" if printed else b"", label)
        printed += 1
        if inp.reader is None:
            if reads:
                io.err(f"error reading '{name}': {EISDIR}")
                status = 1
                if cmd == "tail" and sign == "+" and (mode == "c" or count <= 1):
                    return 1  # GNU tail copying from the start gives up on every later file
            continue
        with inp.reader as reader:
            if isinstance(reader, Stream):
                part = _head_stream if cmd == "head" else _tail_stream
                yield from part(mode, count, sign, reader, io)
            elif cmd == "head":
                yield from _head(mode, count, sign, reader, io)
            else:
                yield from _tail(mode, count, sign, reader, io)
    return status


def _head(mode: str, count: int, sign: str, reader: BinaryIO, io: IO) -> Iterator[bytes]:
    if sign == "-":  # all but the last N: find where they start, copy up to there
        size = reader.seek(0, os.SEEK_END)
        stop = max(0, size - count) if mode == "c" else _last_lines_offset(reader, count, io)
        yield from _copy(reader, 0, stop, io)
        return
    if mode == "c":
        yield from _copy(reader, 0, count, io)
        return
    yield from _first_lines(io.blocks(reader), count)


def _first_lines(blocks: Iterator[bytes], count: int) -> Iterator[bytes]:
    """The first ``count`` lines; stops reading as soon as it has them."""
    left = count
    if left <= 0:
        return
    for block in blocks:
        lines = newlines(block)
        if lines < left:
            yield block
            left -= lines
            continue
        yield block[: len(block) - len(block.split(b"\n", left)[-1])]
        return


def _head_stream(mode: str, count: int, sign: str, reader: Stream, io: IO) -> Iterator[bytes]:
    """head on a pipe: reads only as far as it prints, or (for -N) holds back the last N."""
    if sign != "-":
        if mode == "n":
            yield from _first_lines(io.blocks(reader), count)
            return
        left = count
        if left <= 0:
            return
        for block in io.blocks(reader):
            yield block[:left]
            left -= len(block)
            if left <= 0:
                return
        return
    if mode == "c":  # all but the last N bytes: hold N back
        if count > io.hold:
            raise io.too_much(f"head -c -{count}")
        held = b""
        for block in io.blocks(reader):
            held += block
            if len(held) > count:
                yield held[: len(held) - count]
                held = held[len(held) - count :]
        return
    window = _Window(io, count, "head")
    for chunk in io.chunks(reader):
        yield from window.push(chunk)
    yield window.all_but_last()


def _tail(mode: str, count: int, sign: str, reader: BinaryIO, io: IO) -> Iterator[bytes]:
    size = reader.seek(0, os.SEEK_END)
    if mode == "c":
        start = min(size, max(0, count - 1)) if sign == "+" else max(0, size - count)
        yield from _copy(reader, start, size, io)
        return
    if sign != "+":
        yield from _copy(reader, _last_lines_offset(reader, count, io), size, io)
        return
    reader.seek(0)
    yield from _from_line(io.chunks(reader), count)


def _from_line(chunks: Iterator[bytes], count: int) -> Iterator[bytes]:
    """Everything from line ``count`` on (tail -n +N)."""
    skip = max(0, count - 1)  # lines before line N
    for chunk in chunks:
        if skip:
            lines = chunk.count(b"\n")
            if lines < skip:
                skip -= lines
                continue
            chunk = chunk.split(b"\n", skip)[-1]
            skip = 0
        yield chunk


def _tail_stream(mode: str, count: int, sign: str, reader: Stream, io: IO) -> Iterator[bytes]:
    """tail on a pipe: keeps only what it may still print."""
    if mode == "n" and sign == "+":
        yield from _from_line(io.chunks(reader), count)
        return
    if mode == "c":
        if sign == "+":
            skip = max(0, count - 1)
            for block in io.blocks(reader):
                if skip >= len(block):
                    skip -= len(block)
                    continue
                yield block[skip:]
                skip = 0
            return
        if count > io.hold:
            raise io.too_much(f"tail -c {count}")
        held = b""
        for block in io.blocks(reader):
            held = (held + block)[-count:]
        yield held
        return
    window = _Window(io, count, "tail")
    for chunk in io.chunks(reader):
        window.keep(chunk)
    yield window.last()


class _Window:
    """The last lines of a pipe, in the blocks they came in: enough blocks to hold ``count``
    lines (a final line without a newline counts), never more than ``io.hold`` bytes.

    Each block's newlines are counted at most once, and only when needed: tail lets blocks pile
    up to twice what it last had to keep (at least ``_SLACK``, at most ``io.hold``) before it
    counts back from the newest block to see what it can drop, so for a few last lines it counts
    one block in sixteen."""

    def __init__(self, io: IO, count: int, cmd: str) -> None:
        self.io = io
        self.count = count
        self.cmd = cmd
        self.blocks: list[bytes] = []
        self.counts: list[int | None] = []  # newlines of each block, once counted
        self.size = 0
        self.limit = min(io.hold, _SLACK)

    def _counted(self, i: int) -> int:
        found = self.counts[i]
        if found is None:
            found = self.counts[i] = newlines(self.blocks[i])
        return found

    def _drop(self, first: int) -> list[bytes]:
        """Forget blocks before ``first``; returns them."""
        dropped = self.blocks[:first]
        del self.blocks[:first], self.counts[:first]
        self.size -= sum(map(len, dropped))
        return dropped

    def _check(self) -> None:
        if self.size > self.io.hold:
            raise self.io.too_much(f"{self.cmd} -n {'-' if self.cmd == 'head' else ''}{self.count}")

    def _trim(self) -> None:
        """Drop the oldest blocks that the newer ones make unneeded: keep from the newest block
        whose followers hold fewer than ``count`` newlines."""
        found = 0
        first = len(self.blocks) - 1
        while first > 0:
            found += self._counted(first)
            if found >= self.count:
                break
            first -= 1
        self._drop(first)
        self._check()
        self.limit = min(self.io.hold, max(_SLACK, 2 * self.size))

    def keep(self, chunk: bytes) -> None:
        """tail: add a block; past the limit, drop what the newer blocks make unneeded."""
        self.blocks.append(chunk)
        self.counts.append(None)
        self.size += len(chunk)
        if self.size > self.limit:
            self._trim()

    def push(self, chunk: bytes) -> Iterator[bytes]:
        """head -n -N: give out the oldest blocks once at least N lines follow them."""
        self.blocks.append(chunk)
        self.counts.append(None)
        self.size += len(chunk)
        found = 0
        first = len(self.blocks) - 1
        while first > 0:
            found += self._counted(first)
            if found >= self.count:
                break
            first -= 1
        yield from self._drop(first)
        self._check()

    def last(self) -> bytes:
        self._trim()
        data = b"".join(self.blocks)
        return data[_last_lines_in(data, self.count) :]

    def all_but_last(self) -> bytes:
        data = b"".join(self.blocks)
        return data[: _last_lines_in(data, self.count)]


_SLACK = 1 << 20
"""Bytes tail lets pile up before it counts what it can drop."""


def _last_lines_in(data: bytes, count: int) -> int:
    """Offset where the last ``count`` lines of ``data`` begin (a final line without a newline
    counts as a line)."""
    if count <= 64:  # a few lines: step back over them
        pos = len(data) - 1 if data.endswith(b"\n") else len(data)
        for _ in range(count):
            pos = data.rfind(b"\n", 0, pos)
            if pos < 0:
                return 0
        return pos + 1
    lines = newlines(data) + (not data.endswith(b"\n"))
    if count >= lines:
        return 0
    return len(data) - len(data.split(b"\n", lines - count)[-1])


def _copy(reader: BinaryIO, start: int, stop: int, io: IO) -> Iterator[bytes]:
    """Copy bytes [start, stop) of a seekable input in blocks."""
    reader.seek(start)
    left = stop - start
    while left > 0:
        io.check()
        block = reader.read(min(left, CHUNK))
        if not block:
            return
        yield block
        left -= len(block)


def _last_lines_offset(reader: BinaryIO, count: int, io: IO) -> int:
    """Offset where the last ``count`` lines begin, reading backwards from the end (a final
    line without a newline counts as a line)."""
    size = reader.seek(0, os.SEEK_END)
    if count == 0 or size == 0:
        return size
    reader.seek(size - 1)
    end = size - 1 if reader.read(1) == b"\n" else size
    found = 0
    while end > 0:
        io.check()
        start = max(0, end - (1 << 16))
        reader.seek(start)
        block = reader.read(end - start)
        here = block.count(b"\n")
        if found + here < count:
            found += here
            end = start
            continue
        pos = len(block)
        while True:
            pos = block.rfind(b"\n", 0, pos)
            found += 1
            if found == count:
                return start + pos + 1
    return 0


COMMANDS = [
    Command(
        "head",
        False,
        lambda a: _parse_head_tail("head", a),
        lambda s, io: _run_head_tail("head", s, io),
    ),
    Command(
        "tail",
        False,
        lambda a: _parse_head_tail("tail", a),
        lambda s, io: _run_head_tail("tail", s, io),
    ),
]
