"""One DuckDB view per file reference, reading each file exactly as csv_read reads it.

A file DuckDB cannot misread (valid UTF-8, no quote character at all, one kind of line ending, no
blank line where DuckDB would see a row, no line ending in a delimiter with a field too many) is
read by DuckDB itself with that dialect spelled out; any other file, or one DuckDB then refuses,
is copied row by row by Python's csv module (the code csv_read runs, so its errors name the same
line) into a fully quoted file that DuckDB reads back; the copy is kept for later queries on the
same version of the file. Every column stays text until every one of its values shows that a
type keeps it exactly (see coltypes and typepass).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import stat
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tools.base import ToolError
from tools.csv_files.coltypes import Sample
from tools.csv_files.read import scan
from tools.csv_files.records import CsvDataError, check_header
from tools.csv_files.rows import HEAD_BYTES, copy_rows
from tools.csv_files.sniff import CsvFormat, sniff_bytes
from tools.csv_files.sqlpaths import SourceFile
from tools.csv_files.typepass import Col, Unreadable, file_types
from tools.words import noun, plural

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
    read_args: str
    """read_csv('path', <the dialect> without its columns and closing parenthesis."""
    sample: Sample
    plain: bool
    notes: list[str] = field(default_factory=list)
    copy: str = ""
    """The copy DuckDB reads instead of the file ("" for a plain file)."""

    @property
    def rel(self) -> str:
        return self.file.rel

    @property
    def read_sql(self) -> str:
        """The file read with every column as VARCHAR, named c0..cN, an empty field as ''.

        ``force_not_null`` names every column here: DuckDB applies it by the position among the
        columns a query reads, not by the column named (2.0.1), which only a list of all of them
        makes harmless. ``read_typed`` therefore does without it."""
        spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(self.header)))
        every = ", ".join(f"'c{i}'" for i in range(len(self.header)))
        return f"{self.read_args}, columns={{{spec}}}, force_not_null=[{every}])"

    @property
    def check_sql(self) -> tuple[str, list[str]]:
        """How the typing pass reads the file, and aggregates that must all be 0.

        DuckDB drops one empty field too many at the end of a line without a word (csv_read
        refuses such a line), so a plain file is read once with one column more, padded: a row
        with a field too many fills it, a row with one too few leaves its last column NULL (an
        empty field is '' here: no field can be a NUL). Any of them: the file is copied."""
        if not self.plain:
            return self.read_sql, []
        width = len(self.header)
        spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + 1))
        read = f"{self.read_args.replace(', null_padding=false', _PADDED)}, columns={{{spec}}})"
        return read, [f"count(c{width})", f"count(*) - count(c{width - 1})"]

    def read_typed(self, kinds: list[str]) -> str:
        """The file read with column i as kinds[i]: DuckDB's reader converts tested columns
        itself (faster than a cast after it). An empty field is NULL in every column: the view
        makes a text column's '' again (see typepass.view_sql), since ``force_not_null`` on some
        columns only would hit other ones when a query reads a few (see ``read_sql``)."""
        spec = ", ".join(f"'c{i}': '{kind}'" for i, kind in enumerate(kinds))
        return f"{self.read_args}, columns={{{spec}}})"


class Loader:
    """Prepares files for the views (in the worker process, within its limits)."""

    def __init__(
        self, temp_dir: str, deadline: float, skip_ragged: bool, copy_dir: str | None = None
    ) -> None:
        self.temp_dir = temp_dir
        self.deadline = deadline
        self.skip_ragged = skip_ragged
        self.copy_dir = copy_dir
        """Where copies are kept for later queries on the same version of a file (None: not)."""
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
                return Loaded(file, header, _plain_sql(file, fmt), _sample(rows), True)
            return self.copy(file, fh, _sample(rows))

    def copy(
        self, file: SourceFile, fh: BinaryIO | None = None, sample: Sample | None = None
    ) -> Loaded:
        """Read the file as csv_read does and copy its rows into a file DuckDB cannot misread."""
        if fh is None:
            with _open(file) as own:
                return self.copy(file, own, sample)
        if self.copy_dir is not None:  # named after this version of the file, kept
            digest = hashlib.sha256(repr(file_key(file.real, self.skip_ragged)).encode())
            out = os.path.join(self.copy_dir, digest.hexdigest()[:32] + ".csv")
        else:
            out = os.path.join(self.temp_dir, f"copy-{len(self.copies) + 1}.csv")
        partial = os.path.join(self.temp_dir, f"partial-{len(self.copies) + 1}.csv")
        self.copies[out] = self.copies[partial] = file.rel

        def explain() -> None:
            try:
                scan(fh, 0, 0, self.deadline)
            except CsvDataError as exc:
                raise CsvDataError(f"{file.rel}: {exc}") from None

        found = copy_rows(fh, partial, self.deadline, skip_ragged=self.skip_ragged, explain=explain)
        os.replace(partial, out)
        notes = []
        if found.blank_lines:
            notes.append(f"{file.rel}: {plural(found.blank_lines, 'blank line')} skipped")
        if found.skipped:
            lines = ", ".join(str(n) for n in found.skipped_lines)
            more = " …" if found.skipped > len(found.skipped_lines) else ""
            notes.append(
                f"{file.rel}: {plural(found.skipped, 'ragged row')} skipped (field count differs"
                f" from the header's {len(found.header)}), at {noun(found.skipped, 'line')}"
                f" {lines}{more}"
            )
        if sample is None or len(sample.stats) != len(found.header):
            sample = Sample.of(len(found.header), [])
        read = (
            f"read_csv({_lit(out)}, delim=',', quote='\"', escape='\"', header=false, "
            "auto_detect=false, strict_mode=true, null_padding=false, comment='', "
            f"allow_quoted_nulls=true, encoding='utf-8', max_line_size={COPY_LINE_LIMIT}"
        )
        copy = out if self.copy_dir is not None else ""
        return Loaded(file, found.header, read, sample, False, notes, copy)

    def types(
        self, con: Any, loaded: Loaded, wanted: set[int] | None, known: list[Col] | None
    ) -> tuple[Loaded, list[Col]]:
        """Each column's type over every row (see typepass; ``known``: types an earlier query
        found for this very file). Reading every row also checks that the whole file is CSV as
        csv_read sees it: where DuckDB refuses a plain file, it is copied instead."""
        import duckdb

        try:
            return loaded, file_types(con, loaded.check_sql, loaded.sample, wanted, known)
        except (duckdb.InterruptException, duckdb.OutOfMemoryException):
            raise
        except (duckdb.Error, Unreadable):
            if not loaded.plain:
                raise
        copied = self.copy(loaded.file, sample=loaded.sample)
        return copied, file_types(con, copied.check_sql, copied.sample, wanted, None)


def file_key(real: str, skip_ragged: bool) -> tuple[Any, ...]:
    """What identifies one version of a file: any change to it changes its ctime."""
    info = os.stat(real)
    return (
        real,
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        skip_ragged,
    )


@dataclass(frozen=True)
class FileFacts:
    """What a query learnt about one version of a file, kept by the app for the next query on
    it: whether DuckDB may read it itself, its header, first rows and column types."""

    key: tuple[Any, ...]
    plain: bool
    header: list[str]
    read_args: str
    sample: Sample
    cols: list[Col]
    copy: str = ""
    """The kept copy DuckDB reads instead of the file ("" for a plain file)."""
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, key: tuple[Any, ...], loaded: Loaded, cols: list[Col]) -> FileFacts:
        notes = tuple(loaded.notes)
        return cls(
            key,
            loaded.plain,
            loaded.header,
            loaded.read_args,
            loaded.sample,
            cols,
            loaded.copy,
            notes,
        )

    def usable(self, file: SourceFile, skip_ragged: bool) -> bool:
        """Still true of the file as it is now (and its copy still there)."""
        if self.key != file_key(file.real, skip_ragged):
            return False
        return self.plain or os.path.exists(self.copy)

    def loaded(self, file: SourceFile) -> Loaded:
        notes = list(self.notes)
        return Loaded(file, self.header, self.read_args, self.sample, self.plain, notes, self.copy)


def _open(file: SourceFile) -> BinaryIO:
    fd = os.open(file.real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ToolError(f"{file.rel} is not a regular file")
    return os.fdopen(fd, "rb")


def _plain_sql(file: SourceFile, fmt: CsvFormat) -> str:
    return (
        f"read_csv({_lit(file.real)}, delim={_lit(fmt.delimiter)}, quote={_lit(fmt.quotechar)}, "
        f"escape={_lit(fmt.quotechar)}, header=true, auto_detect=false, strict_mode=true, "
        "null_padding=false, comment='', allow_quoted_nulls=true, encoding='utf-8', "
        f"max_line_size={PLAIN_LINE_LIMIT}"
    )


_PADDED = ", null_padding=true, nullstr=chr(0)"


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
    """True when DuckDB may read the file itself: valid UTF-8, no quote character, no NUL, one
    kind of line ending, no blank line where DuckDB would see a row (before the header, or
    anywhere in a one-column file). Field counts are checked by DuckDB as it types the columns
    (see ``check_sql``); lines over the limit are DuckDB's to refuse. Otherwise it is copied."""
    if fmt.encoding != "utf-8" or fmt.guessed:
        return False
    end = fmt.lineterminator.encode()
    last = end[-1:]
    decoder = codecs.getincrementaldecoder("utf-8")()
    fh.seek(len(fmt.bom))
    carry, first = b"", True
    while True:
        chunk = fh.read(CHUNK)
        data = carry + chunk
        if chunk:  # whole lines only: a pattern never straddles two reads
            cut = data.rfind(last) + 1
            if cut == 0:
                if len(data) > PLAIN_LINE_LIMIT:
                    return False
                carry = data
                continue
            data, carry = data[:cut], data[cut:]
        if first and data[:1] in (b"\r", b"\n"):
            return False
        first = False
        if b'"' in data or b"\x00" in data:
            return False
        if (end == b"\n" and b"\r" in data) or (end == b"\r" and b"\n" in data):
            return False
        if end == b"\r\n" and not _crlf_only(data):
            return False
        if width == 1 and (end + end in data or (carry == b"" and data.startswith(end))):
            return False
        try:
            decoder.decode(data, final=not chunk)
        except UnicodeDecodeError:
            return False
        if not chunk:
            return True


def _crlf_only(data: bytes) -> bool:
    """Every CR and every LF in ``data`` is part of a CRLF pair (``data`` holds whole lines)."""
    pairs = data.count(b"\r\n")
    return data.count(b"\r") == pairs and data.count(b"\n") == pairs
