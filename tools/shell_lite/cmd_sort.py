"""sort, matching GNU coreutils in the C locale; input past the memory bound is sorted in runs
spilled to temporary files (see ``spill``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any

from tools.shell_lite.command import IO, Command, Output, Spec, UsageError, getopt
from tools.shell_lite.lookup import EISDIR
from tools.shell_lite.sort_keys import (
    Key,
    group_sort,
    key_function,
    numeric_key,
    numeric_values,
    parse_key,
)
from tools.shell_lite.spill import Order, Reversed, Runs


def _parse_sort(argv: list[str]) -> Spec:
    opts = getopt("sort", argv, "bfnrsu", "kt")
    tab = opts.last("t")
    if tab is not None and len(tab.encode("utf-8", "surrogateescape")) != 1:
        raise UsageError("sort: the -t separator must be a single byte")
    if len(set(opts.values.get("t", []))) > 1:
        raise UsageError("sort: incompatible tabs (two different -t separators)")
    keys = [parse_key(k) for k in opts.values.get("k", [])]
    spec = Spec(opts, paths=[p for p in opts.operands if p != "-"])
    gkey = Key(
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


def _run_sort(spec: Spec, io: IO) -> Output:
    opts = spec.opts
    keys: list[Key] = spec.extra["keys"]
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
            functions = [key_function(k, spec.extra["tab"]) for k in keys]
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
    keys: list[Key] = spec.extra["keys"]
    tab: bytes | None = spec.extra["tab"]
    unique, stable, reverse = opts.has("u"), opts.has("s"), opts.has("r")
    last_resort = not keys or not (unique or stable)
    if not keys:

        def plain(lines: list[bytes], data: bytes) -> tuple[list[bytes], None]:
            lines.sort(reverse=reverse)
            return lines, None

        return Order(plain, items=lambda lines: lines, reverse=reverse, plain=True)
    numeric = numeric_key(keys, tab)
    if numeric is not None and last_resort:
        flip = numeric.reverse != reverse  # the key and the last resort go opposite ways

        def values(lines: list[bytes]) -> list[Any]:
            found = numeric_values(lines, numeric, tab)
            return [-v for v in found] if flip else found

        def by_number(lines: list[bytes], data: bytes) -> tuple[list[bytes], list[Any]]:
            return group_sort(lines, data, numeric, tab, reverse)

        return Order(
            by_number,
            items=lambda lines: list(zip(values(lines), lines, strict=True)),
            line=itemgetter(1),
            reverse=reverse,
            keyed=True,
        )
    functions = [key_function(k, tab) for k in keys]

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
    functions: list[Callable[[bytes], Any]], keys: list[Key], reverse: bool, last_resort: bool
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
