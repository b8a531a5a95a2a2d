"""Merging sorted runs without comparing lines in Python code: each round takes, from every run,
what comes no later than the nearest last item of their current blocks, and Timsort merges
those sorted pieces in C (see ``spill``)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter, neg
from typing import Any


def batches(lines: Iterator[bytes], size: int = 65536) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


def block_merge(streams: list[Iterator[list[Any]]], reverse: bool) -> Iterator[list[Any]]:
    """Merge sorted streams of sorted blocks: each round takes, from every stream, what is not
    past the nearest last item of their current blocks (the stream holding it gives its whole
    block, so each round makes progress) and sorts that: Timsort merges the sorted pieces in C.
    Only for a total order: equal items are the same line, so their order does not matter."""
    heads = [next(s, []) for s in streams]
    while True:
        live = [i for i, h in enumerate(heads) if h]
        if not live:
            return
        if len(live) == 1:
            i = live[0]
            yield heads[i]
            heads[i] = next(streams[i], [])
            continue
        lasts = [heads[i][-1] for i in live]
        frontier = max(lasts) if reverse else min(lasts)
        taken: list[Any] = []
        for i in live:
            head = heads[i]
            k = _upto(head, frontier, reverse)
            if k == len(head):
                taken += head
                heads[i] = next(streams[i], [])
            elif k:
                taken += head[:k]
                heads[i] = head[k:]
        taken.sort(reverse=reverse)
        yield taken


def _upto(items: list[Any], frontier: Any, reverse: bool) -> int:
    """How many leading items of a sorted list come no later than ``frontier``."""
    if not reverse:
        return bisect_right(items, frontier)
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < frontier:
            hi = mid
        else:
            lo = mid + 1
    return lo


def keyed_merge(
    streams: list[Iterator[tuple[list[int], list[bytes]]]], reverse: bool
) -> Iterator[list[bytes]]:
    """``block_merge`` for runs sorted by (number, line) with the numbers beside the lines:
    each round takes what every run holds up to the nearest last pair, then, one number at a
    time, merges the lines of that number from every run (Timsort merges their sorted
    pieces, comparing bytes). With hardly any repeated numbers, the round merges pairs."""
    empty: tuple[list[int], list[bytes]] = ([], [])
    heads = [next(s, empty) for s in streams]
    while True:
        live = [i for i, h in enumerate(heads) if h[1]]
        if not live:
            return
        if len(live) == 1:
            i = live[0]
            yield heads[i][1]
            heads[i] = next(streams[i], empty)
            continue
        lasts = [(heads[i][0][-1], heads[i][1][-1]) for i in live]
        number, line = max(lasts) if reverse else min(lasts)
        pieces: list[tuple[list[int], list[bytes]]] = []
        for i in live:
            keys, lines = heads[i]
            k = _upto_pair(keys, lines, number, line, reverse)
            if k == len(lines):
                pieces.append(heads[i])
                heads[i] = next(streams[i], empty)
            elif k:
                pieces.append((keys[:k], lines[:k]))
                heads[i] = (keys[k:], lines[k:])
        yield _merge_pieces(pieces, reverse)


def _upto_pair(keys: list[int], lines: list[bytes], number: int, line: bytes, rev: bool) -> int:
    """How many leading pairs of a sorted run come no later than (number, line)."""
    if not rev:
        lo = bisect_left(keys, number)
        return bisect_right(lines, line, lo, bisect_right(keys, number, lo))
    lo = bisect_left(keys, -number, key=neg)  # descending: compare the negated numbers
    hi = bisect_right(keys, -number, lo, key=neg)
    while lo < hi:  # descending lines: the first one below ``line``
        mid = (lo + hi) // 2
        if lines[mid] < line:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _merge_pieces(pieces: list[tuple[list[int], list[bytes]]], reverse: bool) -> list[bytes]:
    """Sorted pieces of runs merged into one sorted list of lines."""
    if len(pieces) == 1:
        return pieces[0][1]
    total = sum(len(lines) for _, lines in pieces)
    if sum(len(set(keys)) for keys, _ in pieces) * 8 > total:  # few repeats: merge the pairs
        pairs = [pair for keys, lines in pieces for pair in zip(keys, lines, strict=True)]
        pairs.sort(reverse=reverse)
        return list(map(itemgetter(1), pairs))
    by_number: dict[int, list[list[bytes]]] = {}
    for keys, lines in pieces:
        start, size = 0, len(keys)
        while start < size:
            number = keys[start]
            if reverse:
                end = bisect_right(keys, -number, start, size, key=neg)
            else:
                end = bisect_right(keys, number, start, size)
            by_number.setdefault(number, []).append(lines[start:end])
            start = end
    merged: list[bytes] = []
    for number in sorted(by_number, reverse=reverse):
        parts = by_number[number]
        if len(parts) == 1:
            merged += parts[0]
            continue
        group = list(chain.from_iterable(parts))
        group.sort(reverse=reverse)  # Timsort merges the sorted parts
        merged += group
    return merged
