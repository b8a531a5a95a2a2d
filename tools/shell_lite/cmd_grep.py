"""grep: GNU grep 3.x output in the C locale, searching blocks of lines with one compiled regex."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
from tools.shell_lite.lookup import EISDIR
from tools.shell_lite.posix_re import MAX_WEIGHT, RegexError, translate
from tools.shell_lite.vfs import DIR, FILE

FLAGS = "ivnclEFGwxorhHqs"
READ_SURE = 64 << 10
"""GNU grep's first read of a file holds at least this much: a NUL byte within it makes the
whole file binary before any line prints."""
PIPE_SURE = 4 << 10
"""The same for a pipe (PIPE_BUF: one write of at most this size arrives whole)."""


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
    budget = [MAX_WEIGHT]
    for pattern in patterns:
        if "F" in opts:
            parts.append(b"".join(b"\\x%02x" % b for b in pattern))
            continue
        source, n = translate(pattern, extended="E" in opts, group_offset=groups, budget=budget)
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
    matcher = compile_patterns(patterns, opts.flags)
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

    def search(self, reader: BinaryIO, label: bytes, show_name: bool, piped: bool = False) -> int:
        """Search one input; returns the number of selected lines."""
        selected = 0
        line_no = 0
        binary = False
        prefix_name = label + b":" if show_name else b""
        if self.max_count == 0:
            return 0
        offset_in_file = 0
        for chunk in self.io.chunks(reader):
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

    def _refuse_late_nul(self, before: bytes, selected: int) -> None:
        """GNU prints the lines it read before its buffer held the first NUL, then only "binary
        file matches": where that buffer ends is GNU's business (96 KiB reads from a file, any
        size from a pipe), so a line that would print before a late NUL is refused."""
        if selected or (
            self._gaps(before, self._matched(before)) if self.invert else self._matched(before)
        ):
            raise ToolError(
                "grep: the input turns binary (a NUL byte) after lines that would be printed; "
                "how many GNU grep prints first depends on its read buffers: use grep -c, or "
                "head -c to cut the input before the NUL"
            )

    def _line_matches(self, chunk: bytes) -> Iterator[Any]:
        """One match object per matching line; the search runs in C under the time limit."""
        n = len(chunk)
        phantom = chunk.endswith(b"\n")
        end = -1
        try:
            for count, m in enumerate(
                self.matcher.lines.finditer(chunk, timeout=self.io.remaining())
            ):
                if m.start() == n and (phantom or end == n):
                    return  # an empty match past the last line (or at its end, once it matched)
                if count % 8192 == 8191:
                    self.io.check()
                end = m.end()
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

    def one(reader: BinaryIO, label: str, show: bool, piped: bool = False) -> bool:
        count = search.search(reader, os.fsencode(label), show, piped)
        name = os.fsencode(label)
        if search.mode == "count":
            io.out.write((name + b":" if show else b"") + b"%d\n" % count)
        elif search.mode == "files" and count:
            io.out.write(name + b"\n")
        return count > 0

    def path(file: Path, label: str, show: bool) -> bool:
        if guard_output and io.is_output(file):
            report(f"{label}: input file is also the output")
            return False
        inp = io.input_path(file, label)
        if inp.reader is None:
            report(f"{label}: {inp.error}")
            return False
        with inp.reader as reader:
            return one(reader, label, show)

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
                selected_any |= one(reader, "(standard input)", show_named, True)
            continue
        found = io.lookup(operand)
        if found.error is not None:
            report(f"{operand}: {found.error}")
            continue
        if found.kind != DIR:
            if found.kind != FILE:
                report(f"{operand}: not a regular file")
                continue
            selected_any |= path(found.path, label, show_named)
            continue
        io.fs.refuse_denied(found.path)
        if not recursive:
            report(f"{operand}: {EISDIR}")
            if search.mode == "count":
                io.out.write((os.fsencode(label) + b":" if show_named else b"") + b"0\n")
            continue
        hidden = len(io.fs.hidden_by_rule)
        base = label.rstrip("/") or label
        for child in io.fs.walk(found.path):
            if io.fs.kind(child) != FILE:
                continue  # links found while recursing are not followed (grep -r)
            rel = child.relative_to(found.path).as_posix()
            shown = f"{base}/{rel}" if base else rel
            selected_any |= path(child, shown, named != "h")
            if selected_any and search.mode == "quiet":
                break
        if len(io.fs.hidden_by_rule) > hidden:
            error = True  # as GNU does for a file it may not read; the note says why
    if error and not (selected_any and "q" in f):
        return 2
    return 0 if selected_any else 1


COMMANDS = [Command("grep", False, _parse, _run)]
