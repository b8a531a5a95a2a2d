"""sort's keys as GNU coreutils reads them in the C locale: -k parsing, the key text of a line
(begfield/limfield), numbers for -n, and the grouped sort of one run by a numeric key."""

from __future__ import annotations

import functools
import re
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Any

from tools.shell_lite.command import UsageError

_BLANKS = b" \t"
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NUMBER = re.compile(rb"[ \t]*(-?)([0-9]*)(?:\.([0-9]*))?")


# -- sort -----------------------------------------------------------------------------------


@dataclass
class Key:
    """A -k key: fields and characters are 0-based; ``eword`` None means the end of the line."""

    sword: int
    schar: int
    eword: int | None
    echar: int
    numeric: bool = False
    reverse: bool = False
    fold: bool = False
    skip_start: bool = False
    skip_end: bool = False

    def has_options(self) -> bool:
        return self.numeric or self.reverse or self.fold or self.skip_start or self.skip_end


_KEY = re.compile(r"([0-9]+)(?:\.([0-9]+))?([bfnr]*)(?:,([0-9]+)(?:\.([0-9]+))?([bfnr]*))?")


def parse_key(text: str) -> Key:
    m = _KEY.fullmatch(text)
    if not m:
        raise UsageError(
            f"sort: invalid key {text!r}: use -k F[.C][OPTS][,F[.C][OPTS]] with OPTS from b, f, n, r"
        )
    f1, c1, o1, f2, c2, o2 = m.groups()
    if int(f1) == 0 or (f2 is not None and int(f2) == 0):
        raise UsageError(f"sort: invalid key {text!r}: field numbers start at 1")
    if c1 is not None and int(c1) == 0:
        raise UsageError(f"sort: invalid key {text!r}: character offsets start at 1")
    key = Key(
        sword=int(f1) - 1,
        schar=int(c1) - 1 if c1 else 0,
        eword=int(f2) - 1 if f2 is not None else None,
        echar=int(c2) if c2 else 0,
    )
    for opts, start in ((o1, True), (o2 or "", False)):
        key.numeric |= "n" in opts
        key.reverse |= "r" in opts
        key.fold |= "f" in opts
        if "b" in opts:
            if start:
                key.skip_start = True
            else:
                key.skip_end = True
    return key


@functools.lru_cache(maxsize=64)
def _fields_rx(count: int) -> re.Pattern[bytes]:
    """Skips ``count`` blank-separated fields (each is leading blanks, then non-blanks)."""
    return re.compile(rb"(?:[ \t]*[^ \t]*){%d}" % count)


def _skip_fields(line: bytes, count: int, tab: bytes | None, last_keeps_tab: bool) -> int:
    """The offset after ``count`` fields, as GNU sort's begfield/limfield walk them."""
    if tab is None:
        m = _fields_rx(count).match(line)
        return m.end() if m else len(line)
    ptr, lim = 0, len(line)
    for left in range(count - 1, -1, -1):
        if ptr >= lim:
            break
        found = line.find(tab, ptr)
        if found < 0:
            return lim
        ptr = found + 1 if (left or not last_keeps_tab) else found
    return ptr


def _skip_blanks(line: bytes, ptr: int) -> int:
    lim = len(line)
    while ptr < lim and line[ptr] in _BLANKS:
        ptr += 1
    return ptr


def _begfield(line: bytes, key: Key, tab: bytes | None) -> int:
    ptr = _skip_fields(line, key.sword, tab, False) if key.sword else 0
    if key.skip_start:
        ptr = _skip_blanks(line, ptr)
    return min(len(line), ptr + key.schar)


def _limfield(line: bytes, key: Key, tab: bytes | None) -> int:
    assert key.eword is not None
    eword, echar = key.eword, key.echar
    if echar == 0:
        eword += 1
    # with -t, the walk stops on the separator that ends the last field unless a
    # character offset follows (then it steps over it, as GNU does)
    ptr = _skip_fields(line, eword, tab, echar == 0) if eword else 0
    if echar != 0:
        if key.skip_end:
            ptr = _skip_blanks(line, ptr)
        ptr = min(len(line), ptr + echar)
    return ptr


_LONGEST_INT = 4000
"""Digits past which a number is read as a Decimal (int() refuses more than 4300)."""


def numeric(text: bytes) -> int | Decimal:
    """GNU sort -n in the C locale: blanks, an optional '-', digits, an optional fraction;
    anything else (or nothing) is zero. ints and Decimals compare exactly with each other."""
    m = _NUMBER.match(text)
    assert m is not None  # every part is optional
    sign, whole, frac = m.groups()
    if frac or len(whole) > _LONGEST_INT:
        return Decimal(
            (sign or b"").decode() + (whole or b"0").decode() + "." + (frac or b"0").decode()
        )
    value = int(whole) if whole else 0
    return -value if sign else value


def extractor(key: Key, tab: bytes | None) -> Callable[[bytes], bytes]:
    """The key text of a line; whole fields (no character offsets, no -b) take a fast path."""
    if key.sword == 0 and key.schar == 0 and key.eword is None and not key.skip_start:
        return lambda line: line
    simple = key.schar == 0 and key.echar == 0 and not key.skip_start and not key.skip_end
    if simple and key.eword is not None and tab is not None:
        first, stop = key.sword, key.eword + 1
        return lambda line: tab.join(line.split(tab)[first:stop]) if stop > first else b""
    if simple and key.eword is not None and key.eword >= key.sword:
        rx = re.compile(
            rb"(?:[ \t]*[^ \t]*){%d}((?:[ \t]*[^ \t]*){%d})"
            % (key.sword, key.eword + 1 - key.sword)
        )
        return lambda line: rx.match(line).group(1)  # type: ignore[union-attr]

    def generic(line: bytes) -> bytes:
        start = _begfield(line, key, tab)
        end = len(line) if key.eword is None else _limfield(line, key, tab)
        return line[start:end] if end > start else b""

    return generic


def key_function(key: Key, tab: bytes | None) -> Callable[[bytes], Any]:
    extract = extractor(key, tab)
    if key.numeric:
        return lambda line: numeric(extract(line))
    if key.fold:
        return lambda line: extract(line).translate(_UPPER)
    return extract


def numeric_key(keys: list[Key], tab: bytes | None) -> Key | None:
    """The one key, when it is numeric over whole fields (-k3,3n, -n, -k2n): its value is the
    number that starts its first field."""
    if len(keys) != 1:
        return None
    key = keys[0]
    if not key.numeric or key.schar or key.echar:
        return None
    if key.eword is not None and key.eword < key.sword:
        return None
    spans = key.eword is None or key.eword > key.sword
    if tab is not None and spans and tab in b"-.0123456789 \t":
        return None  # the number could go on past the separator, or begin after it
    return key


_NOT_NUMBER = b"0123456789-"
_OTHER_BLANKS = (b"\r", b"\v", b"\f")


def numeric_values(lines: list[bytes], key: Key, tab: bytes | None) -> list[Any]:
    """The key's number for every line, split and converted in C; lines whose field is not a
    plain integer go through ``numeric``."""
    field = key.sword
    joined = b"\n".join(lines) if tab is None else b""
    if any(c in joined for c in _OTHER_BLANKS):  # bytes.split() would split at them too
        extract = extractor(key, tab)
        return [numeric(extract(line)) for line in lines]
    try:
        texts = list(
            map(itemgetter(field), map(bytes.split, lines, repeat(tab), repeat(field + 1)))
        )
    except IndexError:  # some line has no such field: its key is empty
        parts = map(bytes.split, lines, repeat(tab), repeat(field + 1))
        texts = list(map(b"".join, map(itemgetter(slice(field, field + 1)), parts)))
    if not b"".join(texts).translate(None, _NOT_NUMBER):
        try:
            return list(map(int, texts))
        except ValueError:
            pass
    return list(map(numeric, texts))


def _number_texts(lines: list[bytes], data: bytes, key: Key, tab: bytes | None) -> list[bytes]:
    """For every line, the text of the field its key's number is read from, split out in C
    (bytes.split, one new object a line). Without -t, split() would also split at \\r, \\v and
    \\f, which GNU does not: a run holding one takes the exact walk."""
    if tab is None and any(c in data for c in _OTHER_BLANKS):
        extract = extractor(key, tab)
        return list(map(extract, lines))
    field = key.sword
    try:
        return list(map(itemgetter(field), map(bytes.split, lines, repeat(tab), repeat(field + 1))))
    except IndexError:  # some line has no such field: its key is empty
        parts = map(bytes.split, lines, repeat(tab), repeat(field + 1))
        return list(map(b"".join, map(itemgetter(slice(field, field + 1)), parts)))


def _number_of(text: bytes) -> int | Decimal:
    """The value of a key text, as ``numeric`` reads it; a plain integer takes int()."""
    digits = text[1:] if text[:1] == b"-" else text
    if digits.isdigit() and len(digits) <= _LONGEST_INT:
        return int(text)
    return numeric(text)


def group_sort(
    lines: list[bytes], data: bytes, key: Key, tab: bytes | None, reverse: bool
) -> tuple[list[bytes], list[Any]]:
    """One run in GNU's order for a numeric key with the whole-line last resort: lines are
    grouped by their key's text (values repeat: 2 million lines of log have a few thousand),
    each distinct text is read as a number once, groups of equal value are joined ("5", "05"
    and "5.0" are one), and only lines within a group are compared, as bytes. Returns the lines
    and, in the same order, the values the merge compares (negated when the key and the last
    resort go opposite ways)."""
    groups: defaultdict[bytes, list[bytes]] = defaultdict(list)
    texts = _number_texts(lines, data, key, tab)
    deque(map(list.append, map(groups.__getitem__, texts), lines), maxlen=0)  # all in C
    by_value: dict[Any, list[bytes]] = {}
    for text, group in groups.items():
        value = _number_of(text)
        same = by_value.get(value)
        if same is None:
            by_value[value] = group
        else:
            same += group
    flip = key.reverse != reverse
    ordered: list[bytes] = []
    values: list[Any] = []
    for value in sorted(by_value, reverse=key.reverse):
        group = by_value[value]
        group.sort(reverse=reverse)
        ordered += group
        values += [-value if flip else value] * len(group)
    return ordered, values
