"""Text commands that read and print: cat, head, tail, wc, echo, pwd (GNU coreutils output)."""

from __future__ import annotations

import os
import re
import stat
from typing import BinaryIO

from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt, parse_count

# -- cat ------------------------------------------------------------------------------------


def _parse_cat(argv: list[str]) -> Spec:
    opts = getopt("cat", argv, "n")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _run_cat(spec: Spec, io: IO) -> int:
    status = 0
    state = {"line": 0, "at_start": True}
    for name in spec.opts.operands or ["-"]:
        got = io.open_input(name)
        if got is None:
            status = 1
            continue
        with got[0] as reader:
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

_LEGACY = re.compile(r"-([0-9]+)")


def _parse_head_tail(cmd: str, argv: list[str]) -> Spec:
    if argv and _LEGACY.fullmatch(argv[0]):
        if cmd == "tail" and len(argv) > 2:
            raise UsageError("tail: -NUM works with one file only; use -n NUM")
        argv = ["-n", argv[0][1:], *argv[1:]]
    opts = getopt(cmd, argv, "", "nc")
    mode, raw = ("c", opts.last("c")) if opts.last("c") is not None else ("n", opts.last("n"))
    raw = "10" if raw is None else raw
    sign = ""
    if raw[:1] in "-+" and raw[:1]:
        sign, raw = raw[0], raw[1:]
    if cmd == "head" and sign == "+":
        raise UsageError(f"head: invalid number {sign + raw!r}: head takes N or -N")
    if cmd == "tail" and sign == "-":
        sign = ""
    count = parse_count(cmd, "number of lines" if mode == "n" else "number of bytes", raw)
    spec = Spec(opts, paths=[p for p in opts.operands if p != "-"])
    spec.extra.update(mode=mode, count=count, sign=sign)
    return spec


def _run_head_tail(cmd: str, spec: Spec, io: IO) -> int:
    names = spec.opts.operands or ["-"]
    status = 0
    printed = 0
    for name in names:
        got = io.open_input(name)
        if got is None:
            status = 1
            continue
        if len(names) > 1:
            label = "standard input" if name == "-" else name
            io.out.write(b"%s==> %s <==\n" % (b"\n" if printed else b"", os.fsencode(label)))
        printed += 1
        with got[0] as reader:
            if cmd == "head":
                _head(spec, reader, io)
            else:
                _tail(spec, reader, io)
    return status


def _head(spec: Spec, reader: BinaryIO, io: IO) -> None:
    mode, count, sign = spec.extra["mode"], spec.extra["count"], spec.extra["sign"]
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


def _tail(spec: Spec, reader: BinaryIO, io: IO) -> None:
    mode, count, sign = spec.extra["mode"], spec.extra["count"], spec.extra["sign"]
    size = reader.seek(0, os.SEEK_END)
    if mode == "c":
        start = max(0, count - 1) if sign == "+" else max(0, size - count)
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


# -- wc -------------------------------------------------------------------------------------

_PRINTABLE_OR_SPACE = bytes(range(0x21, 0x7F)) + b" \t\n\v\f\r"
_NOT_COUNTED = bytes(b for b in range(256) if b not in _PRINTABLE_OR_SPACE)


def _parse_wc(argv: list[str]) -> Spec:
    opts = getopt("wc", argv, "lwc")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _count(reader: BinaryIO, io: IO, need_words: bool) -> tuple[int, int, int]:
    """Lines, words and bytes like GNU wc in the C locale: a word is a run between whitespace
    holding at least one printable byte (other bytes neither start nor end a word)."""
    lines = words = size = 0
    in_word = False
    while True:
        io.check()
        block = reader.read(1 << 22)
        if not block:
            return lines, words, size
        size += len(block)
        lines += block.count(b"\n")
        if need_words:
            kept = block.translate(None, _NOT_COUNTED)
            if kept:
                words += len(kept.split())
                if in_word and not kept[:1].isspace():
                    words -= 1
                in_word = not kept[-1:].isspace()


def _run_wc(spec: Spec, io: IO) -> int:
    opts = spec.opts
    show = [f for f in "lwc" if opts.has(f)] or ["l", "w", "c"]
    names = opts.operands or ["-"]
    rows: list[tuple[list[int], str | None]] = []
    status = 0
    regular_total, minimum = 0, 1
    one_number = len(names) == 1 and len(show) == 1
    for name in names:
        got = io.open_input(name)
        if got is None:
            status = 1
            continue
        reader, path = got
        if path is None or not _is_regular(io, path):
            minimum = 7
        else:
            regular_total += io.fs.size(path)
        with reader:
            if show == ["c"] and path is not None:
                counts = (0, 0, io.fs.size(path))
            else:
                counts = _count(reader, io, "w" in show)
        by_flag = dict(zip("lwc", counts, strict=True))
        rows.append(([by_flag[f] for f in show], None if not opts.operands else name))
    width = 1 if one_number else max(minimum, len(str(regular_total)))
    if len(names) > 1:
        totals = [sum(r[0][i] for r in rows) for i in range(len(show))]
        rows.append((totals, "total"))
    for numbers, label in rows:
        text = b" ".join(b"%*d" % (width, v) for v in numbers)
        io.out.write(text + (b" " + os.fsencode(label) if label is not None else b"") + b"\n")
    return status


def _is_regular(io: IO, path: object) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)  # type: ignore[arg-type]
    except OSError:
        return True  # a file only in the overlay: a planned regular file


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
    Command("wc", False, _parse_wc, _run_wc),
    Command("echo", False, _parse_echo, _run_echo),
    Command("pwd", False, _parse_pwd, _run_pwd),
]
