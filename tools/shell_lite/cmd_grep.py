"""grep: GNU grep 3.x output in the C locale, searching blocks of lines (see ``grep_match``)."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import BinaryIO

from tools.base import ToolError
from tools.shell_lite.command import (
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
from tools.shell_lite.grep_match import Matcher, pieces
from tools.shell_lite.lookup import EISDIR
from tools.shell_lite.vfs import DIR, FILE

FLAGS = "ivnclEFGwxorhHqs"
READ_SURE = 64 << 10
"""GNU grep's first read of a file holds at least this much: a NUL byte within it makes the
whole file binary before any line prints."""
PIPE_SURE = 0
"""The same for a pipe: nothing is sure. A read returns whatever the writer has written so far
(``tail`` writes file by file), so any line that would print before a NUL depends on timing."""


def _parse(argv: list[str]) -> Spec:
    opts = getopt("grep", argv, FLAGS, "em")
    operands = list(opts.operands)
    if "e" in opts.values:
        raw = opts.values["e"]
    elif operands:
        raw = [operands.pop(0)]
    else:
        raise UsageError("grep: no pattern given (grep [flags] PATTERN [FILE...])")
    if opts.has("E") + opts.has("F") + opts.has("G") > 1:
        raise UsageError("grep: -E, -F and -G are exclusive: pick one")
    patterns = [p.encode("utf-8", "surrogateescape") for text in raw for p in text.split("\n")]
    max_count = None
    if opts.last("m") is not None:
        max_count = parse_count("grep", "max count (-m)", opts.last("m") or "")
    matcher = Matcher(patterns, opts.flags)
    if opts.has("o") and opts.has("w") and opts.has("x"):
        # GNU grep 3.8 prints each match with its line's newline here (a bug): refused
        raise UsageError("grep: -o together with both -w and -x is not supported (use one)")
    spec = Spec(opts, paths=[p for p in operands if p != "-"])
    spec.extra.update(
        operands=operands,
        matcher=matcher,
        max_count=max_count,
        # GNU grep exits at once, reading nothing, when nothing could ever be selected
        nothing=max_count == 0
        or (not any(patterns) and opts.has("v") and not opts.has("x") and not opts.has("w")),
    )
    return spec


class _Search:
    """Per-run state: which output mode, the counts, and the writer."""

    def __init__(self, spec: Spec, io: IO) -> None:
        self.io = io
        f = spec.opts.flags
        self.f = f
        self.matcher: Matcher = spec.extra["matcher"]
        self.max_count: int | None = spec.extra["max_count"]
        self.invert = "v" in f
        self.mode = (
            "quiet"
            if "q" in f
            else "files"
            if "l" in f
            else "count"
            if "c" in f
            else "only"
            if "o" in f
            else "lines"
        )

    def search(
        self, reader: BinaryIO | Stream, label: bytes, show_name: bool, piped: bool = False
    ) -> Generator[bytes, None, int]:
        """Search one input, yielding what it prints; returns the number of selected lines."""
        selected = 0
        line_no = 0
        binary = False
        prefix_name = label + b":" if show_name else b""
        if self.max_count == 0:
            return 0
        offset_in_file = 0
        io, matcher = self.io, self.matcher
        blocks = _first_at_least(io.chunks(reader), PIPE_SURE if piped else READ_SURE)
        for chunk in (piece for block in blocks for piece in pieces(block)):
            if not binary and b"\x00" in chunk:
                binary = True
                first = chunk.index(b"\x00")
                if self.mode in ("lines", "only") and offset_in_file + first >= (
                    PIPE_SURE if piped else READ_SURE
                ):
                    self._refuse_late_nul(chunk[: chunk.rfind(b"\n", 0, first) + 1], selected)
            offset_in_file += len(chunk)
            if binary:
                chunk = chunk.replace(b"\x00", b"\n")  # GNU splits a binary file's lines at NUL
            if self.mode == "count" and self.max_count is None:
                found = matcher.count(chunk, io)
                if self.invert:
                    found = newlines(chunk) + (not chunk.endswith(b"\n")) - found
                selected += found
                continue
            plain = self.max_count is None and not (binary or prefix_name or "n" in self.f)
            if plain and self.mode == "only" and not self.invert:
                found_all = matcher.only_all(chunk)
                if found_all is not None:
                    # only whether some line matched counts here (a line can match emptily)
                    if found_all:
                        selected += 1
                        yield b"\n".join(found_all) + b"\n"
                    elif matcher.count(chunk, io):
                        selected += 1
                    continue
            matched = _spans(chunk, matcher.ends(chunk, io))
            if plain and self.invert and self.mode == "lines":
                count, block = _unmatched(chunk, matched)
                selected += count
                line_no += newlines(chunk)
                if block:
                    yield block
                continue
            out: list[bytes] = []
            offset, base = 0, line_no  # line number ``base`` ends just before ``offset`` (-n)
            spans = _gaps(chunk, matched) if self.invert else matched
            for start, end in spans:
                selected += 1
                if self.mode in ("quiet", "files"):
                    return selected
                if self.mode in ("lines", "only") and binary:
                    yield b"".join(out)
                    name = label.decode("utf-8", "replace")
                    io.errors.append(f"grep: {name}: binary file matches")
                    return selected
                if self.mode != "count":
                    prefix = prefix_name
                    if "n" in self.f:
                        base += chunk.count(b"\n", offset, start) + 1
                        offset = start
                        prefix += b"%d:" % base
                        base -= 1
                    if self.mode == "lines":
                        out.append(prefix + chunk[start:end] + b"\n")
                    elif not self.invert:
                        out.extend(prefix + m + b"\n" for m in matcher.only(chunk, start, end, io))
                if self.max_count is not None and selected >= self.max_count:
                    yield b"".join(out)
                    return selected
            if out:
                yield b"".join(out)
            line_no += newlines(chunk)
        return selected

    def _refuse_late_nul(self, before: bytes, selected: int) -> None:
        """GNU prints the lines it read before its buffer held the first NUL, then only "binary
        file matches": where that buffer ends is GNU's business (96 KiB reads from a file, any
        size from a pipe), so a line that would print before a late NUL is refused."""
        matched = _spans(before, self.matcher.ends(before, self.io)) if before else []
        if selected or (before and (_gaps(before, matched) if self.invert else matched)):
            raise ToolError(
                "grep: the input turns binary (a NUL byte) after lines that would be printed; "
                "how many GNU grep prints first depends on its read buffers: use grep -c, or "
                "head -c to cut the input before the NUL"
            )


def _first_at_least(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """The chunks, the first holding at least ``size`` bytes (or all there is): GNU looks for
    a NUL in that much before it prints a line, however a pipe's writer cut it up."""
    first = b""
    for chunk in chunks:
        first += chunk
        if len(first) >= size:
            break
    if first:
        yield first
    yield from chunks


def _spans(chunk: bytes, ends: list[int]) -> list[tuple[int, int]]:
    """(start, end without newline) of each line whose end is in ``ends``."""
    spans = []
    rfind = chunk.rfind
    for e in ends:
        stop = e - 1 if chunk[e - 1] == 10 else e
        spans.append((rfind(b"\n", 0, stop) + 1, stop))
    return spans


def _gaps(chunk: bytes, matched: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The lines between matched ones (for -v), one span per line."""
    spans = []
    prev = 0
    for start, end in [*matched, (len(chunk), -1)]:
        a = prev
        while a < start:
            e = chunk.find(b"\n", a, start)
            e = start if e < 0 else e
            spans.append((a, e))
            a = e + 1
        prev = end + 1
    return spans


def _unmatched(chunk: bytes, matched: list[tuple[int, int]]) -> tuple[int, bytes]:
    """-v without per-line prefixes: whole runs of unmatched lines copied at once."""
    count = 0
    out = []
    prev = 0
    for start, end in [*matched, (len(chunk), -1)]:
        if start > prev:
            block = chunk[prev:start]
            count += block.count(b"\n")
            if not block.endswith(b"\n"):
                count += 1
                block += b"\n"
            out.append(block)
        prev = end + 1
    return count, b"".join(out)


def _run(spec: Spec, io: IO) -> Output:
    if spec.extra["nothing"]:
        return 1
    search = _Search(spec, io)
    f = spec.opts.flags
    operands = spec.extra["operands"]
    recursive = "r" in f
    selected_any = False
    error = False
    # GNU refuses to read its own output file, except when it prints at most one line per file
    guard_output = search.mode in ("lines", "only") and (
        search.max_count is None or search.max_count > 1
    )

    def report(message: str) -> None:
        nonlocal error
        error = True
        if "s" not in f:
            io.err(message)

    def one(
        reader: BinaryIO | Stream, label: str, show: bool, piped: bool = False
    ) -> Generator[bytes, None, bool]:
        count = yield from search.search(reader, os.fsencode(label), show, piped)
        name = os.fsencode(label)
        if search.mode == "count":
            yield (name + b":" if show else b"") + b"%d\n" % count
        elif search.mode == "files" and count:
            yield name + b"\n"
        return count > 0

    def path(file: Path, label: str, show: bool) -> Generator[bytes, None, bool]:
        if guard_output and io.is_output(file):
            report(f"{label}: input file is also the output")
            return False
        inp = io.input_path(file, label)
        if inp.reader is None:
            report(f"{label}: {inp.error}")
            return False
        with inp.reader as reader:
            return (yield from one(reader, label, show))

    names = [flag for flag, _ in spec.opts.order if flag in "hH"]
    named = names[-1] if names else ""  # the later of -h and -H wins
    show_named = named == "H" or (len(operands) > 1 and named != "h")
    if operands:
        targets = [(name, name) for name in operands]
    else:
        targets = [(".", "")] if recursive else [("-", "(standard input)")]
    for operand, label in targets:
        if selected_any and search.mode == "quiet":
            break
        if operand == "-":
            with io.stdin_reader() as reader:
                selected_any |= yield from one(reader, "(standard input)", show_named, True)
            continue
        found = io.lookup(operand)
        if found.error is not None:
            report(f"{operand}: {found.error}")
            continue
        if found.kind != DIR:
            if found.kind != FILE:
                report(f"{operand}: not a regular file")
                continue
            selected_any |= yield from path(found.path, label, show_named)
            continue
        io.fs.refuse_denied(found.path)
        if not recursive:
            report(f"{operand}: {EISDIR}")
            if search.mode == "count":
                yield (os.fsencode(label) + b":" if show_named else b"") + b"0\n"
            continue
        hidden = len(io.fs.hidden_by_rule)
        base = label.rstrip("/") or label
        for child in io.fs.walk(found.path):
            if io.fs.kind(child) != FILE:
                continue  # links found while recursing are not followed (grep -r)
            rel = child.relative_to(found.path).as_posix()
            shown = f"{base}/{rel}" if base else rel
            selected_any |= yield from path(child, shown, named != "h")
            if selected_any and search.mode == "quiet":
                break
        if len(io.fs.hidden_by_rule) > hidden:
            error = True  # as GNU does for a file it may not read; the note says why
    if error and not (selected_any and "q" in f):
        return 2
    return 0 if selected_any else 1


COMMANDS = [Command("grep", False, _parse, _run)]
