"""POSIX basic/extended regular expressions (GNU grep dialect, C locale) translated to Python's.

The translation never lets a pattern match a newline (negated classes, ``\\W`` and ``\\s``
exclude it), so a match found in a buffer of many lines always lies inside one line.
Constructs whose GNU meaning is murky (a quantifier with nothing before it, an anchor
quantified) are refused with a message instead of being guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.base import ToolError
from tools.shell_lite.re_shape import CAP, SIMPLE, Atom, Shape, repeated, shape

DUP_MAX = 32767
MAX_WEIGHT = 1 << 16
"""Atoms a pattern may stand for once counted repetitions are multiplied out ('(a{300}){300}'
is 90,000): more is refused as "too big" before the regex engine allocates gigabytes."""
MAX_DEPTH = 100
"""Groups nested deeper than this are refused (a recursive translator, and a regex engine, must
not run out of stack on a hostile pattern)."""
_INTERVAL = re.compile(rb"([0-9]*)(,([0-9]*))?")

_CLASSES = {
    b"alpha": b"a-zA-Z",
    b"digit": b"0-9",
    b"alnum": b"a-zA-Z0-9",
    b"upper": b"A-Z",
    b"lower": b"a-z",
    b"space": b" \\t\\r\\f\\v",  # newline left out on purpose: a match never spans lines
    b"blank": b" \\t",
    b"punct": b"!-/:-@\\[-`{-~",
    b"xdigit": b"0-9A-Fa-f",
    b"print": b"\\x20-\\x7e",
    b"graph": b"\\x21-\\x7e",
    b"cntrl": b"\\x00-\\x09\\x0b-\\x1f\\x7f",
}

_ESCAPES = {
    b"w": b"\\w",
    b"W": b"[^\\w\\n]",
    b"s": b"[ \\t\\r\\f\\v]",
    b"S": b"[^\\s]",
    b"b": b"\\b",
    b"B": b"\\B",
    b"<": b"\\b(?=\\w)",
    b">": b"\\b(?<=\\w)",
    b"`": b"^",
    b"'": b"$",
}


class RegexError(ToolError):
    """The pattern is not a valid (or not a supported) POSIX regular expression."""


@dataclass(frozen=True)
class Translation:
    """One pattern translated: ``source`` numbers its groups after ``group_offset``;
    ``branches`` are its top-level alternatives with groups that do not capture (usable alone
    when ``backrefs`` is false)."""

    source: bytes
    groups: int
    branches: list[tuple[bytes, Shape]]
    backrefs: bool


def _lit(byte: int) -> bytes:
    if chr(byte).isalnum() and byte < 128 or byte == 0x5F:
        return bytes([byte])
    return b"\\x%02x" % byte


class _Translator:
    def __init__(
        self, pattern: bytes, extended: bool, group_offset: int, capture: bool = True
    ) -> None:
        self.p = pattern
        self.capture = capture
        self.backrefs = False
        self.atom_info = SIMPLE
        self.shape = Shape()
        self.alt_shapes: list[Shape] = []
        self.alt_sources: list[bytes] = []
        self.ere = extended
        self.i = 0
        self.offset = group_offset
        self.groups = 0
        self.depth = 0
        self.weight = 0
        """Size of what was just parsed, counting each repetition's copies (see MAX_WEIGHT)."""
        self.count = 1
        self.closed: set[int] = set()

    def error(self, message: str) -> RegexError:
        return RegexError(
            f"invalid regular expression {self.p.decode('utf-8', 'replace')!r}: {message}"
        )

    def peek(self, n: int = 1) -> bytes:
        return self.p[self.i : self.i + n]

    # ``alternation := branch ('|' branch)*``; ``depth`` counts open groups
    def alternation(self, depth: int) -> bytes:
        # A back-reference may name only a group closed earlier in its own alternative (glibc
        # says "Invalid back reference" to '(a)|\\1'), so each branch starts from the groups
        # closed before the alternation.
        initial = set(self.closed)
        branches = [self.branch(depth)]
        shapes = [self.shape]
        weight = self.weight
        closed = set(self.closed)
        while self.at_bar():
            self.i += 1 if self.ere else 2
            self.closed = set(initial)
            branches.append(self.branch(depth))
            shapes.append(self.shape)
            weight += self.weight
            closed |= self.closed
        self.alt_shapes, self.alt_sources = shapes, branches
        self.closed = closed
        self.weight = weight
        if weight > MAX_WEIGHT:
            raise self.error("regular expression too big")
        return b"|".join(branches)

    def at_bar(self) -> bool:
        return self.peek() == b"|" if self.ere else self.peek(2) == b"\\|"

    def at_close(self) -> bool:
        return self.peek() == b")" if self.ere else self.peek(2) == b"\\)"

    def branch(self, depth: int) -> bytes:
        out: list[bytes] = []
        start = True  # at the start of the RE, a group or an alternative
        star_literal = False
        total = 0
        atoms: list[Atom] = []
        while self.i < len(self.p):
            if self.at_bar():
                break
            if self.at_close():
                if depth > 0:
                    break
                if not self.ere:
                    raise self.error("unmatched ) or \\)")
                raise self.error("an unmatched ')' is not supported: write \\) for a literal one")
            self.weight = 1
            self.atom_info = SIMPLE
            atom, quantifiable = self.atom(start, star_literal)
            info = self.atom_info
            weight = self.weight  # a group's atom weighs what its inside does
            out.append(atom)
            # BRE: right after a leading '^', '*' is literal and another '^' is too ('^^x')
            star_literal = start and atom == b"^" and not self.ere
            start = False
            if star_literal:
                total += weight
                atoms.append(info)
                continue
            quantified: list[bytes] = []
            while True:
                self.count = 1
                q = self.quantifier()
                if q is None:
                    break
                if not quantifiable:
                    raise self.error(
                        "a repetition operator after an anchor or at the start is not supported"
                    )
                if quantified:
                    out[-1] = b"(?:" + out[-1] + b")"
                out[-1] += q
                quantified.append(q)
                weight *= self.count
            atoms.append(repeated(info, quantified))
            total += weight
            if total > MAX_WEIGHT:
                # a{32767}{32767} made the regex engine take gigabytes: GNU calls it too big
                raise self.error("regular expression too big")
        self.weight = total
        self.shape = shape(atoms, bool(out) and out[0] == b"^")
        return b"".join(out)

    def quantifier(self) -> bytes | None:
        c = self.peek()
        if c == b"*":
            self.i += 1
            return b"*"
        if self.ere and c in (b"+", b"?"):
            self.i += 1
            return c
        if not self.ere and self.peek(2) in (b"\\+", b"\\?"):
            self.i += 2
            return self.p[self.i - 1 : self.i]
        if self.ere and c == b"{":
            save = self.i
            self.i += 1
            got = self.interval(b"}")
            if got is None:
                self.i = save  # not a valid interval: '{' is an ordinary character (GNU)
                return None
            return got
        if not self.ere and self.peek(2) == b"\\{":
            self.i += 2
            got = self.interval(b"\\}")
            if got is None:
                raise self.error("malformed \\{...\\} interval")
            return got
        return None

    def interval(self, close: bytes) -> bytes | None:
        """``{m}``, ``{m,}``, ``{,n}``, ``{m,n}`` after the opening brace; None when malformed."""
        m = _INTERVAL.match(self.p, self.i)
        assert m is not None  # every part of the pattern is optional
        low, comma, high = m.group(1), m.group(2), m.group(3)
        if self.p[m.end() : m.end() + len(close)] != close or not (low or comma):
            return None
        if len(low) > 9 or len(high or b"") > 9:
            raise self.error(f"repetition count above {DUP_MAX}")
        lo = int(low or b"0")
        hi = (int(high) if high else None) if comma else lo
        if hi is not None and lo > hi:
            raise self.error("invalid content of \\{\\} (minimum above maximum)")
        if lo > DUP_MAX or (hi or 0) > DUP_MAX:
            raise self.error(f"repetition count above {DUP_MAX}")
        self.i = m.end() + len(close)
        self.count = max(1, lo, hi or 0)
        return b"{%d,%s}" % (lo, b"" if hi is None else b"%d" % hi)

    def atom(self, start: bool, star_literal: bool = False) -> tuple[bytes, bool]:
        c = self.p[self.i]
        ch = bytes([c])
        if ch == b"\\":
            return self.escape()
        if ch == b"[":
            return self.bracket(), True
        if ch == b".":
            self.i += 1
            return b".", True
        if ch == b"^":
            if self.ere or start:
                self.i += 1
                return b"^", False
            self.i += 1
            return _lit(c), True
        if ch == b"$":
            self.i += 1
            if self.ere or self.i == len(self.p) or self.at_bar() or self.at_close():
                return b"$", False
            return _lit(c), True
        if ch == b"*":
            if (start or star_literal) and not self.ere:
                self.i += 1
                return _lit(c), True
            raise self.error("'*' at the start of an expression is not supported: use \\*")
        if self.ere and ch in (b"+", b"?"):
            raise self.error(
                f"'{ch.decode()}' with nothing before it is not supported: use \\{ch.decode()}"
            )
        if self.ere and ch == b"{" and start:
            raise self.error("'{' at the start of an expression is not supported: use \\{")
        if self.ere and ch == b"(":
            self.i += 1
            return self.group(), True
        if self.ere and ch == b")":
            raise self.error("unmatched ) or \\)")
        self.i += 1
        return _lit(c), True

    def group(self) -> bytes:
        self.groups += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"groups nested more than {MAX_DEPTH} deep")
        number = self.groups
        inner = self.alternation(1)
        shapes = self.alt_shapes
        self.depth -= 1
        if not self.at_close():
            raise self.error("unmatched ( or \\(")
        self.i += 1 if self.ere else 2
        self.closed.add(number)
        bounded = all(sh.unbounded == 0 for sh in shapes)
        self.atom_info = Atom(
            choices=min(CAP, sum(sh.product for sh in shapes)) if bounded else None,
            nested=any(sh.nested for sh in shapes),
            inner=sum(sh.choices for sh in shapes),
            alternation=len(shapes) > 1 or any(sh.alternation for sh in shapes),
        )
        return (b"(" if self.capture else b"(?:") + inner + b")"

    def escape(self) -> tuple[bytes, bool]:
        if self.i + 1 >= len(self.p):
            raise self.error("trailing backslash")
        c = self.p[self.i + 1 : self.i + 2]
        self.i += 2
        if not self.ere and c == b"(":
            return self.group(), True
        if not self.ere and c in (b"{", b"}", b"+", b"?"):
            raise self.error(f"'\\{c.decode()}' at the start or after an anchor is not supported")
        if c.isdigit() and c != b"0":
            n = int(c)
            if n not in self.closed:
                raise self.error(f"invalid back reference \\{n}")
            self.backrefs = True
            return b"(?:\\%d)" % (n + self.offset), True
        if c in _ESCAPES:
            return _ESCAPES[c], c in (b"w", b"W", b"s", b"S")
        if c.isalnum():
            raise self.error(f"unsupported escape '\\{c.decode('latin-1')}'")
        return _lit(c[0]), True

    def bracket(self) -> bytes:
        j = self.i + 1
        negate = self.p[j : j + 1] == b"^"
        if negate:
            j += 1
        items: list[bytes] = []
        first = True
        while True:
            if j >= len(self.p):
                raise self.error("unmatched [, [^, [:, [., or [=")
            c = self.p[j : j + 1]
            if c == b"]" and not first:
                break
            first = False
            if c == b"[" and self.p[j + 1 : j + 2] in (b":", b"=", b"."):
                kind = self.p[j + 1 : j + 2]
                end = self.p.find(kind + b"]", j + 2)
                if end < 0:
                    raise self.error("unmatched [, [^, [:, [., or [=")
                name = self.p[j + 2 : end]
                j = end + 2
                if kind == b":":
                    if name not in _CLASSES:
                        raise self.error(f"invalid character class [:{name.decode('latin-1')}:]")
                    items.append(_CLASSES[name])
                    continue
                if len(name) != 1:
                    raise self.error("only single characters are supported in [= =] and [. .]")
                low = name[0]
            else:
                low = c[0]
                j += 1
            if self.p[j : j + 1] == b"-" and self.p[j + 1 : j + 2] not in (b"]", b""):
                high_raw = self.p[j + 1 : j + 2]
                j += 2
                if high_raw == b"[" and self.p[j : j + 1] in (b".", b"="):
                    kind = self.p[j : j + 1]
                    end = self.p.find(kind + b"]", j + 1)
                    if end < 0 or end - j - 1 != 1:
                        raise self.error("unsupported range end")
                    high_raw = self.p[j + 1 : j + 2]
                    j = end + 2
                high = high_raw[0]
                if high < low:
                    raise self.error("invalid range end")
                items.append(_lit(low) + b"-" + _lit(high))
            else:
                items.append(_lit(low))
        self.i = j + 1
        body = b"".join(items)
        return b"[^" + body + b"\\n]" if negate else b"[" + body + b"]"


def translate(
    pattern: bytes, *, extended: bool, group_offset: int = 0, budget: list[int] | None = None
) -> Translation:
    """A Python regex source equivalent to one POSIX pattern, with its groups and its shape.
    ``budget`` (one number) is what is left of MAX_WEIGHT for several patterns together."""
    if pattern.startswith(b"[:") and pattern.endswith(b":]") and pattern[2:-2] in _CLASSES:
        raise RegexError(
            f"character class syntax is [[:{pattern[2:-2].decode()}:]], not {pattern.decode()}"
        )
    t = _Translator(pattern, extended, group_offset)
    out = t.alternation(0)
    if t.i != len(pattern):
        raise t.error("unmatched ) or \\)")
    if budget is not None:
        budget[0] -= t.weight
        if budget[0] < 0:
            raise RegexError("the patterns together are too big a regular expression")
    plain = _Translator(pattern, extended, 0, capture=False)
    plain.alternation(0)
    branches = list(zip(plain.alt_sources, plain.alt_shapes, strict=True))
    return Translation(out, t.groups, branches, t.backrefs)
