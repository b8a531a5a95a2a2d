"""wc as GNU coreutils prints it in the C locale: widths from the operands' sizes, a row per file
as it is counted, a name holding a newline in shell-escape quoting."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from tools.shell_lite.command import CHUNK, IO, Command, Output, Spec, Stream, getopt, newlines
from tools.shell_lite.lookup import EISDIR
from tools.shell_lite.vfs import FILE

# -- wc -------------------------------------------------------------------------------------

_SPACE = b" \t\n\v\f\r"
_PRINTABLE_OR_SPACE = bytes(range(0x21, 0x7F)) + _SPACE
_NOT_COUNTED = bytes(b for b in range(256) if b not in _PRINTABLE_OR_SPACE)
_WORDS = bytes(0x20 if b in _SPACE else 0x78 for b in range(256))
"""Whitespace to ' ', every other byte to 'x': a word starts at each ' x' (or an 'x' first)."""


def _parse_wc(argv: list[str]) -> Spec:
    opts = getopt("wc", argv, "lwc")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _count(blocks: Iterator[bytes | bytearray], need_words: bool) -> tuple[int, int, int]:
    """Lines, words and bytes like GNU wc in the C locale: a word is a run between whitespace
    holding at least one printable byte (other bytes neither start nor end a word)."""
    lines = words = size = 0
    in_word = False
    for block in blocks:
        size += len(block)
        lines += newlines(block)
        if need_words:
            kept = block.translate(_WORDS, _NOT_COUNTED)
            if kept:
                words += kept.count(b" x") + (kept[0] == 0x78 and not in_word)
                in_word = kept[-1] == 0x78
    return lines, words, size


def _file_blocks(reader: BinaryIO, io: IO) -> Iterator[bytes | bytearray]:
    """A file in blocks read into one reused buffer (no new memory per block): each block is
    valid only until the next one is asked for."""
    buf = bytearray(CHUNK)
    with memoryview(buf) as view:
        while True:
            io.check()
            n = reader.readinto(buf)  # type: ignore[attr-defined]  # files and BytesIO
            if not n:
                return
            yield buf if n == len(buf) else bytes(view[:n])


def _run_wc(spec: Spec, io: IO) -> Output:
    """GNU wc: the column width comes from the sizes of all operands first, then each file's
    row is printed as soon as it is counted."""
    opts = spec.opts
    show = [f for f in "lwc" if opts.has(f)] or ["l", "w", "c"]
    names = opts.operands or ["-"]
    width = 1 if len(names) == 1 and len(show) == 1 else _width(io, names)
    status = 0
    totals = [0] * len(show)

    def row(numbers: list[int], label: str | None) -> bytes:
        text = b" ".join(b"%*d" % (width, v) for v in numbers)
        if label is not None:
            name = os.fsencode(label)
            text += b" " + (shell_quote(name) if b"\n" in name else name)
        return text + b"\n"

    for name in names:
        inp = io.input(name)
        if inp.error is not None:
            io.err(f"{name}: {inp.error}")
            status = 1
            continue
        label = None if not opts.operands else name
        if inp.reader is None:  # a folder: GNU reports it and still prints a row of zeros
            io.err(f"{name}: {EISDIR}")
            status = 1
            yield row([0] * len(show), label)
            continue
        with inp.reader as reader:
            if show == ["c"] and inp.path is not None:
                counts = (0, 0, io.fs.size(inp.path))
            elif isinstance(reader, Stream):
                counts = _count(io.blocks(reader), "w" in show)
            else:
                counts = _count(_file_blocks(reader, io), "w" in show)
        by_flag = dict(zip("lwc", counts, strict=True))
        numbers = [by_flag[f] for f in show]
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        yield row(numbers, label)
    if len(names) > 1:
        yield row(totals, "total")
    return status


def _width(io: IO, names: list[str]) -> int:
    """GNU's number width: digits of the regular files' total size, at least 7 when an input is
    not a regular file (standard input, a folder); operands that fail are left out."""
    minimum, total = 1, 0
    for name in names:
        if name == "-":
            minimum = 7
            continue
        found = io.lookup(name)
        if found.error is not None:
            continue
        if found.kind == FILE and _is_regular(io, found.path):
            total += io.fs.size(found.path)
        else:
            minimum = 7
    return max(minimum, len(str(total)))


def _is_regular(io: IO, path: object) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)  # type: ignore[arg-type]
    except OSError:
        return True  # a file only in the overlay: a planned regular file


_LETTER_ESCAPES = {7: b"a", 8: b"b", 9: b"t", 10: b"n", 11: b"v", 12: b"f", 13: b"r"}


def shell_quote(name: bytes) -> bytes:
    """gnulib's shell-escape-always quoting, as GNU wc prints a name holding a newline:
    'a'$'\\n''b'. Printable bytes stay inside single quotes, a quote becomes '\\'', other
    bytes go into $'...' as \\n, \\t, ... or three octal digits."""
    out = bytearray(b"'")
    escaping = False  # inside a $'...' segment
    for c in name:
        if c == 0x27:
            out += b"'\\''"
            escaping = False
            continue
        if 0x20 <= c < 0x7F:
            if escaping:
                out += b"''"
                escaping = False
            out.append(c)
            continue
        if not escaping:
            out += b"'$'"
            escaping = True
        out += b"\\" + _LETTER_ESCAPES.get(c, b"%03o" % c)
    out += b"'"
    return bytes(out)


COMMANDS = [Command("wc", False, _parse_wc, _run_wc)]
