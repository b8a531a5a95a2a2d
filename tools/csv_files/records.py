"""Strict CSV records: each with its first line number and exact raw text; errors name the line."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tools.base import ToolError
from tools.csv_files.sniff import CsvFormat


class CsvDataError(ToolError):
    """The file is not well-formed CSV; the message names the line and what is wrong."""


@dataclass
class Record:
    """One CSV record. ``raw`` is the exact text it was read from, line ending included."""

    fields: list[str]
    line: int
    raw: str


class _LineTap:
    """Feeds lines to csv.reader and keeps those it took, so each record's raw text is known.

    csv.reader pulls a line only when the record in hand needs more text, so the lines taken
    between two records are exactly the second record's text.
    """

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.taken: list[str] = []
        self.count = 0

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        self.count += 1
        return line


def iter_records(lines: Iterable[str], fmt: CsvFormat) -> Iterator[Record]:
    """Records in order, blank lines included (as empty ``fields``); malformed input raises
    CsvDataError naming the line, never merging rows silently."""
    tap = _LineTap(lines)
    reader = csv.reader(
        tap, delimiter=fmt.delimiter, quotechar=fmt.quotechar, doublequote=True, strict=True
    )
    while True:
        start = tap.count + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _explain(exc, start, tap.count) from None
        raw = "".join(tap.taken)
        tap.taken.clear()
        yield Record(fields, start, raw)


def _explain(exc: csv.Error, start: int, current: int) -> CsvDataError:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return CsvDataError(
            f"line {start}: a quoted field starts on this line and is never closed "
            "(unterminated quote); nothing after it can be read reliably"
        )
    if "field larger than field limit" in text:
        limit = csv.field_size_limit()
        return CsvDataError(
            f"line {start}: a field is longer than {limit:,} characters (oversized field, or an "
            "unterminated quote that swallowed the lines after it)"
        )
    if "expected after" in text:
        return CsvDataError(
            f"line {current}: text follows a closing quote ({text}); a quoted field must end at "
            "the delimiter or the line end"
        )
    return CsvDataError(f"line {current}: not valid CSV ({text})")


def check_header(fields: list[str], line: int) -> None:
    """Refuse empty and duplicate column names: a reader would drop or rename data silently.
    Names that differ only in case are duplicates too: SQL cannot tell them apart."""
    seen: dict[str, int] = {}
    for i, name in enumerate(fields, 1):
        if not name.strip():
            raise CsvDataError(f"line {line}: column {i} of the header has an empty name")
        key = name.lower()
        if key in seen:
            same = "" if name == fields[seen[key] - 1] else " (names that differ only in case)"
            raise CsvDataError(
                f"line {line}: duplicate column name {name!r} (columns {seen[key]} and {i}){same}"
            )
        seen[key] = i


def ragged(record: Record, width: int) -> CsvDataError:
    """The error for a row whose field count differs from the header's."""
    shown = record.raw.rstrip("\r\n")
    if len(shown) > 80:
        shown = shown[:79] + "…"
    return CsvDataError(
        f"line {record.line}: the row has {len(record.fields)} fields but the header has "
        f"{width} (ragged row): {shown!r}"
    )


_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEAN = re.compile(r"(?i:true|false)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_WIDER = {
    frozenset({"integer", "decimal"}): "decimal",
    frozenset({"date", "timestamp"}): "timestamp",
}


def classify(value: str) -> str:
    """The narrowest type a cell fits. Leading zeros ("08123") stay text: they are codes."""
    if value == "":
        return "empty"
    if _INTEGER.fullmatch(value):
        return "integer"
    if _DECIMAL.fullmatch(value):
        return "decimal"
    if _BOOLEAN.fullmatch(value):
        return "boolean"
    if _DATE.fullmatch(value):
        return "date"
    if _TIMESTAMP.fullmatch(value):
        return "timestamp"
    return "text"


class TypeGuesser:
    """Widens each column's type as values arrive: integer → decimal → text, date → timestamp."""

    def __init__(self, width: int) -> None:
        self.types = ["empty"] * width

    def add(self, fields: list[str]) -> None:
        types = self.types
        for i, value in enumerate(fields):
            current = types[i]
            if current == "text" or value == "":
                continue
            kind = classify(value)
            if current == "empty" or current == kind:
                types[i] = kind
            else:
                types[i] = _WIDER.get(frozenset({current, kind}), "text")
