"""sort, matching GNU coreutils in the C locale; input past the memory bound is sorted in runs
spilled to temporary files (see ``spill``)."""

from __future__ import annotations

import functools
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Any

from tools.shell_lite.command import IO, Command, Output, Spec, UsageError, getopt
from tools.shell_lite.lookup import EISDIR
from tools.shell_lite.spill import Order, Reversed, Runs

_BLANKS = b" \t"
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NUMBER = re.compile(rb"[ \t]*(-?)([0-9]*)(?:\.([0-9]*))?")


# -- sort -----------------------------------------------------------------------------------


@dataclass
class _Key:
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


def _parse_key(text: str) -> _Key:
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
    key = _Key(
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


def _parse_sort(argv: list[str]) -> Spec:
    opts = getopt("sort", argv, "bfnrsu", "kt")
    tab = opts.last("t")
    if tab is not None and len(tab.encode("utf-8", "surrogateescape")) != 1:
        raise UsageError("sort: the -t separator must be a single byte")
    if len(set(opts.values.get("t", []))) > 1:
        raise UsageError("sort: incompatible tabs (two different -t separators)")
    keys = [_parse_key(k) for k in opts.values.get("k", [])]
    spec = Spec(opts, paths=[p for p in opts.operands if p != "-"])
    gkey = _Key(
        0,
        0,
        None,
        0,
        numeric=opts.has("n"),
        reverse=opts.has("r"),
        fold=opts.has("f"),
        skip_start=opts.has("b"),
        skip_end=opts.has("b"),
    )
    for key in keys:
        if not key.has_options():  # a key without its own ordering options takes the global ones
            key.numeric, key.reverse, key.fold = gkey.numeric, gkey.reverse, gkey.fold
            key.skip_start, key.skip_end = gkey.skip_start, gkey.skip_end
    if not keys and (gkey.numeric or gkey.fold or gkey.skip_start):
        keys = [gkey]
    spec.extra.update(keys=keys, tab=tab.encode("utf-8", "surrogateescape") if tab else None)
    return spec


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


def _begfield(line: bytes, key: _Key, tab: bytes | None) -> int:
    ptr = _skip_fields(line, key.sword, tab, False) if key.sword else 0
    if key.skip_start:
        ptr = _skip_blanks(line, ptr)
    return min(len(line), ptr + key.schar)


def _limfield(line: bytes, key: _Key, tab: bytes | None) -> int:
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


def _numeric(text: bytes) -> int | Decimal:
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


def _extractor(key: _Key, tab: bytes | None) -> Callable[[bytes], bytes]:
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


def _key_function(key: _Key, tab: bytes | None) -> Callable[[bytes], Any]:
    extract = _extractor(key, tab)
    if key.numeric:
        return lambda line: _numeric(extract(line))
    if key.fold:
        return lambda line: extract(line).translate(_UPPER)
    return extract


def _run_sort(spec: Spec, io: IO) -> Output:
    opts = spec.opts
    keys: list[_Key] = spec.extra["keys"]
    unique = opts.has("u")
    with Runs(io, _order(spec, io)) as runs:
        for name in opts.operands or ["-"]:
            inp = io.input(name)
            if inp.error is not None:
                io.err(f"cannot read: {name}: {inp.error}")
                return 2  # GNU sort stops at the first unreadable input, printing nothing
            if inp.reader is None:
                io.err(f"read failed: {name}: {EISDIR}")
                return 2
            with inp.reader as reader:
                for chunk in io.chunks(reader):
                    runs.add(chunk)
        blocks = runs.result(unique)
        if unique and keys:
            functions = [_key_function(k, spec.extra["tab"]) for k in keys]
            blocks = _batched(_unique((line for b in blocks for line in b), functions))
        elif unique:
            blocks = _distinct(blocks)
        for block in blocks:
            for start in range(0, len(block), 8192):  # a downstream head may stop early
                yield b"\n".join(block[start : start + 8192]) + b"\n"
    return 0


def _order(spec: Spec, io: IO) -> Order:
    """How runs are sorted and merged: in C where the flags allow (whole lines, or one numeric
    key over whole fields), else with a Python key per line."""
    opts = spec.opts
    keys: list[_Key] = spec.extra["keys"]
    tab: bytes | None = spec.extra["tab"]
    unique, stable, reverse = opts.has("u"), opts.has("s"), opts.has("r")
    last_resort = not keys or not (unique or stable)
    if not keys:

        def plain(lines: list[bytes], data: bytes) -> tuple[list[bytes], None]:
            lines.sort(reverse=reverse)
            return lines, None

        return Order(plain, items=lambda lines: lines, reverse=reverse, plain=True)
    numeric = _numeric_key(keys, tab)
    if numeric is not None and last_resort:
        flip = numeric.reverse != reverse  # the key and the last resort go opposite ways

        def values(lines: list[bytes]) -> list[Any]:
            found = _numeric_values(lines, numeric, tab)
            return [-v for v in found] if flip else found

        def by_number(lines: list[bytes], data: bytes) -> tuple[list[bytes], list[Any]]:
            return _group_sort(lines, data, numeric, tab, reverse)

        return Order(
            by_number,
            items=lambda lines: list(zip(values(lines), lines, strict=True)),
            line=itemgetter(1),
            reverse=reverse,
        )
    functions = [_key_function(k, tab) for k in keys]

    def generic(lines: list[bytes], data: bytes) -> tuple[list[bytes], None]:
        # Stable passes from the least to the most significant ordering give GNU's comparison:
        # first the whole-line last resort (skipped with -s or -u), then each key, last to first.
        if last_resort:
            lines.sort(reverse=reverse)
        for key, function in zip(reversed(keys), reversed(functions), strict=True):
            io.check()
            lines.sort(key=function, reverse=key.reverse)
        return lines, None

    return Order(
        generic,
        merge_key=_merge_key(functions, keys, last_resort and reverse, last_resort),
    )


def _numeric_key(keys: list[_Key], tab: bytes | None) -> _Key | None:
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


def _numeric_values(lines: list[bytes], key: _Key, tab: bytes | None) -> list[Any]:
    """The key's number for every line, split and converted in C; lines whose field is not a
    plain integer go through ``_numeric``."""
    field = key.sword
    joined = b"\n".join(lines) if tab is None else b""
    if any(c in joined for c in _OTHER_BLANKS):  # bytes.split() would split at them too
        extract = _extractor(key, tab)
        return [_numeric(extract(line)) for line in lines]
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
    return list(map(_numeric, texts))


def _number_texts(lines: list[bytes], data: bytes, key: _Key, tab: bytes | None) -> list[bytes]:
    """For every line, the text of the field its key's number is read from, split out in C
    (bytes.split, one new object a line). Without -t, split() would also split at \\r, \\v and
    \\f, which GNU does not: a run holding one takes the exact walk."""
    if tab is None and any(c in data for c in _OTHER_BLANKS):
        extract = _extractor(key, tab)
        return list(map(extract, lines))
    field = key.sword
    try:
        return list(map(itemgetter(field), map(bytes.split, lines, repeat(tab), repeat(field + 1))))
    except IndexError:  # some line has no such field: its key is empty
        parts = map(bytes.split, lines, repeat(tab), repeat(field + 1))
        return list(map(b"".join, map(itemgetter(slice(field, field + 1)), parts)))


def _number_of(text: bytes) -> int | Decimal:
    """The value of a key text, as ``_numeric`` reads it; a plain integer takes int()."""
    digits = text[1:] if text[:1] == b"-" else text
    if digits.isdigit() and len(digits) <= _LONGEST_INT:
        return int(text)
    return _numeric(text)


def _group_sort(
    lines: list[bytes], data: bytes, key: _Key, tab: bytes | None, reverse: bool
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


def _batched(lines: Iterator[bytes]) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= 65536:
            yield batch
            batch = []
    yield batch


def _distinct(blocks: Iterator[list[bytes]]) -> Iterator[list[bytes]]:
    """sort -u without keys: equal lines are next to each other; keep the first of each."""
    previous: bytes | None = None
    for block in blocks:
        kept = list(dict.fromkeys(block))
        if kept and kept[0] == previous:
            kept.pop(0)
        if kept:
            previous = kept[-1]
        yield kept


def _merge_key(
    functions: list[Callable[[bytes], Any]], keys: list[_Key], reverse: bool, last_resort: bool
) -> Callable[[bytes], tuple[Any, ...]]:
    """One key giving the same order as the stable passes, for merging sorted runs."""
    parts = [(f, k.reverse) for f, k in zip(functions, keys, strict=True)]

    def key(line: bytes) -> tuple[Any, ...]:
        values: list[Any] = [Reversed(f(line)) if rev else f(line) for f, rev in parts]
        if last_resort:
            values.append(Reversed(line) if reverse else line)
        return tuple(values)

    return key


def _unique(lines: Iterable[bytes], functions: list[Callable[[bytes], Any]]) -> Iterator[bytes]:
    previous: Any = object()
    for line in lines:
        value = tuple(f(line) for f in functions) if functions else line
        if value != previous:
            yield line
            previous = value


COMMANDS = [Command("sort", False, _parse_sort, _run_sort)]
