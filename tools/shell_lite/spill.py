"""sort's memory bound: input is kept in runs of at most ``RUN_BYTES``; a larger input is sorted
run by run, each run written to a temporary file outside the workspace, and the runs merged.

Without this, ``sort`` on a 200 MB file held every line as a Python object (about 1 GB). With it,
sort holds one run (16 MB of input, about 100 MB of memory with Python's per-line overhead) plus
one line per run while merging. Temporary files are removed when the command ends, whatever
happens.
"""

from __future__ import annotations

import heapq
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO as FileIO
from typing import Any

from tools.base import ToolError
from tools.shell_lite.command import IO

RUN_BYTES = 16 << 20
"""Input bytes one in-memory run may hold."""
MAX_INPUT_BYTES = 4 << 30
"""sort refuses more input than this (it would all be copied to temporary files)."""


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


class Runs:
    """Collects input blocks; spills sorted runs to disk past ``RUN_BYTES``."""

    def __init__(self, io: IO, order: Callable[[list[bytes]], None]) -> None:
        self.io = io
        self.order = order
        self.blocks: list[bytes] = []
        self.size = 0
        self.total = 0
        self.folder: str | None = None
        self.files: list[str] = []
        self.open: list[FileIO[bytes]] = []

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
            self._spill()

    def _lines(self) -> list[bytes]:
        data = b"".join(self.blocks)
        self.blocks.clear()
        self.size = 0
        lines = data.split(b"\n")
        lines.pop()
        return lines

    def _spill(self) -> None:
        lines = self._lines()
        self.order(lines)
        if self.folder is None:
            if Path(tempfile.gettempdir()).resolve().is_relative_to(self.io.fs.ws.root):
                raise ToolError(
                    "sort: the input is too large to sort in memory and the temporary folder "
                    "lies inside the workspace; nothing was written"
                )
            self.folder = tempfile.mkdtemp(prefix="shell-lite-sort-")
        path = os.path.join(self.folder, f"run{len(self.files)}")
        with open(path, "wb") as fh:
            for start in range(0, len(lines), 65536):
                self.io.check()
                fh.write(b"\n".join(lines[start : start + 65536]) + b"\n")
        self.files.append(path)

    def result(self, key: Callable[[bytes], Any]) -> Iterator[bytes]:
        """The sorted lines: in memory when everything fit in one run, else merged from disk
        (equal keys keep input order, since runs are merged in the order they were read)."""
        last = self._lines()
        self.order(last)
        if not self.files:
            return iter(last)
        streams: list[Iterator[bytes]] = []
        for path in self.files:
            fh = open(path, "rb")  # noqa: SIM115 - closed in __exit__
            self.open.append(fh)
            streams.append(line[:-1] for line in fh)
        streams.append(iter(last))
        return heapq.merge(*streams, key=key)
