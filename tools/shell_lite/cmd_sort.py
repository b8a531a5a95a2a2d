"""Line tools: sort, uniq and cut, matching GNU coreutils in the C locale."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.base import ToolError
from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt

MAX_SORT_BYTES = 256 << 20
_BLANKS = b" \t"
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NUMBER = re.compile(rb"[ \t]*(-?)([0-9]*)(?:\.([0-9]*))?")


def _read_lines(io: IO, operands: list[str], cap: int) -> tuple[list[bytes], bool]:
    """All input lines without their newlines (a missing final newline is supplied)."""
    blocks: list[bytes] = []
    total = 0
    failed = False
    for name in operands or ["-"]:
        got = io.open_input(name)
        if got is None:
            failed = True
            continue
        with got[0] as reader:
            for chunk in io.chunks(reader):
                total += len(chunk)
                if total > cap:
                    raise ToolError(f"{io.cmd}: input over the {cap >> 20} MB limit")
                blocks.append(chunk if chunk.endswith(b"\n") else chunk + b"\n")
    data = b"".join(blocks)
    lines = data.split(b"\n")
    lines.pop()
    return lines, failed


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


def _numeric(text: bytes) -> int | Decimal:
    """GNU sort -n in the C locale: blanks, an optional '-', digits, an optional fraction;
    anything else (or nothing) is zero. ints and Decimals compare exactly with each other."""
    m = _NUMBER.match(text)
    assert m is not None  # every part is optional
    sign, whole, frac = m.groups()
    if frac:
        return Decimal((sign or b"").decode() + (whole or b"0").decode() + "." + frac.decode())
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


def _run_sort(spec: Spec, io: IO) -> int:
    opts = spec.opts
    lines, failed = _read_lines(io, opts.operands, MAX_SORT_BYTES)
    if failed:
        return 2
    keys: list[_Key] = spec.extra["keys"]
    tab = spec.extra["tab"]
    unique, stable, reverse = opts.has("u"), opts.has("s"), opts.has("r")
    # Stable passes from the least to the most significant ordering give GNU's comparison:
    # first the whole-line last resort (skipped with -s or -u), then each key, last to first.
    if not keys or not (unique or stable):
        lines.sort(reverse=reverse)
    for key in reversed(keys):
        io.check()
        lines.sort(key=_key_function(key, tab), reverse=key.reverse)
    if unique:
        lines = _unique(lines, keys, tab)
    if lines:
        io.out.write(b"\n".join(lines) + b"\n")
    return 0


def _unique(lines: list[bytes], keys: list[_Key], tab: bytes | None) -> list[bytes]:
    out: list[bytes] = []
    previous: Any = object()
    functions = [_key_function(k, tab) for k in keys]
    for line in lines:
        value = tuple(f(line) for f in functions) if keys else line
        if value != previous:
            out.append(line)
            previous = value
    return out


# -- uniq -----------------------------------------------------------------------------------


def _parse_uniq(argv: list[str]) -> Spec:
    opts = getopt("uniq", argv, "cdu")
    if len(opts.operands) > 1:
        raise UsageError("uniq: writing to an output file is not supported: use one input file")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _run_uniq(spec: Spec, io: IO) -> int:
    opts = spec.opts
    lines, failed = _read_lines(io, opts.operands, MAX_SORT_BYTES)
    if failed:
        return 1
    out: list[bytes] = []
    i, n = 0, len(lines)
    while i < n:
        j = i + 1
        while j < n and lines[j] == lines[i]:
            j += 1
        count = j - i
        if (not opts.has("d") or count > 1) and (not opts.has("u") or count == 1):
            out.append((b"%7d " % count if opts.has("c") else b"") + lines[i] + b"\n")
        i = j
        if i % 65536 == 0:
            io.check()
    io.out.write(b"".join(out))
    return 0


# -- cut ------------------------------------------------------------------------------------

_RANGE = re.compile(r"([0-9]*)(-?)([0-9]*)")


def _parse_list(text: str) -> list[tuple[int, int | None]]:
    ranges: list[tuple[int, int | None]] = []
    for part in re.split(r"[,\s]+", text.strip()):
        m = _RANGE.fullmatch(part)
        if not part or not m or (not m.group(1) and not m.group(3)):
            raise UsageError(f"cut: invalid list {text!r}: use N, N-M, N- or -M, comma-separated")
        lo = int(m.group(1)) if m.group(1) else 1
        hi: int | None = lo if not m.group(2) else (int(m.group(3)) if m.group(3) else None)
        if lo == 0 or hi == 0:
            raise UsageError("cut: fields and positions are numbered from 1")
        if hi is not None and hi < lo:
            raise UsageError(f"cut: invalid decreasing range {part!r}")
        ranges.append((lo, hi))
    return ranges


def _parse_cut(argv: list[str]) -> Spec:
    opts = getopt("cut", argv, "s", "bcfd")
    modes = [m for m in "bcf" if m in opts.values]
    if len(modes) != 1:
        raise UsageError("cut: give exactly one of -b, -c or -f with a list")
    mode = modes[0]
    if "d" in opts.values and mode != "f":
        raise UsageError("cut: -d only makes sense with -f")
    if opts.has("s") and mode != "f":
        raise UsageError("cut: -s only makes sense with -f")
    delim = opts.last("d")
    raw = b"\t" if delim is None else delim.encode("utf-8", "surrogateescape")
    if len(raw) != 1:
        raise UsageError("cut: the delimiter must be a single byte")
    spec = Spec(opts, paths=[p for p in opts.operands if p != "-"])
    spec.extra.update(mode=mode, ranges=_parse_list(opts.last(mode) or ""), delim=raw)
    return spec


def _selected(ranges: list[tuple[int, int | None]], count: int) -> list[int]:
    """0-based positions chosen out of ``count``, in ascending order, each once."""
    chosen: set[int] = set()
    for lo, hi in ranges:
        chosen.update(range(lo - 1, min(count, hi if hi is not None else count)))
    return sorted(chosen)


def _run_cut(spec: Spec, io: IO) -> int:
    mode, ranges, delim = spec.extra["mode"], spec.extra["ranges"], spec.extra["delim"]
    only_delimited = spec.opts.has("s")
    status = 0
    for name in spec.opts.operands or ["-"]:
        got = io.open_input(name)
        if got is None:
            status = 1
            continue
        with got[0] as reader:
            for chunk in io.chunks(reader):
                out = []
                lines = chunk.split(b"\n")
                if lines[-1] == b"":
                    lines.pop()
                for line in lines:
                    if mode != "f":
                        out.append(bytes(line[i] for i in _selected(ranges, len(line))) + b"\n")
                        continue
                    if delim not in line:
                        if not only_delimited:
                            out.append(line + b"\n")
                        continue
                    fields = line.split(delim)
                    out.append(
                        delim.join(fields[i] for i in _selected(ranges, len(fields))) + b"\n"
                    )
                io.out.write(b"".join(out))
    return status


COMMANDS = [
    Command("sort", False, _parse_sort, _run_sort),
    Command("uniq", False, _parse_uniq, _run_uniq),
    Command("cut", False, _parse_cut, _run_cut),
]
