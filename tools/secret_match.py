"""Finding secret values in text, in the spellings a value takes on its way in or out.

A value is found raw or case-folded; percent-encoded (also twice), JSON-, JavaScript- or
HTML-escaped one character at a time; split by whitespace (or by escaped newlines inside a JSON
string); as hex (either case, bytes optionally separated); and as base64, standard or url-safe,
at each of the three alignments it can have inside a longer base64 run (only the characters that
depend on the value alone are matched, so the surrounding bytes do not matter). What cannot be
found is a value the model transformed in some other way (reversed, re-encoded twice, spelled
out): the design keeps values away from the model instead of relying on this.

One compiled pattern covers every form of every value; the ``regex`` module's partial matching
also tells how much of a text's end could still become a value, which lets a stream hold those
characters back and lets a cut body be scrubbed of the value's first half.
"""

from __future__ import annotations

import base64
import html.entities
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

MIN_VALUE_CHARS = 8
"""Shorter values would turn ordinary text into markers and refuse ordinary calls (a local
server's dummy key such as "ollama" or "none", matched in any case); they are not matched at
all. Real keys are far longer; `keys set` warns when a value is this short."""
MIN_ENCODED_CHARS = 8
"""A base64 core shorter than this would match random base64 text too often; not used."""
TAIL_MIN_CHARS = 8
"""A text that ends with this many characters of the start of a value (a body cut at its size
limit, a capped output) has that tail scrubbed too."""

_SEP = r"(?:\s|\\[nrt])*"
"""Between the characters of a form: whitespace, or an escaped line break inside a JSON string."""
_HEX_SEP = r"(?:[\s:]|\\[nrt])*"


def marker(name: str) -> str:
    """What a raw value is replaced by: clearly not a handle, so nobody mistakes it for one."""
    return f"[raw value of secret {name}]"


def tail_marker(name: str) -> str:
    return f"[part of the raw value of secret {name}]"


@dataclass(frozen=True)
class Hit:
    """One value found: where, whose, and in which spelling ("text", "hex" or "base64")."""

    start: int
    end: int
    name: str
    form: str
    partial: bool = False


def _ci(text: str) -> str:
    """A pattern for ``text`` (ASCII letters and digits) matching either case."""
    out = []
    for ch in text:
        if ch.isascii() and ch.isalpha():
            out.append(f"[{ch.lower()}{ch.upper()}]")
        else:
            out.append(regex.escape(ch))
    return "".join(out)


@lru_cache(maxsize=1)
def _entity_names() -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for name, char in html.entities.html5.items():
        if len(char) == 1 and name.endswith(";"):
            names.setdefault(char, []).append(name)
    return {c: tuple(sorted(n)) for c, n in names.items()}


@lru_cache(maxsize=4096)
def _char_unit(ch: str) -> str:
    """Every spelling of one character that the text form accepts."""
    alts: list[str] = []
    if ch.isascii() and ch.isalpha():
        alts.append(f"[{ch.lower()}{ch.upper()}]")
    else:
        folded = {ch, ch.lower(), ch.upper()}
        alts += [regex.escape(c) for c in sorted(folded) if len(c) == 1]
    if ch == " ":
        alts.append(r"\+")  # form encoding
    data = ch.encode("utf-8")
    alts.append("".join("%(?:25)?" + _ci(f"{b:02x}") for b in data))
    if len(data) == 1:
        alts.append(r"\\x" + _ci(f"{data[0]:02x}"))
    code = ord(ch)
    if code < 0x10000:
        alts.append(r"\\u" + _ci(f"{code:04x}"))
    else:  # JSON spells it as a surrogate pair
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        alts.append(r"\\u" + _ci(f"{high:04x}") + r"\\u" + _ci(f"{low:04x}"))
    if ch in "\"\\/'":
        alts.append(r"\\" + regex.escape(ch))
    alts.append(rf"&\#0*{code};?")
    alts.append(r"&\#[xX]0*" + _ci(f"{code:x}") + ";?")
    alts += ["&" + regex.escape(n) for n in _entity_names().get(ch, ())]
    return "(?:" + "|".join(alts) + ")"


def _text_form(value: str) -> str:
    return _SEP.join(_char_unit(ch) for ch in value)


def _hex_form(value: str) -> str:
    data = value.encode("utf-8")
    return _HEX_SEP.join(r"(?:\\x)?" + _ci(f"{b:02x}") for b in data)


def base64_cores(data: bytes) -> set[str]:
    """The base64 characters that depend only on ``data``, at each alignment inside a longer run,
    in the standard and the url-safe alphabet."""
    cores: set[str] = set()
    n = len(data)
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + data + b"\0\0").decode("ascii")
        lo = -(-8 * k // 6)  # the first character made of the value's bits alone
        hi = (8 * k + 8 * n) // 6  # one past the last
        core = encoded[lo:hi]
        if len(core) >= MIN_ENCODED_CHARS:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


def _b64_unit(ch: str) -> str:
    if ch == "+":
        return r"(?:\+|%2[bB])"
    if ch == "/":
        return r"(?:/|%2[fF]|\\/)"
    return str(regex.escape(ch))


def _b64_form(core: str) -> str:
    return _SEP.join(_b64_unit(ch) for ch in core)


class SecretMatcher:
    """Every form of every given value in one pattern. Names may share a value."""

    def __init__(self, secrets: Iterable[tuple[str, str]]) -> None:
        pieces: list[tuple[int, str, str, str]] = []  # (length, name, form, pattern)
        seen: set[str] = set()
        for name, value in secrets:
            if not value or len(value) < MIN_VALUE_CHARS or value in seen:
                continue
            seen.add(value)
            pieces.append((len(value), name, "text", _text_form(value)))
            pieces.append((2 * len(value.encode()), name, "hex", _hex_form(value)))
            for core in sorted(base64_cores(value.encode("utf-8"))):
                pieces.append((len(core), name, "base64", _b64_form(core)))
        # longer forms first: at one position the first alternative that matches wins
        pieces.sort(key=lambda p: -p[0])
        self._groups: dict[str, tuple[str, str]] = {}
        self._forms = [(name, form, pattern) for _, name, form, pattern in pieces]
        alternatives = []
        for i, (_, name, form, pattern) in enumerate(pieces):
            group = f"g{i}"
            self._groups[group] = (name, form)
            alternatives.append(f"(?P<{group}>{pattern})")
        self._pattern = regex.compile("|".join(alternatives)) if alternatives else None
        self.names = tuple(sorted({name for _, name, _, _ in pieces}))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def _hit(self, m: Any) -> Hit:
        if not m.partial:
            name, form = self._groups[m.lastgroup]
            return Hit(m.start(), m.end(), name, form)
        # a partial match carries no group: ask each form which one the tail begins
        tail = m.group(0)
        for name, form, pattern in self._forms:
            if regex.fullmatch(pattern, tail, partial=True):
                return Hit(m.start(), m.end(), name, form, True)
        return Hit(m.start(), m.end(), self.names[0], "text", True)

    def hits(self, text: str, *, partial: bool = False) -> Iterator[Hit]:
        """Every value in ``text``, left to right; with ``partial``, also a last hit that is only
        the start of a value reaching the end of the text."""
        if self._pattern is None or not text:
            return
        for m in self._pattern.finditer(text, partial=partial):
            if m.end() > m.start():
                yield self._hit(m)

    def names_in(self, text: str) -> list[str]:
        """The names whose value (in any form) ``text`` holds in full."""
        return sorted({h.name for h in self.hits(text)})

    def first(self, text: str) -> Hit | None:
        return next(self.hits(text), None)

    def sub(
        self,
        text: str,
        repl: Callable[[Hit], str] | None = None,
        *,
        tail: bool = True,
    ) -> str:
        """``text`` with every value replaced (by its marker unless ``repl`` says otherwise);
        with ``tail``, a text ending in at least ``TAIL_MIN_CHARS`` characters of a value's
        start loses those too (the rest was cut off, not absent)."""
        if self._pattern is None or not text:
            return text
        out: list[str] = []
        last = 0
        for hit in self.hits(text, partial=tail):
            if hit.partial and hit.end - hit.start < TAIL_MIN_CHARS:
                continue
            out.append(text[last : hit.start])
            if hit.partial:
                out.append(tail_marker(hit.name))
            else:
                out.append(repl(hit) if repl is not None else marker(hit.name))
            last = hit.end
        if last == 0:
            return text
        out.append(text[last:])
        return "".join(out)

    def sub_bytes(self, data: bytes, *, tail: bool = True) -> bytes:
        """Bytes scrubbed as text; bytes that are not UTF-8 pass through unchanged."""
        if self._pattern is None or not data:
            return data
        text = data.decode("utf-8", "surrogateescape")
        clean = self.sub(text, tail=tail)
        return data if clean is text else clean.encode("utf-8", "surrogateescape")

    def held_from(self, text: str) -> int:
        """Where the shortest safe-to-show prefix of ``text`` ends: the start of a value that
        the text's end may be cutting (a stream shows the rest once it knows)."""
        if self._pattern is None:
            return len(text)
        for hit in self.hits(text, partial=True):
            if hit.partial or hit.end == len(text):  # a whole value may still grow (";", "=")
                return hit.start
        return len(text)


@lru_cache(maxsize=16)
def matcher_for(secrets: tuple[tuple[str, str], ...]) -> SecretMatcher:
    """A matcher for these (name, value) pairs, compiled once (tens of ms per value)."""
    return SecretMatcher(secrets)


def walk_strings(obj: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every string in a JSON-like value, dict keys included."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            where = f"{path}/{key}" if path else str(key)
            if isinstance(key, str):
                yield path or "arguments", key
            yield from walk_strings(value, where)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from walk_strings(value, f"{path}/{i}" if path else str(i))
