"""Line tools that stream: uniq and cut, matching GNU coreutils in the C locale; whole blocks of
lines are handled by C-level maps rather than a Python loop per line."""

from __future__ import annotations

import re
from itertools import compress, islice, repeat
from operator import itemgetter, ne, not_, sub

from tools.shell_lite.command import IO, Command, Output, Spec, UsageError, getopt
from tools.shell_lite.lookup import EISDIR

# -- uniq -----------------------------------------------------------------------------------


def _parse_uniq(argv: list[str]) -> Spec:
    opts = getopt("uniq", argv, "cdu")
    if len(opts.operands) > 1:
        raise UsageError("uniq: writing to an output file is not supported: use one input file")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _run_uniq(spec: Spec, io: IO) -> Output:
    """Streams: the groups of equal lines of each block are found in C; the last group of a
    block is held until the next block shows whether it goes on."""
    opts = spec.opts
    name = opts.operands[0] if opts.operands else "-"
    inp = io.input(name)
    if inp.reader is None:
        io.err(f"{name}: {inp.error}" if inp.error else f"error reading '{name}'")
        return 1
    flags = (opts.has("c"), opts.has("d"), opts.has("u"))
    held: bytes | None = None
    held_count = 0
    with inp.reader as reader:
        for chunk in io.chunks(reader):
            lines = chunk.split(b"\n")
            if chunk.endswith(b"\n"):
                lines.pop()
            if not lines:
                continue
            n = len(lines)
            starts = [0, *compress(range(1, n), map(ne, lines, islice(lines, 1, None)))]
            counts = list(map(sub, [*islice(starts, 1, None), n], starts))
            keys = list(map(lines.__getitem__, starts))
            if held is not None:
                if keys[0] == held:
                    counts[0] += held_count
                else:
                    keys.insert(0, held)
                    counts.insert(0, held_count)
            held, held_count = keys.pop(), counts.pop()
            yield _groups(keys, counts, *flags)
    if held is not None:
        yield _groups([held], [held_count], *flags)
    return 0


def _groups(
    keys: list[bytes], counts: list[int], counting: bool, dups: bool, singles: bool
) -> bytes:
    """uniq's output for groups of equal lines: -d keeps repeated ones, -u single ones."""
    if dups:
        chosen = list(map((1).__lt__, counts))
        keys, counts = list(compress(keys, chosen)), list(compress(counts, chosen))
    if singles:
        chosen = list(map((1).__eq__, counts))
        keys, counts = list(compress(keys, chosen)), list(compress(counts, chosen))
    if not keys:
        return b""
    if counting:
        keys = list(map(bytes.__add__, map(b"%7d ".__mod__, counts), keys))
    return b"\n".join(keys) + b"\n"


# -- cut ------------------------------------------------------------------------------------

_RANGE = re.compile(r"([0-9]*)(-?)([0-9]*)")


def _parse_list(text: str) -> list[tuple[int, int | None]]:
    ranges: list[tuple[int, int | None]] = []
    for part in re.split(r"[,\s]+", text.strip()):
        m = _RANGE.fullmatch(part)
        if not part or not m or (not m.group(1) and not m.group(3)):
            raise UsageError(f"cut: invalid list {text!r}: use N, N-M, N- or -M, comma-separated")
        if len(m.group(1)) > 18 or len(m.group(3)) > 18:
            raise UsageError(f"cut: invalid list {text!r}: a position is too large")
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
    if len(modes) != 1 or len(opts.values[modes[0]]) != 1:
        raise UsageError("cut: only one list may be specified: one -b, -c or -f")
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


def _span(ranges: list[tuple[int, int | None]]) -> tuple[int, int | None] | None:
    """The one interval the ranges cover together, or None when they leave gaps."""
    ordered = sorted(ranges, key=lambda r: r[0])
    lo, hi = ordered[0]
    for a, b in ordered[1:]:
        if hi is not None and a > hi + 1:
            return None
        hi = None if hi is None or b is None else max(hi, b)
    return lo, hi


def _run_cut(spec: Spec, io: IO) -> Output:
    mode, ranges, delim = spec.extra["mode"], spec.extra["ranges"], spec.extra["delim"]
    only_delimited = spec.opts.has("s")
    span = _span(ranges)
    status = 0
    for name in spec.opts.operands or ["-"]:
        inp = io.input(name)
        if inp.reader is None:
            io.err(f"{name}: {inp.error or EISDIR}")
            status = 1
            continue
        with inp.reader as reader:
            for chunk in io.chunks(reader):
                lines = chunk.split(b"\n")
                if lines[-1] == b"":
                    lines.pop()
                if span is not None and mode != "f":
                    out = list(map(itemgetter(slice(span[0] - 1, span[1])), lines))
                elif span is not None:
                    out = _fields(lines, span, delim, only_delimited)
                else:
                    out = [_cut_line(line, mode, ranges, delim, only_delimited) for line in lines]
                    out = [line for line in out if line is not None]
                if out:
                    yield b"\n".join(out) + b"\n"
    return status


def _fields(
    lines: list[bytes], span: tuple[int, int | None], delim: bytes, only_delimited: bool
) -> list[bytes]:
    """cut -f over one interval of fields, in C: split each line only as far as needed."""
    lo, hi = span
    parts = map(bytes.split, lines, repeat(delim), repeat(hi if hi is not None else lo - 1))
    if lo == 1 and hi == 1:  # the first field: the line up to the delimiter, or all of it
        out = list(map(itemgetter(0), parts))
    else:
        out = list(map(delim.join, map(itemgetter(slice(lo - 1, hi)), parts)))
    if lo == 1 and not only_delimited:
        return out  # a line without the delimiter comes out whole either way
    has = list(map(bytes.__contains__, lines, repeat(delim)))
    if only_delimited:
        return list(compress(out, has))
    for i in compress(range(len(lines)), map(not_, has)):
        out[i] = lines[i]  # no delimiter: GNU prints the line as it is
    return out


def _cut_line(
    line: bytes,
    mode: str,
    ranges: list[tuple[int, int | None]],
    delim: bytes,
    only_delimited: bool,
) -> bytes | None:
    if mode != "f":
        return bytes(line[i] for i in _selected(ranges, len(line)))
    if delim not in line:
        return None if only_delimited else line
    fields = line.split(delim)
    return delim.join(fields[i] for i in _selected(ranges, len(fields)))


COMMANDS = [
    Command("uniq", False, _parse_uniq, _run_uniq),
    Command("cut", False, _parse_cut, _run_cut),
]
