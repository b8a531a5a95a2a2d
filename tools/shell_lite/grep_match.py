"""How grep finds matching lines in a block of many lines, in C: one regex search per matching
line (or per block when counting), never a Python loop over every line.

A pattern runs in Python's ``re`` when its shape (``posix_re.Shape``) bounds the work a
backtracking engine can do from one position, so that no input can make it run for long: ``re``
has no time limit. Any other pattern (back-references, nested or several unbounded
repetitions) runs in the ``regex`` module with the command's time limit. Both engines decide
whether a line has a match identically (leftmost-first and POSIX leftmost-longest differ only in
which match is reported); for -o, ``re`` is used only where the two report the same match (one
choice point, taken greedily, gives the longest match).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import regex

from tools.shell_lite.command import IO, TimeLimitError
from tools.shell_lite.posix_re import MAX_WEIGHT, RegexError, translate
from tools.shell_lite.re_shape import Shape

_WORD = b"[A-Za-z0-9_]"
_REST = b"[^\\n]*\\n?"
"""After the pattern: the rest of its line, so that each match stands for one line."""
LINEAR_PRODUCT = 64
"""Bounded choices (a?, x{1,3}, (a|b)) a branch may combine and still run in ``re``."""
PIECE = 64 << 10
"""grep searches blocks of about this many bytes (see ``pieces``), checking the deadline
between them: the bounded work per start position times this many positions stays short."""
LONG = 4 * PIECE
"""A block longer than this holds one line that long: searched under the time limit."""
SPLIT_BRANCHES = 8
"""Up to this many alternatives are searched one by one (each with its own fast literal
prefix) and their lines merged; more are searched as one alternation."""


def _linear(shape: Shape, word: bool, line: bool) -> bool:
    """The work from one start position is bounded whatever the input: at most one unbounded
    repetition, and only where nothing after it can fail (or where the pattern is tried once
    per line)."""
    if shape.nested or shape.product > LINEAR_PRODUCT:
        return False
    if shape.unbounded == 0:
        return True
    if shape.unbounded > 1:
        return False
    if line or shape.anchored:
        return True
    return shape.last_unbounded and not word


class Matcher:
    """All of grep's patterns (ORed) with -E -F -i -w -x applied."""

    def __init__(self, patterns: list[bytes], opts: set[str]) -> None:
        word, line = "w" in opts and "x" not in opts, "x" in opts
        self.icase = "i" in opts
        sources: list[bytes] = []
        branches: list[tuple[bytes, Shape]] = []
        backrefs = False
        groups = 0
        budget = [MAX_WEIGHT]
        for pattern in patterns:
            if "F" in opts:
                literal = b"".join(b"\\x%02x" % b for b in pattern)
                sources.append(literal)
                branches.append((literal, Shape()))
                continue
            t = translate(pattern, extended="E" in opts, group_offset=groups, budget=budget)
            groups += t.groups
            backrefs |= t.backrefs
            sources.append(t.source)
            branches.extend(t.branches)
        combined = b"|".join(b"(?:" + p + b")" for p in sources)
        linear = not backrefs and all(_linear(sh, word, line) for _, sh in branches)
        self.linear = linear
        flags = regex.MULTILINE | regex.ASCII | (regex.IGNORECASE if self.icase else 0)
        try:

            def wrap(p: bytes) -> bytes:
                return _wrap(p, word, line)

            # the fallback (and -o's POSIX matcher) in ``regex``, with the time limit
            self._lines = regex.compile(wrap(combined) + _REST, flags)
            self._longest = regex.compile(wrap(combined), flags | regex.POSIX)
            self._parts: list[Any] = []
            self._only: Any = None
            if linear:
                # ``re`` is fast on literal prefixes; ``regex`` on case-insensitive ones
                engine: Any = regex if self.icase else re
                self._end = engine.Match.end
                eflags = flags if self.icase else re.MULTILINE | re.ASCII
                parts = [b for b, _ in branches] if len(branches) <= SPLIT_BRANCHES else []
                parts = parts or [b"|".join(b"(?:" + b + b")" for b, _ in branches)]
                self._parts = [engine.compile(wrap(p) + _REST, eflags) for p in parts]
                self._count = engine.compile(wrap(parts[0]) + _REST + b"()", eflags)
                one = branches[0][1]
                if len(branches) == 1 and one.choices <= 1 and not one.alternation:
                    self._only = engine.compile(wrap(branches[0][0]), eflags)
        except (regex.error, re.error, OverflowError, RecursionError) as exc:
            raise RegexError(f"grep: cannot compile the pattern: {exc}") from None

    # -- lines ------------------------------------------------------------------------------
    def count(self, chunk: bytes, io: IO) -> int:
        """How many lines of a block of whole lines have a match."""
        if len(self._parts) == 1 and len(chunk) <= LONG:
            rx = self._parts[0]
            return len(self._count.findall(chunk)) - self._extra(rx, chunk)
        if self._parts and len(chunk) <= LONG:
            return len(self._union(chunk))
        return len(self.ends(chunk, io))

    def ends(self, chunk: bytes, io: IO) -> list[int]:
        """Where each line with a match ends (after its newline), in order."""
        if not self._parts or len(chunk) > LONG:
            return [m.end() for m in self._slow(chunk, io)]
        if len(self._parts) == 1:
            rx = self._parts[0]
            found = list(map(self._end, rx.finditer(chunk)))
            if self._extra(rx, chunk):
                found.pop()
            return found
        return sorted(self._union(chunk))

    def _union(self, chunk: bytes) -> set[int]:
        """The ends of the lines any of several alternatives matches, each searched alone."""
        seen: set[int] = set()
        for rx in self._parts:
            seen.update(map(self._end, rx.finditer(chunk)))
        n = len(chunk)
        if n in seen and chunk.endswith(b"\n"):
            # n is the end of the last line, or an empty match after it (no line at all)
            start = chunk.rfind(b"\n", 0, n - 1) + 1
            if not any(rx.search(chunk, start, n - 1) for rx in self._parts):
                seen.discard(n)
        return seen

    @staticmethod
    def _extra(rx: Any, chunk: bytes) -> int:
        """1 when the search also found an empty match at the very end that is no line: after
        the final newline, or after a match that already took the unterminated last line."""
        n = len(chunk)
        if rx.match(chunk, n) is None:
            return 0
        if chunk.endswith(b"\n"):
            return 1
        first = rx.search(chunk, chunk.rfind(b"\n") + 1)
        return int(first is not None and first.start() < n)

    def _slow(self, chunk: bytes, io: IO) -> Iterator[Any]:
        """One match object per matching line, in ``regex`` under the time limit."""
        n = len(chunk)
        phantom = chunk.endswith(b"\n")
        end = -1
        try:
            for count, m in enumerate(self._lines.finditer(chunk, timeout=io.remaining())):
                if m.start() == n and (phantom or end == n):
                    return  # an empty match past the last line (or at its end, once it matched)
                if count % 8192 == 8191:
                    io.check()
                end = m.end()
                yield m
        except TimeoutError:
            raise TimeLimitError("grep: stopped at the time limit; nothing was changed") from None

    # -- matches (-o) -----------------------------------------------------------------------
    def only_all(self, chunk: bytes) -> list[bytes] | None:
        """Every non-empty match of a block, in order, when ``re`` reports GNU's matches;
        None when they must be found line by line."""
        if self._only is None or len(chunk) > LONG:
            return None
        return list(filter(None, self._only.findall(chunk)))

    def only(self, chunk: bytes, start: int, end: int, io: IO) -> list[bytes]:
        """The non-empty matches within one line, leftmost-longest as GNU reports them."""
        if self._only is not None and end - start <= LONG:
            return list(filter(None, self._only.findall(chunk, start, end)))
        try:
            return [
                m.group()
                for m in self._longest.finditer(chunk, start, end, timeout=io.remaining())
                if m.end() > m.start()
            ]
        except TimeoutError:
            raise TimeLimitError("grep: stopped at the time limit; nothing was changed") from None


def pieces(chunk: bytes) -> Iterator[bytes]:
    """A block of whole lines cut, at line ends, into pieces of at least PIECE bytes (a
    NUL within the first PIECE bytes is always in the first piece)."""
    if len(chunk) <= LONG:
        yield chunk
        return
    start, n = 0, len(chunk)
    while n - start > LONG:
        cut = chunk.find(b"\n", start + PIECE - 1) + 1
        if not cut or cut == n:
            break
        yield chunk[start:cut]
        start = cut
    yield chunk[start:]


def _wrap(source: bytes, word: bool, line: bool) -> bytes:
    if line:
        return b"^(?:" + source + b")$"
    if word:
        return b"(?<!" + _WORD + b")(?:" + source + b")(?!" + _WORD + b")"
    return b"(?:" + source + b")"
