"""wc as GNU coreutils prints it in the C locale: widths from the operands' sizes, a row per file
as it is counted, a name holding a newline in shell-escape quoting."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from tools.shell_lite.command import IO, Command, Spec, getopt
from tools.shell_lite.lookup import EISDIR
from tools.shell_lite.vfs import FILE

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
    """GNU wc: the column width comes from the sizes of all operands first, then each file's
    row is printed as soon as it is counted."""
    opts = spec.opts
    show = [f for f in "lwc" if opts.has(f)] or ["l", "w", "c"]
    names = opts.operands or ["-"]
    width = 1 if len(names) == 1 and len(show) == 1 else _width(io, names)
    status = 0
    totals = [0] * len(show)

    def row(numbers: list[int], label: str | None) -> None:
        text = b" ".join(b"%*d" % (width, v) for v in numbers)
        if label is not None:
            name = os.fsencode(label)
            text += b" " + (shell_quote(name) if b"\n" in name else name)
        io.out.write(text + b"\n")

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
            row([0] * len(show), label)
            continue
        with inp.reader as reader:
            if show == ["c"] and inp.path is not None:
                counts = (0, 0, io.fs.size(inp.path))
            else:
                counts = _count(reader, io, "w" in show)
        by_flag = dict(zip("lwc", counts, strict=True))
        numbers = [by_flag[f] for f in show]
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        row(numbers, label)
    if len(names) > 1:
        row(totals, "total")
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
