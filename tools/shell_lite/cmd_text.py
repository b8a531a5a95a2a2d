"""Text commands that read and print: cat, head, tail, wc, echo, pwd (GNU coreutils output)."""

from __future__ import annotations

import os
import re
from typing import BinaryIO

from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt, parse_count
from tools.shell_lite.lookup import EISDIR

# -- cat ------------------------------------------------------------------------------------


def _parse_cat(argv: list[str]) -> Spec:
    opts = getopt("cat", argv, "n")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _run_cat(spec: Spec, io: IO) -> int:
    status = 0
    state = {"line": 0, "at_start": True}
    for name in spec.opts.operands or ["-"]:
        if name != "-" and io.output is not None:
            found = io.lookup(name)
            if found.error is None and io.is_output(found.path) and io.output_size():
                io.err(f"{name}: input file is output file")  # GNU refuses to grow it forever
                status = 1
                continue
        inp = io.input(name)
        if inp.reader is None:
            io.err(f"{name}: {inp.error or EISDIR}")
            status = 1
            continue
        with inp.reader as reader:
            for chunk in io.chunks(reader):
                io.out.write(_number(chunk, state) if spec.opts.has("n") else chunk)
    return status


def _number(chunk: bytes, state: dict[str, int | bool]) -> bytes:
    """cat -n: '%6d\\t' before each line; a line cut across reads keeps its one number."""
    lines = chunk.split(b"\n")
    out = []
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if last and not line:
            break
        if state["at_start"]:
            state["line"] = int(state["line"]) + 1
            out.append(b"%6d\t" % state["line"])
        out.append(line + (b"" if last else b"\n"))
        state["at_start"] = not last
    return b"".join(out)


# -- head and tail --------------------------------------------------------------------------

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


def _run_head_tail(cmd: str, spec: Spec, io: IO) -> int:
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
            io.out.write(b"%s==> %s <==\n" % (b"\n" if printed else b"", label))
        printed += 1
        if inp.reader is None:
            if reads:
                io.err(f"error reading '{name}': {EISDIR}")
                status = 1
                if cmd == "tail" and sign == "+" and (mode == "c" or count <= 1):
                    return 1  # GNU tail copying from the start gives up on every later file
            continue
        with inp.reader as reader:
            if cmd == "head":
                _head(mode, count, sign, reader, io)
            else:
                _tail(mode, count, sign, reader, io)
    return status


def _head(mode: str, count: int, sign: str, reader: BinaryIO, io: IO) -> None:
    if sign == "-":  # all but the last N: find where they start, copy up to there
        size = reader.seek(0, os.SEEK_END)
        stop = max(0, size - count) if mode == "c" else _last_lines_offset(reader, count, io)
        _copy(reader, 0, stop, io)
        return
    if mode == "c":
        _copy(reader, 0, count, io)
        return
    left = count
    for chunk in io.chunks(reader):
        if left <= 0:
            break
        lines = chunk.count(b"\n")
        if lines < left or (lines == left and chunk.endswith(b"\n")):
            io.out.write(chunk)
            left -= lines
            continue
        parts = chunk.split(b"\n", left)
        io.out.write(b"\n".join(parts[:left]) + b"\n")
        left = 0


def _tail(mode: str, count: int, sign: str, reader: BinaryIO, io: IO) -> None:
    size = reader.seek(0, os.SEEK_END)
    if mode == "c":
        start = min(size, max(0, count - 1)) if sign == "+" else max(0, size - count)
        _copy(reader, start, size, io)
        return
    if sign != "+":
        _copy(reader, _last_lines_offset(reader, count, io), size, io)
        return
    reader.seek(0)
    skip = max(0, count - 1)  # lines before line N
    for chunk in io.chunks(reader):
        if skip:
            lines = chunk.count(b"\n")
            if lines < skip:
                skip -= lines
                continue
            chunk = chunk.split(b"\n", skip)[-1]
            skip = 0
        io.out.write(chunk)


def _copy(reader: BinaryIO, start: int, stop: int, io: IO) -> None:
    """Copy bytes [start, stop) of a seekable input in blocks."""
    reader.seek(start)
    left = stop - start
    while left > 0:
        io.check()
        block = reader.read(min(left, 1 << 20))
        if not block:
            return
        io.out.write(block)
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


# -- echo and pwd ---------------------------------------------------------------------------

_ECHO_FLAG = re.compile(r"-[A-Za-z]+")


def _parse_echo(argv: list[str]) -> Spec:
    opts = getopt("echo", [], "")
    newline = True
    words = list(argv)
    while words and _ECHO_FLAG.fullmatch(words[0]):
        if set(words[0][1:]) != {"n"}:
            raise UsageError(
                f"echo: unknown flag {words[0]}; echo supports -n (escapes are not interpreted)"
            )
        newline = False
        words.pop(0)
    spec = Spec(opts)
    spec.extra.update(words=words, newline=newline)
    return spec


def _run_echo(spec: Spec, io: IO) -> int:
    text = " ".join(spec.extra["words"]).encode("utf-8", "surrogateescape")
    io.out.write(text + (b"\n" if spec.extra["newline"] else b""))
    return 0


def _parse_pwd(argv: list[str]) -> Spec:
    opts = getopt("pwd", argv, "")
    if opts.operands:
        raise UsageError("pwd: takes no arguments")
    return Spec(opts)


def _run_pwd(spec: Spec, io: IO) -> int:
    io.out.write(os.fsencode(str(io.fs.ws.root)) + b"\n")
    return 0


COMMANDS = [
    Command("cat", False, _parse_cat, _run_cat),
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
    Command("echo", False, _parse_echo, _run_echo),
    Command("pwd", False, _parse_pwd, _run_pwd),
]
