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
                plain = not self.skip_ragged and bool(rows) and _plain(fh, fmt, len(rows[0][1]))
                if plain:
                    check_header(rows[0][1], 1)
            except CsvDataError as exc:
                raise CsvDataError(f"{file.rel}: {exc}") from None
            if plain:
                header = rows[0][1]
                return Loaded(file, header, _plain_sql(file, fmt, header), _sample(rows), True)
            return self.copy(file, fh, _sample(rows))

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

    def types(self, con: Any, loaded: Loaded) -> tuple[Loaded, list[str]]:
        """Each column's type over every row. Reading every row also checks that the whole file
        is CSV as csv_read sees it: where DuckDB refuses a plain file, it is copied instead."""
        import duckdb

        try:
            return loaded, _types(con, loaded)
        except (duckdb.InterruptException, duckdb.OutOfMemoryException):
            raise
        except duckdb.Error:
            if not loaded.plain:
                raise
        copied = self.copy(loaded.file, sample=loaded.sample)
        return copied, _types(con, copied)


WIDE = 48
"""Past this many columns to check, one grouped pass (UNPIVOT) replaces an expression per column,
whose regular expressions DuckDB would compile one by one."""


def _types(con: Any, loaded: Loaded) -> list[str]:
    """A type per column: VARCHAR where the first rows settle it, one test over every row where
    they suggest a type, the full classes of every row otherwise."""
    plans = [coltypes.plan_column(s) for s in loaded.sample.stats]
    types = [kind for kind, _ in plans]
    verify = [i for i, (_, check) in enumerate(plans) if check]
    full = [i for i, (kind, _) in enumerate(plans) if not kind]
    aggregates = [f"bool_and({coltypes.verify_sql(f'c{i}', types[i])})" for i in verify]
    if len(verify) > WIDE:
        aggregates, full = [], sorted(verify + full)
    if aggregates or not full:
        row = con.execute(f"SELECT {', '.join(aggregates) or 'count(*)'} FROM {loaded.read_sql}")
        answers = row.fetchone() if aggregates else ()
        for i, ok in zip(verify, answers, strict=False):
            if not ok:
                full.append(i)
    for i, stats in full_stats(con, loaded, sorted(full)).items():
        types[i] = coltypes.decide(stats)
        if types[i] == "VARCHAR" and stats.classes & coltypes.NUMERIC == stats.classes:
            types[i] = NUMBERS_AS_TEXT
    for i, column in enumerate(loaded.sample.stats):
        numeric = column.classes and column.classes & coltypes.NUMERIC == column.classes
        if types[i] == "VARCHAR" and numeric:
            types[i] = NUMBERS_AS_TEXT
    return types


NUMBERS_AS_TEXT = "VARCHAR "
"""VARCHAR for a column of numbers written in forms no one type prints back (noted)."""


def full_stats(con: Any, loaded: Loaded, columns: list[int]) -> dict[int, ColumnStats]:
    if not columns:
        return {}
    code, digits = coltypes.code_sql("v"), coltypes.int_digits_sql("v")
    if len(columns) <= WIDE:
        parts = [
            f"bit_or({coltypes.code_sql(f'c{i}')}), max({coltypes.int_digits_sql(f'c{i}')})"
            for i in columns
        ]
        row = con.execute(f"SELECT {', '.join(parts)} FROM {loaded.read_sql}").fetchone()
        return {
            i: coltypes.stats_from_bits(row[2 * n], row[2 * n + 1]) for n, i in enumerate(columns)
        }
    names = ", ".join(f"c{i}" for i in columns)
    rows = con.execute(
        f"SELECT k, bit_or({code}), max({digits}) FROM (UNPIVOT (SELECT {names} FROM "
        f"{loaded.read_sql}) ON COLUMNS(*) INTO NAME k VALUE v) GROUP BY k"
    ).fetchall()
    found = {int(k[1:]): coltypes.stats_from_bits(bits, d) for k, bits, d in rows}
    return {i: found.get(i, ColumnStats()) for i in columns}


def view_sql(
    con: Any, source: Source, parts: list[tuple[Loaded, list[str]]]
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
    types = _merged_types(con, parts)
    if source.filename and "filename" in types:
        raise ToolError("a column is already named filename; leave out filename = true")
    selects = []
    for loaded, _ in parts:
        cols = [
            f"{coltypes.cast_sql(f'c{i}', types[name.lower()].strip())} AS {quote_ident(name)}"
            for i, name in enumerate(loaded.header)
        ]
        if source.filename:
            cols.append(f"{_lit(loaded.file.rel)} AS filename")
        selects.append(f"SELECT {', '.join(cols)} FROM {loaded.read_sql}")
    glue = " UNION ALL BY NAME " if source.union_by_name else " UNION ALL "
    notes = [n for loaded, _ in parts for n in loaded.notes]
    for loaded, _ in parts:
        for name in loaded.header:
            if types[name.lower()] == NUMBERS_AS_TEXT:
                notes.append(
                    f"column {name} is kept as text: its numbers are not all written the way one "
                    "type prints them (say 1.50 and 2.5, or 007), and each cell keeps its text; "
                    f"to compute, cast it: CAST({quote_ident(name)} AS DOUBLE)"
                )
    return glue.join(selects), list(dict.fromkeys(notes))


def _merged_types(con: Any, parts: list[tuple[Loaded, list[str]]]) -> dict[str, str]:
    """One type per column name across the files of a source; where files disagree, the full
    classes of each file's column decide."""
    seen: dict[str, set[str]] = {}
    for loaded, types in parts:
        for name, kind in zip(loaded.header, types, strict=True):
            seen.setdefault(name.lower(), set()).add(kind)
    merged = {name: next(iter(kinds)) for name, kinds in seen.items() if len(kinds) == 1}
    disputed = [name for name, kinds in seen.items() if len(kinds) > 1]
    if disputed:
        stats = {name: ColumnStats() for name in disputed}
        for loaded, _ in parts:
            index = {n.lower(): i for i, n in enumerate(loaded.header)}
            columns = [index[name] for name in disputed if name in index]
            for i, column in full_stats(con, loaded, columns).items():
                stats[loaded.header[i].lower()].merge(column)
        for name, column in stats.items():
            kind = coltypes.decide(column)
            numeric = column.classes and column.classes & coltypes.NUMERIC == column.classes
            merged[name] = NUMBERS_AS_TEXT if kind == "VARCHAR" and numeric else kind
    return merged


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


def _plain(fh: BinaryIO, fmt: CsvFormat, width: int) -> bool:
    """True when DuckDB reads the file exactly as Python's csv module does: valid UTF-8, no
    quote character, no NUL, one kind of line ending, and no blank line where DuckDB would see a
    row (before the header, or anywhere in a one-column file). Lines over the limit are DuckDB's
    to refuse; the file is then copied instead."""
    if fmt.encoding != "utf-8" or fmt.guessed:
        return False
    end = fmt.lineterminator.encode()
    last = b"\r" if end == b"\r" else b"\n"
    decoder = codecs.getincrementaldecoder("utf-8")()
    buf = bytearray(CHUNK)
    fh.seek(len(fmt.bom))
    first = True
    while True:
        n = fh.readinto(buf)  # type: ignore[attr-defined]
        if not n:
            break
        data = memoryview(buf)[:n]
        if first and bytes(data[:1]) in (b"\r", b"\n"):
            return False
        first = False
        for bad in (b'"', b"\x00"):
            if buf.find(bad, 0, n) >= 0:
                return False
        if end == b"\n" and buf.find(b"\r", 0, n) >= 0:
            return False
        if end == b"\r" and buf.find(b"\n", 0, n) >= 0:
            return False
        if width == 1 and buf.find(end + end, 0, n) >= 0:
            return False
        try:
            decoder.decode(data)
        except UnicodeDecodeError:
            return False
        if end == b"\r\n" and not _crlf_only(bytes(data)):
            return False
        if width == 1 and n and buf[n - 1 : n] == last:
            # a blank line could straddle two chunks: look at the next bytes' start
            peek = fh.read(len(end))
            fh.seek(-len(peek), 1)
            if peek == end:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _crlf_only(data: bytes) -> bool:
    pairs = data.count(b"\r\n")
    return (
        data.count(b"\r") == pairs
        and data.count(b"\n") == pairs
        or (
            # a chunk may end between \r and \n
            data.endswith(b"\r") and data.count(b"\r") == pairs + 1 and data.count(b"\n") == pairs
        )
    )
