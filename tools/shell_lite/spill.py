"""sort's memory bound: input is kept in runs of at most ``RUN_BYTES``; a larger input is sorted
run by run, each run written to a temporary file outside the workspace, and the runs merged.

Without this, ``sort`` on a 200 MB file held every line as a Python object (about 1 GB). With it,
sort holds one run (16 MB of input, about 100 MB of memory with Python's per-line overhead), or
while merging one block of each run, 16 MB in all. Temporary files are removed when the command
ends, whatever happens.

Speed comes from never comparing lines in Python code: a run is sorted by ``list.sort`` (with
keys computed for the whole run at once, or lines grouped by a numeric key, see ``sort_keys``),
and runs are merged a block at a time (``run_merge``): what every run holds up to the smallest of
their last items is taken, and Timsort merges those sorted pieces in C. An input with few distinct lines (``cut -f1 | sort | uniq -c``) is
tallied instead of sorted: its distinct lines are counted and only they are sorted.
"""

from __future__ import annotations

import heapq
import os
import shutil
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO as FileIO
from typing import Any

from tools.base import ToolError
from tools.shell_lite.command import IO
from tools.shell_lite.run_merge import batches, block_merge, keyed_merge

RUN_BYTES = 16 << 20
"""Input bytes one in-memory run may hold (and the merge's blocks together)."""
MAX_INPUT_BYTES = 4 << 30
"""sort refuses more input than this (it would all be copied to temporary files)."""
SAMPLE = 20_000
"""Lines of the first run looked at to decide whether tallying pays (few distinct lines)."""


class Reversed:
    """Wraps a key value so that it sorts in the opposite order (for -r keys while merging)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: Reversed) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reversed) and bool(self.value == other.value)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class Order:
    """How one sort orders lines (built by ``cmd_sort`` from the flags)."""

    sort: Callable[[list[bytes], bytes], tuple[list[bytes], list[Any] | None]]
    """Sorts one run (its lines, and the same lines as read: each ending in a newline, so that
    keys can be found in the run at once) in GNU's order; also gives the keys it computed, in the lines' new order
    (numbers kept beside a spilled run, so that merging need not compute them again)."""
    items: Callable[[list[bytes]], list[Any]] | None = None
    """Items that compare in GNU's order, equal only for identical lines (a total order):
    then runs merge block by block. None: use ``merge_key`` with heapq.merge."""
    line: Callable[[Any], bytes] | None = None
    """The line of an item (None: items are the lines)."""
    reverse: bool = False
    """Items are in descending order."""
    merge_key: Callable[[bytes], Any] | None = None
    plain: bool = False
    """Whole lines compared as bytes: equal lines may be tallied."""
    keyed: bool = False
    """Items are (number, line) pairs: runs whose numbers all fit 64 bits are merged a key
    value at a time (see ``keyed_merge``), comparing only lines."""


class Runs:
    """Collects input blocks; spills sorted runs to disk past ``RUN_BYTES``."""

    def __init__(self, io: IO, order: Order) -> None:
        self.io = io
        self.order = order
        self.blocks: list[bytes] = []
        self.size = 0
        self.total = 0
        self.folder: str | None = None
        self.files: list[str] = []
        self.open: list[FileIO[bytes]] = []
        self.tally: Counter[bytes] | None = None
        self.decided = not order.plain

    def __enter__(self) -> Runs:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for fh in self.open:
            fh.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, chunk: bytes) -> None:
        """A block of whole lines (the last may lack its newline)."""
        self.total += len(chunk)
        if self.total > MAX_INPUT_BYTES:
            raise ToolError(f"sort: input over the {MAX_INPUT_BYTES >> 30} GB limit")
        self.blocks.append(chunk if chunk.endswith(b"\n") else chunk + b"\n")
        self.size += len(chunk)
        if self.size >= RUN_BYTES:
            self._run(*self._lines())

    def _lines(self) -> tuple[list[bytes], bytes]:
        data = b"".join(self.blocks)
        self.blocks.clear()
        self.size = 0
        lines = data.split(b"\n")
        lines.pop()
        return lines, data

    def _decide(self, lines: list[bytes]) -> bool:
        """Tally when the first run's lines repeat a lot (few distinct lines); True if so."""
        self.decided = True
        counted = Counter(lines)
        if len(counted) * 4 > len(lines):
            return False
        self.tally = counted
        return True

    def _run(self, lines: list[bytes], data: bytes) -> None:
        """One run's worth of lines: tallied, or sorted and written out."""
        if (not self.decided and self._decide(lines)) or self._tallied(lines):
            return
        self.io.check()
        lines, keys = self.order.sort(lines, data)
        self._spill([lines], keys)

    def _tallied(self, lines: list[bytes]) -> bool:
        """Count the lines into the tally, while its distinct lines fit in a run; past that,
        what was tallied becomes the first run. True when the lines were taken."""
        tally = self.tally
        if tally is None:
            return False
        tally.update(lines)
        if sum(map(len, tally)) + 8 * len(tally) > RUN_BYTES:
            self._spill(self._expanded(sorted(tally, reverse=self.order.reverse)))
            self.tally = None
        return True

    def _expanded(self, keys: list[bytes]) -> Iterator[list[bytes]]:
        tally = self.tally
        assert tally is not None
        batch: list[bytes] = []
        for key in keys:
            batch.extend([key] * tally[key])
            if len(batch) >= 65536:
                yield batch
                batch = []
        yield batch

    def _spill(self, batches: Iterable[list[bytes]], keys: list[Any] | None = None) -> None:
        if self.folder is None:
            if Path(tempfile.gettempdir()).resolve().is_relative_to(self.io.fs.ws.root):
                raise ToolError(
                    "sort: the input is too large to sort in memory and the temporary folder "
                    "lies inside the workspace; nothing was written"
                )
            self.folder = tempfile.mkdtemp(prefix="shell-lite-sort-")
        path = os.path.join(self.folder, f"run{len(self.files)}")
        with open(path, "wb") as fh:
            for lines in batches:
                for start in range(0, len(lines), 65536):
                    self.io.check()
                    fh.write(b"\n".join(lines[start : start + 65536]) + b"\n")
        self.files.append(path)
        if keys is not None:
            try:
                numbers = array("q", keys)
            except (TypeError, OverflowError):
                return  # a fraction or a huge number: the merge computes the keys again
            with open(path + ".keys", "wb") as fh:
                numbers.tofile(fh)

    def result(self, unique: bool) -> Iterator[list[bytes]]:
        """The sorted lines in blocks: from memory when everything fit in one run (or in the
        tally), else merged from disk (equal keys keep input order, since runs are merged in
        the order they were read)."""
        last, data = self._lines()
        if (not self.decided and self._decide(last)) or self._tallied(last):
            last = []
        if self.tally is not None:
            yield from self._from_tally(unique)
            return
        keys = None
        if last:
            last, keys = self.order.sort(last, data)
        if not self.files:
            yield last
            return
        if last:
            self._spill([last], keys)
        if self.order.items is None:
            yield from batches(self._heap_merge())
            return
        block = max(1 << 16, RUN_BYTES // len(self.files))
        if self.order.keyed and all(os.path.exists(p + ".keys") for p in self.files):
            keyed = [self._keyed(path, block) for path in self.files]
            for lines in keyed_merge(keyed, self.order.reverse):
                self.io.check()
                yield lines
            return
        streams = [self._items(path, block) for path in self.files]
        line = self.order.line
        for items in block_merge(streams, self.order.reverse):
            self.io.check()
            yield items if line is None else list(map(line, items))

    def _from_tally(self, unique: bool) -> Iterator[list[bytes]]:
        tally = self.tally
        assert tally is not None
        keys = sorted(tally, reverse=self.order.reverse)
        if unique:
            yield keys
            return
        batch: list[bytes] = []
        for key in keys:
            self.io.check()
            batch.extend([key] * tally[key])
            if len(batch) >= 65536:
                yield batch
                batch = []
        yield batch

    def _items(self, path: str, size: int) -> Iterator[list[Any]]:
        """A run file in blocks of items (with the keys kept beside it, when there are)."""
        kept = None
        if os.path.exists(path + ".keys"):
            kept = open(path + ".keys", "rb")  # noqa: SIM115 - closed in __exit__
            self.open.append(kept)
        items = self.order.items
        assert items is not None
        for lines in self._blocks(path, size):
            if kept is None:
                yield items(lines)
                continue
            numbers = array("q")
            numbers.fromfile(kept, len(lines))
            yield list(zip(numbers.tolist(), lines, strict=True))

    def _keyed(self, path: str, size: int) -> Iterator[tuple[list[int], list[bytes]]]:
        """A run file and the numbers kept beside it, in blocks."""
        kept = open(path + ".keys", "rb")  # noqa: SIM115 - closed in __exit__
        self.open.append(kept)
        for lines in self._blocks(path, size):
            numbers = array("q")
            numbers.fromfile(kept, len(lines))
            yield numbers.tolist(), lines

    def _blocks(self, path: str, size: int) -> Iterator[list[bytes]]:
        """A run file in blocks of whole lines."""
        fh = open(path, "rb")  # noqa: SIM115 - closed in __exit__
        self.open.append(fh)
        rest = b""
        while True:
            self.io.check()
            data = fh.read(size)
            if not data:
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield data[: cut - 1].split(b"\n")

    def _heap_merge(self) -> Iterator[bytes]:
        streams: list[Iterator[bytes]] = []
        for path in self.files:
            fh = open(path, "rb")  # noqa: SIM115 - closed in __exit__
            self.open.append(fh)
            streams.append(line[:-1] for line in fh)
        return heapq.merge(*streams, key=self.order.merge_key)
