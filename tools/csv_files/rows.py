"""Reading a whole CSV file the way csv_read does (sniffed encoding with its fallback, Python's csv
module, strict), shared by csv_read and by csv_query's exact path, which copies the rows into a
plain file DuckDB cannot misread."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, TypeVar

from tools.base import ToolError
from tools.csv_files.records import CsvDataError, check_header
from tools.csv_files.sniff import CsvFormat, guess_legacy, sniff_bytes

HEAD_BYTES = 1024 * 1024
T = TypeVar("T")


def with_encoding(fh: BinaryIO, attempt: Callable[[CsvFormat], T]) -> T:
    """Run ``attempt`` with the file's sniffed format, the file positioned after its BOM.

    Without a BOM, a UTF-8 guess that meets an invalid byte later on restarts as cp1252/Latin-1.
    """
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    at_eof = len(head) < HEAD_BYTES
    if not head:
        raise CsvDataError("the file is empty: there is no header row")
    fmt = sniff_bytes(head, at_eof=at_eof)
    for _ in range(3):
        fh.seek(len(fmt.bom))
        try:
            return attempt(fmt)
        except UnicodeDecodeError:
            if fmt.bom or fmt.encoding not in ("utf-8", "cp1252"):
                raise ToolError(
                    f"the file is not valid {fmt.encoding} although it starts with a "
                    f"{fmt.encoding} byte order mark"
                ) from None
            fh.seek(0)
            legacy = "latin-1" if fmt.encoding == "cp1252" else guess_legacy(fh.read(HEAD_BYTES))
            fmt = CsvFormat(legacy, b"", True, fmt.delimiter, fmt.quotechar, fmt.lineterminator)
    raise ToolError("the file's encoding could not be determined")  # pragma: no cover


class NotPlain(Exception):
    """The file needs csv_read's exact reading to explain what is wrong with it."""


@dataclass
class Copied:
    """What copying a file's rows found."""

    fmt: CsvFormat
    header: list[str]
    rows: int = 0
    blank_lines: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    skipped: int = 0


def copy_rows(
    fh: BinaryIO,
    out_path: str,
    deadline: float,
    *,
    skip_ragged: bool,
    explain: Callable[[], None],
) -> Copied:
    """Copy every data row into ``out_path`` as UTF-8 CSV with every field quoted (no header).

    Ragged rows are skipped and counted when ``skip_ragged``; any other problem calls ``explain``,
    which reads the file exactly as csv_read does and raises its error (same message, same line).
    """

    def attempt(fmt: CsvFormat) -> Copied:
        text = io.TextIOWrapper(fh, encoding=fmt.encoding, errors="strict", newline="")
        try:
            with open(out_path, "w", encoding="utf-8", newline="") as out:
                return _copy(fmt, text, out, deadline, skip_ragged)
        finally:
            text.detach()

    try:
        return with_encoding(fh, attempt)
    except NotPlain:
        explain()
        raise ToolError("the file could not be read as CSV") from None


def _copy(
    fmt: CsvFormat, text: io.TextIOWrapper, out: io.TextIOBase, deadline: float, skip: bool
) -> Copied:
    reader = csv.reader(
        text, delimiter=fmt.delimiter, quotechar=fmt.quotechar, doublequote=True, strict=True
    )
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    try:
        header: list[str] = []
        blank = 0
        for row in reader:
            if row:
                header = row
                break
            blank += 1
        if not header:
            raise NotPlain
        check_header(header, reader.line_num)
        found = Copied(fmt, header, blank_lines=blank)
        width = len(header)
        batch: list[list[str]] = []
        previous = reader.line_num
        for row in reader:
            if len(row) != width:
                if not row:
                    found.blank_lines += 1
                elif skip:
                    found.skipped += 1
                    if len(found.skipped_lines) < 10:
                        found.skipped_lines.append(previous + 1)
                else:
                    raise NotPlain
            else:
                batch.append(row)
                if len(batch) >= 4096:
                    writer.writerows(batch)
                    found.rows += len(batch)
                    batch.clear()
                    if time.monotonic() > deadline:
                        raise ToolError(
                            "the query ran out of time while reading the file; filter a smaller "
                            "file or raise the limit"
                        )
            previous = reader.line_num
        writer.writerows(batch)
        found.rows += len(batch)
        return found
    except (csv.Error, CsvDataError):
        raise NotPlain from None
