"""grep: GNU grep 3.x output in the C locale, searching blocks of lines with one compiled regex."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import regex  # type: ignore[import-untyped]

from tools.base import ToolError
from tools.shell_lite.command import (
    IO,
    Command,
    Spec,
    TimeLimitError,
    UsageError,
    getopt,
    parse_count,
)
from tools.shell_lite.posix_re import RegexError, translate
from tools.shell_lite.vfs import DIR, FILE

FLAGS = "ivnclEFGwxorhHqs"


@dataclass
class _Matcher:
    lines: regex.Pattern[bytes]
    """The pattern followed by the rest of its line: one match per matching line of a block (a
    match never spans a newline, so the leftmost match lies in the first matching line)."""
    longest: regex.Pattern[bytes]
    """The same pattern with POSIX leftmost-longest semantics, for -o."""


def compile_patterns(patterns: list[bytes], opts: set[str]) -> _Matcher:
    """One regex for all patterns (grep ORs them), honouring -E -F -i -w -x."""
    parts = []
    groups = 0
    for pattern in patterns:
        if "F" in opts:
            parts.append(b"".join(b"\\x%02x" % b for b in pattern))
            continue
        source, n = translate(pattern, extended="E" in opts, group_offset=groups)
        groups += n
        parts.append(source)
    combined = b"|".join(b"(?:" + p + b")" for p in parts)
    if "x" in opts:
        combined = b"^(?:" + combined + b")$"
    elif "w" in opts:
        combined = b"(?<![A-Za-z0-9_])(?:" + combined + b")(?![A-Za-z0-9_])"
    flags = regex.MULTILINE | regex.ASCII | (regex.IGNORECASE if "i" in opts else 0)
    try:
        return _Matcher(
            regex.compile(b"(?:" + combined + b")[^\\n]*\\n?", flags),
            regex.compile(combined, flags | regex.POSIX),
        )
    except (regex.error, OverflowError, RecursionError) as exc:
        raise RegexError(f"grep: cannot compile the pattern: {exc}") from None


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
    spec = Spec(opts, paths=[p for p in operands if p != "-"])
    spec.extra.update(
        operands=operands, matcher=compile_patterns(patterns, opts.flags), max_count=max_count
    )
    return spec


class _Search:
    """Per-run state: which output mode, the counts, and the writer."""

    def __init__(self, spec: Spec, io: IO) -> None:
        self.io = io
        f = spec.opts.flags
        self.f = f
        self.matcher: _Matcher = spec.extra["matcher"]
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

    def search(self, reader: BinaryIO, label: bytes, show_name: bool) -> int:
        """Search one input; returns the number of selected lines."""
        selected = 0
        line_no = 0
        binary = False
        prefix_name = label + b":" if show_name else b""
        if self.max_count == 0:
            return 0
        for chunk in self.io.chunks(reader):
            binary = binary or b"\x00" in chunk
            if self.mode == "count" and self.max_count is None:
                found = self._count(chunk)
                if self.invert:
                    found = chunk.count(b"\n") + (not chunk.endswith(b"\n")) - found
                selected += found
                continue
            matched = self._matched(chunk)
            if (
                self.invert
                and self.max_count is None
                and self.mode == "lines"
                and not (binary or prefix_name or "n" in self.f)
            ):
                selected += self._invert_fast(chunk, matched)
                line_no += chunk.count(b"\n")
                continue
            out: list[bytes] = []
            offset, base = 0, line_no  # line number ``base`` ends just before ``offset`` (-n)
            spans = self._gaps(chunk, matched) if self.invert else matched
            for start, end in spans:
                selected += 1
                if self.mode in ("quiet", "files"):
                    return selected
                if self.mode in ("lines", "only") and binary:
                    self.io.out.write(b"".join(out))
                    name = label.decode("utf-8", "replace")
                    self.io.errors.append(f"grep: {name}: binary file matches")
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
                        out.extend(prefix + m + b"\n" for m in self._only(chunk, start, end))
                if self.max_count is not None and selected >= self.max_count:
                    self.io.out.write(b"".join(out))
                    return selected
            self.io.out.write(b"".join(out))
            line_no += chunk.count(b"\n")
        return selected

    def _line_matches(self, chunk: bytes) -> Iterator[Any]:
        """One match object per matching line; the search runs in C under the time limit."""
        n = len(chunk)
        phantom = chunk.endswith(b"\n")
        try:
            for count, m in enumerate(
                self.matcher.lines.finditer(chunk, timeout=self.io.remaining())
            ):
                if phantom and m.start() == n:
                    return  # an empty match after the final newline is not a line
                if count % 8192 == 8191:
                    self.io.check()
                yield m
        except TimeoutError:
            raise TimeLimitError("grep: stopped at the time limit; nothing was changed") from None

    def _count(self, chunk: bytes) -> int:
        return sum(1 for _ in self._line_matches(chunk))

    def _matched(self, chunk: bytes) -> list[tuple[int, int]]:
        """Spans (start, end without newline) of the lines of a block that match."""
        spans = []
        rfind = chunk.rfind
        for m in self._line_matches(chunk):
            end = m.end()
            spans.append(
                (rfind(b"\n", 0, m.start()) + 1, end - 1 if chunk[end - 1 : end] == b"\n" else end)
            )
        return spans

    @staticmethod
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

    def _invert_fast(self, chunk: bytes, matched: list[tuple[int, int]]) -> int:
        """-v without per-line prefixes: copy whole runs of unmatched lines at once."""
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
        self.io.out.write(b"".join(out))
        return count

    def _only(self, chunk: bytes, start: int, end: int) -> list[bytes]:
        try:
            return [
                m.group()
                for m in self.matcher.longest.finditer(
                    chunk, start, end, timeout=self.io.remaining()
                )
                if m.end() > m.start()
            ]
        except TimeoutError:
            raise TimeLimitError("grep: stopped at the time limit; nothing was changed") from None


def _run(spec: Spec, io: IO) -> int:
    search = _Search(spec, io)
    f = spec.opts.flags
    operands = spec.extra["operands"]
    recursive = "r" in f
    selected_any = False
    error = False

    def report(message: str) -> None:
        nonlocal error
        error = True
        if "s" not in f:
            io.err(message)

    def one(reader: BinaryIO, label: str, show: bool) -> bool:
        count = search.search(reader, os.fsencode(label), show)
        name = os.fsencode(label)
        if search.mode == "count":
            io.out.write((name + b":" if show else b"") + b"%d\n" % count)
        elif search.mode == "files" and count:
            io.out.write(name + b"\n")
        return count > 0

    show_named = "H" in f or (len(operands) > 1 and "h" not in f)
    if operands:
        targets = [(name, name) for name in operands]
    else:
        targets = [(".", "")] if recursive else [("-", "(standard input)")]
    for operand, label in targets:
        if selected_any and search.mode == "quiet":
            break
        if operand == "-":
            with io.stdin_reader() as reader:
                selected_any |= one(reader, "(standard input)", show_named)
            continue
        path = io.fs.resolve(operand)
        if io.fs.kind(path) != DIR:
            selected_any |= _search_path(io, path, label, show_named, one, report)
            continue
        if not recursive:
            report(f"{operand}: Is a directory")
            continue
        base = label.rstrip("/") or label
        for child in io.fs.walk(path):
            if io.fs.kind(child) != FILE:
                continue  # links found while recursing are not followed (grep -r)
            rel = child.relative_to(path).as_posix()
            shown = f"{base}/{rel}" if base else rel
            selected_any |= _search_path(io, child, shown, "h" not in f, one, report)
            if selected_any and search.mode == "quiet":
                break
    if error and not (selected_any and "q" in f):
        return 2
    return 0 if selected_any else 1


def _search_path(
    io: IO,
    path: Path,
    label: str,
    show: bool,
    one: Callable[[BinaryIO, str, bool], bool],
    report: Callable[[str], None],
) -> bool:
    try:
        reader = io.fs.open(path)
    except ToolError as exc:  # unreadable: report it and go on to the next file, as grep does
        message = str(exc)
        rel = io.fs.rel(path)
        report(label + message[len(rel) :] if message.startswith(rel) else message)
        return False
    with reader:
        return one(reader, label, show)


COMMANDS = [Command("grep", False, _parse, _run)]
