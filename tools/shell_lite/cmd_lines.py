"""Line tools that stream: uniq and cut, matching GNU coreutils in the C locale."""

from __future__ import annotations

import re

from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt
from tools.shell_lite.lookup import EISDIR

# -- uniq -----------------------------------------------------------------------------------


def _parse_uniq(argv: list[str]) -> Spec:
    opts = getopt("uniq", argv, "cdu")
    if len(opts.operands) > 1:
        raise UsageError("uniq: writing to an output file is not supported: use one input file")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _run_uniq(spec: Spec, io: IO) -> int:
    """Streams: one group of equal lines is held at a time."""
    opts = spec.opts
    name = opts.operands[0] if opts.operands else "-"
    inp = io.input(name)
    if inp.reader is None:
        io.err(f"{name}: {inp.error}" if inp.error else f"error reading '{name}'")
        return 1
    counting, dups, singles = opts.has("c"), opts.has("d"), opts.has("u")
    previous: bytes | None = None
    count = 0
    out: list[bytes] = []

    def flush() -> None:
        if previous is not None and (not dups or count > 1) and (not singles or count == 1):
            out.append((b"%7d " % count if counting else b"") + previous + b"\n")

    with inp.reader as reader:
        for chunk in io.chunks(reader):
            lines = chunk.split(b"\n")
            if chunk.endswith(b"\n"):
                lines.pop()
            for line in lines:
                if line == previous:
                    count += 1
                    continue
                flush()
                previous, count = line, 1
            io.out.write(b"".join(out))
            out.clear()
    flush()
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


def _run_cut(spec: Spec, io: IO) -> int:
    mode, ranges, delim = spec.extra["mode"], spec.extra["ranges"], spec.extra["delim"]
    only_delimited = spec.opts.has("s")
    status = 0
    for name in spec.opts.operands or ["-"]:
        inp = io.input(name)
        if inp.reader is None:
            io.err(f"{name}: {inp.error or EISDIR}")
            status = 1
            continue
        with inp.reader as reader:
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
    Command("uniq", False, _parse_uniq, _run_uniq),
    Command("cut", False, _parse_cut, _run_cut),
]
