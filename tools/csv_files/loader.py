"""One DuckDB view per file reference, reading each file exactly as csv_read reads it.

A file DuckDB cannot misread (UTF-8, no quote character at all, one kind of line ending, no blank
or overlong lines) is read by DuckDB itself with that dialect spelled out; any other file, or one
DuckDB then refuses, is copied row by row by Python's csv module (the code csv_read runs, so its
errors name the same line) into a fully quoted file that DuckDB reads back. Every column stays
text until every one of its values shows that a type keeps it exactly (see coltypes).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tools.base import ToolError
from tools.csv_files import coltypes
from tools.csv_files.coltypes import ColumnStats, Sample, quote_ident
from tools.csv_files.read import scan
from tools.csv_files.records import CsvDataError, check_header
from tools.csv_files.rows import HEAD_BYTES, copy_rows
from tools.csv_files.sniff import CsvFormat, sniff_bytes
from tools.csv_files.sqlpaths import Source, SourceFile

PLAIN_LINE_LIMIT = csv.field_size_limit()
"""A line this long cannot hold a field longer than csv_read's limit, so both tools agree."""
COPY_LINE_LIMIT = 256 * 2**20
CHUNK = 4 * 2**20
SAMPLE_ROWS = 5_000


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Loaded:
    """One file, ready to be read: its header and the read_csv(...) call with columns c0..cN."""

    file: SourceFile
    header: list[str]
    read_sql: str
    sample: Sample
    plain: bool
    notes: list[str] = field(default_factory=list)


class Loader:
    """Prepares files for the views (in the worker process, within its limits)."""

    def __init__(self, temp_dir: str, deadline: float, skip_ragged: bool) -> None:
        self.temp_dir = temp_dir
        self.deadline = deadline
        self.skip_ragged = skip_ragged
        self.copies: dict[str, str] = {}
        """Copy path -> the workspace-relative name of its file (for error messages)."""

    def inspect(self, file: SourceFile) -> Loaded:
        with _open(file) as fh:
            try:
                head = fh.read(HEAD_BYTES)
                at_eof = len(head) < HEAD_BYTES
                if not head:
                    raise CsvDataError("the file is empty: there is no header row")
                fmt = sniff_bytes(head, at_eof=at_eof)
                rows = _head_rows(head, fmt, at_eof)
                if not self.skip_ragged and rows and _plain(fh, fmt):
                    header = rows[0][1]
                    check_header(header, 1)
                    return Loaded(file, header, _plain_sql(file, fmt, header), _sample(rows), True)
                return self.copy(file, fh, _sample(rows))
            except CsvDataError as exc:
                raise CsvDataError(f"{file.rel}: {exc}") from None

    def copy(
        self, file: SourceFile, fh: BinaryIO | None = None, sample: Sample | None = None
    ) -> Loaded:
        """Read the file as csv_read does and copy its rows into a file DuckDB cannot misread."""
        if fh is None:
            with _open(file) as own:
                return self.copy(file, own, sample)
        out = os.path.join(self.temp_dir, f"copy-{len(self.copies) + 1}.csv")
        self.copies[out] = file.rel

        def explain() -> None:
            try:
                scan(fh, 0, 0, self.deadline)
            except CsvDataError as exc:
                raise CsvDataError(f"{file.rel}: {exc}") from None

        found = copy_rows(fh, out, self.deadline, skip_ragged=self.skip_ragged, explain=explain)
        notes = []
        if found.blank_lines:
            notes.append(f"{file.rel}: {found.blank_lines} blank line(s) skipped")
        if found.skipped:
            lines = ", ".join(str(n) for n in found.skipped_lines)
            more = " …" if found.skipped > len(found.skipped_lines) else ""
            notes.append(
                f"{file.rel}: {found.skipped} ragged row(s) skipped (field count differs from the "
                f"header's {len(found.header)}), at line(s) {lines}{more}"
            )
        if sample is None or len(sample.stats) != len(found.header):
            sample = Sample.of(len(found.header), [])
        columns = _columns(len(found.header))
        read = (
            f"read_csv({_lit(out)}, delim=',', quote='\"', escape='\"', header=false, "
            "auto_detect=false, strict_mode=true, null_padding=false, comment='', "
            f"allow_quoted_nulls=false, encoding='utf-8', max_line_size={COPY_LINE_LIMIT}, "
            f"columns={columns})"
        )
        return Loaded(file, found.header, read, sample, False, notes)

    def stats(self, con: Any, loaded: Loaded) -> tuple[Loaded, list[ColumnStats]]:
        """Per-column stats over every row (and the check that the whole file reads as CSV)."""
        import duckdb

        hints = [s.classes for s in loaded.sample.stats]
        aggregates: list[str] = []
        for i, hint in enumerate(hints):
            col = f"c{i}"
            if hint & coltypes.TEXT:
                aggregates.append(f"count({col})")  # still read: checks the whole file
            else:
                aggregates.extend(coltypes.stats_sql(col, hint))
        sql = f"SELECT {', '.join(aggregates) or 'count(*)'} FROM {loaded.read_sql}"
        try:
            row = con.execute(sql).fetchone()
        except (duckdb.InterruptException, duckdb.OutOfMemoryException):
            raise
        except duckdb.Error:
            if not loaded.plain:
                raise
            loaded = self.copy(loaded.file, sample=loaded.sample)
            return self.stats(con, loaded)
        out: list[ColumnStats] = []
        pos = 0
        for hint in hints:
            if hint & coltypes.TEXT:
                out.append(ColumnStats(classes=coltypes.TEXT))
                pos += 1
            else:
                values = row[pos : pos + coltypes.STATS_PER_COLUMN]
                out.append(coltypes.stats_from_row(values))
                pos += coltypes.STATS_PER_COLUMN
        return loaded, out


def view_sql(
    source: Source, parts: list[tuple[Loaded, list[ColumnStats]]]
) -> tuple[str, list[str]]:
    """The SELECT a source's view is made of, and notes about its columns."""
    first = parts[0][0]
    if not source.union_by_name:
        for loaded, _ in parts[1:]:
            if loaded.header != first.header:
                raise ToolError(
                    f"{first.file.rel} and {loaded.file.rel} have different columns; add "
                    "union_by_name = true to read_csv([...]) to match them by name"
                )
    merged: dict[str, ColumnStats] = {}
    for loaded, stats in parts:
        for name, column in zip(loaded.header, stats, strict=True):
            merged.setdefault(name.lower(), ColumnStats()).merge(column)
    types = {name: coltypes.decide(column) for name, column in merged.items()}
    if source.filename and "filename" in merged:
        raise ToolError("a column is already named filename; leave out filename = true")
    selects = []
    for loaded, _ in parts:
        cols = [
            f"{coltypes.cast_sql(f'c{i}', types[name.lower()])} AS {quote_ident(name)}"
            for i, name in enumerate(loaded.header)
        ]
        if source.filename:
            cols.append(f"{_lit(loaded.file.rel)} AS filename")
        selects.append(f"SELECT {', '.join(cols)} FROM {loaded.read_sql}")
    glue = " UNION ALL BY NAME " if source.union_by_name else " UNION ALL "
    notes = [n for loaded, _ in parts for n in loaded.notes]
    for name, column in merged.items():
        numeric = column.classes and column.classes & coltypes.NUMERIC == column.classes
        if numeric and types[name] == "VARCHAR":
            shown = next(h for ld, _ in parts for h in ld.header if h.lower() == name)
            notes.append(
                f"column {shown} is kept as text: its numbers are written in forms no one "
                f"type prints back exactly; cast it to compute, e.g. CAST({quote_ident(shown)} "
                "AS DOUBLE)"
            )
    return glue.join(selects), notes


def _open(file: SourceFile) -> BinaryIO:
    fd = os.open(file.real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ToolError(f"{file.rel} is not a regular file")
    return os.fdopen(fd, "rb")


def _columns(width: int) -> str:
    return "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"


def _plain_sql(file: SourceFile, fmt: CsvFormat, header: list[str]) -> str:
    return (
        f"read_csv({_lit(file.real)}, delim={_lit(fmt.delimiter)}, quote={_lit(fmt.quotechar)}, "
        f"escape={_lit(fmt.quotechar)}, header=true, auto_detect=false, strict_mode=true, "
        "null_padding=false, comment='', allow_quoted_nulls=false, encoding='utf-8', "
        f"max_line_size={PLAIN_LINE_LIMIT}, columns={_columns(len(header))})"
    )


def _head_rows(head: bytes, fmt: CsvFormat, at_eof: bool) -> list[tuple[int, list[str]]]:
    """(line, fields) of the non-blank records in the first bytes, the header first; a record cut
    by the end of the sample, and anything after a malformed one, is left out."""
    data = head[len(fmt.bom) :]
    decoder = codecs.getincrementaldecoder(fmt.encoding)(errors="strict")
    try:
        text = decoder.decode(data, final=at_eof)
    except UnicodeDecodeError as exc:
        text = data[: exc.start].decode(fmt.encoding, errors="ignore")
        at_eof = False
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=fmt.delimiter, quotechar=fmt.quotechar, strict=True
    )
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for row in reader:
            if row:
                rows.append((line, row))
            line = reader.line_num + 1
            if len(rows) > SAMPLE_ROWS:
                break
    except csv.Error:
        at_eof = False
    if not at_eof and len(rows) > 1:
        rows.pop()  # may be cut short
    return rows


def _sample(rows: list[tuple[int, list[str]]]) -> Sample:
    if not rows:
        return Sample.of(0, [])
    width = len(rows[0][1])
    return Sample.of(width, (r for _, r in rows[1:] if len(r) == width))


def _plain(fh: BinaryIO, fmt: CsvFormat) -> bool:
    """True when DuckDB reads the file exactly as Python's csv module does: UTF-8, no quote
    character, no NUL, one kind of line ending, no blank line and no line over the limit."""
    if fmt.encoding != "utf-8" or fmt.guessed:
        return False
    quote = fmt.quotechar.encode()
    end = fmt.lineterminator.encode()
    blank = end + end
    fh.seek(len(fmt.bom))
    carry = b""
    first = True
    while True:
        chunk = fh.read(CHUNK)
        data = carry + chunk
        if chunk:
            cut = data.rfind(b"\n" if end != b"\r" else b"\r") + 1
            if cut == 0:
                if len(data) > PLAIN_LINE_LIMIT:
                    return False
                carry = data
                continue
            data, carry = data[:cut], data[cut:]
        if not data:
            return True
        if quote in data or b"\x00" in data or blank in data:
            return False
        if data.startswith(end) or (first and data.startswith((b"\r", b"\n"))):
            return False
        first = False
        if end == b"\n" and b"\r" in data:
            return False
        if end == b"\r" and b"\n" in data:
            return False
        if end == b"\r\n":
            rest = data.replace(b"\r\n", b"")
            if b"\r" in rest or b"\n" in rest:
                return False
        if not chunk:
            return True
