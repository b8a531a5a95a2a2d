"""What csv_write will write and how it differs: a row/cell diff, and bytes in which untouched
records are the original text, new cells are neutralised against formula injection, and the
file keeps its encoding, BOM, delimiter and line endings."""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.base import ToolError
from tools.csv_files.records import CsvDataError, Record, check_header, iter_records
from tools.csv_files.sniff import CsvFormat, sniff_bytes
from tools.words import plural

MAX_CHANGES = 100
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ALIGN_LIMIT = 25_000_000  # old x new rows beyond which rows are paired by position


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice);
    plain numbers such as -2.5 or +3 stay numbers."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def format_row(cells: Sequence[str], fmt: CsvFormat) -> str:
    """One record in the file's dialect. Unlike csv.writer, a lone CR is quoted too."""
    q = fmt.quotechar
    special = (fmt.delimiter, q, "\r", "\n")
    out = [q + c.replace(q, q + q) + q if any(s in c for s in special) else c for c in cells]
    if len(cells) == 1 and cells[0] == "":
        out = [q + q]  # an empty line would read back as no record at all
    return fmt.delimiter.join(out) + fmt.lineterminator


@dataclass
class Change:
    """One changed record. ``row`` counts data rows from 1: the new file's numbering for added and
    changed rows, the old file's for removed ones; 0 is the header."""

    op: str  # "add", "remove", "change" or "header"
    row: int
    old: list[str] | None = None
    new: list[str] | None = None
    cells: list[tuple[str, str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "row": self.row,
            "old": self.old,
            "new": self.new,
            "cells": [{"column": c, "old": o, "new": n} for c, o, n in self.cells],
        }


@dataclass
class WritePlan:
    """The bytes to write and everything the preview shows about them."""

    data: bytes
    fmt: CsvFormat
    header: list[str]
    added: int = 0
    removed: int = 0
    changed: int = 0
    cells_changed: int = 0
    unchanged: int = 0
    header_changed: bool = False
    rows_after: int | None = None
    changes: list[Change] = field(default_factory=list)
    more_changes: int = 0
    neutralised: int = 0
    notes: list[str] = field(default_factory=list)

    def note_change(self, change: Change) -> None:
        if len(self.changes) < MAX_CHANGES:
            self.changes.append(change)
        else:
            self.more_changes += 1


@dataclass
class _Existing:
    fmt: CsvFormat
    prefix: str
    header: Record
    rows: list[Record]


def _parse_existing(data: bytes) -> _Existing:
    """The records of a file about to be rewritten; blank lines ride on the record before them."""
    fmt = sniff_bytes(data, at_eof=True)
    text = _decode(data, fmt)
    records: list[Record] = []
    prefix = ""
    for record in iter_records(io.StringIO(text, newline=""), fmt):
        if record.fields:
            records.append(record)
        elif records:
            records[-1].raw += record.raw
        else:
            prefix += record.raw
    if not records:
        raise CsvDataError("the file has no header row")
    return _Existing(fmt, prefix, records[0], records[1:])


def _decode(data: bytes, fmt: CsvFormat) -> str:
    try:
        return data[len(fmt.bom) :].decode(fmt.encoding)
    except UnicodeDecodeError as exc:
        body = data[len(fmt.bom) :]
        line = body[: exc.start].decode(fmt.encoding, errors="replace").count("\n") + 1
        raise CsvDataError(
            f"line {line}: the bytes are not valid {fmt.encoding}, though the file starts with "
            "its byte order mark"
        ) from None


class _Builder:
    """Collects the output text and checks each new cell fits the file's encoding."""

    def __init__(self, plan: WritePlan) -> None:
        self.plan = plan
        self.parts: list[str] = []

    def keep(self, raw: str) -> None:
        self._join(raw)

    def write(self, cells: list[str], row: int, keep: Sequence[str] = ()) -> list[str]:
        """Write a row; cells equal to ``keep`` (the old row) at the same place stay as they were."""
        out = []
        for i, cell in enumerate(cells):
            kept = i < len(keep) and keep[i] in (cell, neutralise(cell))
            value = keep[i] if kept else neutralise(cell)
            if value != cell and not kept:
                self.plan.neutralised += 1
            self._check_encoding(value, row, i)
            out.append(value)
        self._join(format_row(out, self.plan.fmt))
        return out

    def _join(self, text: str) -> None:
        if not text:
            return
        if self.parts and not self.parts[-1].endswith(("\n", "\r")):
            self.parts.append(self.plan.fmt.lineterminator)  # the old last line had no ending
        self.parts.append(text)

    def _check_encoding(self, value: str, row: int, col: int) -> None:
        try:
            value.encode(self.plan.fmt.encoding)
        except UnicodeEncodeError as exc:
            where = "the header" if row == 0 else f"row {row}"
            name = self.plan.header[col] if col < len(self.plan.header) else str(col + 1)
            raise ToolError(
                f"{where}, column {name!r}: {value[exc.start : exc.end]!r} cannot be written in "
                f"{self.plan.fmt.encoding}, the file's encoding"
            ) from None

    def text(self) -> str:
        return "".join(self.parts)


def _check_rows(rows: list[list[str]]) -> list[str]:
    if not rows:
        raise ToolError("rows must start with a header row")
    header = rows[0]
    try:
        check_header(header, 1)
    except CsvDataError as exc:
        raise ToolError(str(exc).replace("line 1: ", "rows[0] (the header): ")) from None
    for i, row in enumerate(rows[1:], 1):
        if len(row) != len(header):
            raise ToolError(
                f"rows[{i}] has {plural(len(row), 'cell')} but the header has {len(header)}"
            )
    return header


def plan_create(rows: list[list[str]], fmt: CsvFormat) -> WritePlan:
    """A new file: the header and every row are added (no header was there to change)."""
    header = _check_rows(rows)
    plan = WritePlan(b"", fmt, header, rows_after=len(rows) - 1)
    build = _Builder(plan)
    build.write(header, 0)
    for n, row in enumerate(rows[1:], 1):
        plan.note_change(Change("add", n, new=build.write(row, n)))
    plan.added = len(rows) - 1
    plan.data = fmt.bom + fmt.encode(build.text())
    return plan


def plan_overwrite(old: bytes, rows: list[list[str]]) -> WritePlan:
    """Replace a file's rows, keeping unchanged records byte for byte."""
    header = _check_rows(rows)
    try:
        existing = _parse_existing(old)
    except ToolError as exc:
        plan = plan_create(rows, _format_or_default(old))
        plan.notes.append(f"the current file is not readable as CSV ({exc}); it is replaced whole")
        return plan
    fmt = existing.fmt
    plan = WritePlan(b"", fmt, header, rows_after=len(rows) - 1)
    build = _Builder(plan)
    build.keep(existing.prefix)
    old_header = existing.header.fields
    if old_header == header:
        build.keep(existing.header.raw)
    else:
        plan.header_changed = True
        written = build.write(header, 0, old_header)
        plan.note_change(
            Change(
                "header", 0, old_header, written, _cells(old_header, written, old_header, written)
            )
        )
    _diff_rows(existing.rows, rows[1:], build, header, old_header)
    plan.data = fmt.bom + fmt.encode(build.text())
    return plan


def _format_or_default(data: bytes) -> CsvFormat:
    try:
        return sniff_bytes(data, at_eof=True) if data else CsvFormat()
    except ToolError:
        return CsvFormat()


def _diff_rows(
    old: list[Record],
    new: list[list[str]],
    build: _Builder,
    header: list[str],
    old_header: list[str],
) -> None:
    plan = build.plan
    old_keys = [tuple(r.fields) for r in old]
    present = set(old_keys)
    # A row counts as unchanged when it equals the old one as sent or as it would be written.
    new_keys = [tuple(r) if tuple(r) in present else tuple(neutralise(c) for c in r) for r in new]
    for tag, i1, i2, j1, j2 in _opcodes(old_keys, new_keys):
        if tag == "equal":
            for k in range(i2 - i1):
                build.keep(old[i1 + k].raw)
            plan.unchanged += i2 - i1
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            before, n = old[i1 + k].fields, j1 + k + 1
            written = build.write(new[j1 + k], n, before)
            cells = _cells(before, written, old_header, header)
            plan.changed += 1
            plan.cells_changed += len(cells)
            plan.note_change(Change("change", n, before, written, cells))
        for k in range(i1 + pairs, i2):
            plan.removed += 1
            plan.note_change(Change("remove", k + 1, old[k].fields, None))
        for k in range(j1 + pairs, j2):
            plan.added += 1
            plan.note_change(Change("add", k + 1, None, build.write(new[k], k + 1)))


def _opcodes(
    a: list[tuple[str, ...]], b: list[tuple[str, ...]]
) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with the common head and tail cut first (the usual case is a few edits
    in a long file) and positional pairing when the rest is too big to align."""
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    ops: list[tuple[str, int, int, int, int]] = [("equal", 0, head, 0, head)] if head else []
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if mid_a or mid_b:
        if len(mid_a) * len(mid_b) > _ALIGN_LIMIT:
            ops.append(("replace", head, head + len(mid_a), head, head + len(mid_b)))
        else:
            matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                ops.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops


def _cells(
    old: Sequence[str], new: Sequence[str], old_header: Sequence[str], header: Sequence[str]
) -> list[tuple[str, str, str]]:
    out = []
    for i in range(max(len(old), len(new))):
        before = old[i] if i < len(old) else ""
        after = new[i] if i < len(new) else ""
        if before != after:
            names = header if i < len(header) else old_header
            out.append((names[i] if i < len(names) else f"column {i + 1}", before, after))
    return out


def plan_append(old: bytes, rows: list[list[str]], default: CsvFormat) -> WritePlan:
    """Add rows at the end; the old bytes stay exactly as they are. ``rows`` starts with a header
    that must name the file's columns (in any order)."""
    header = _check_rows(rows)
    if not old:
        return plan_create(rows, default)
    existing_fmt = sniff_bytes(old, at_eof=True)
    text = _decode(old, existing_fmt)
    first = next(
        (r for r in iter_records(io.StringIO(text, newline=""), existing_fmt) if r.fields), None
    )
    if first is None:
        raise ToolError("the file has no header row to append under; use overwrite")
    old_header = first.fields
    if header != old_header:
        if sorted(header) != sorted(old_header):
            raise ToolError(
                f"append needs the file's columns {old_header!r}; the rows have {header!r}"
            )
        order = [header.index(name) for name in old_header]
        rows = [header] + [[row[i] for i in order] for row in rows[1:]]
    plan = WritePlan(b"", existing_fmt, old_header)
    build = _Builder(plan)
    if not text.endswith(("\n", "\r")):
        build.parts.append(existing_fmt.lineterminator)
    before = _count_rows(text, existing_fmt)
    for k, row in enumerate(rows[1:], 1):
        n = before + k if before is not None else k
        plan.note_change(Change("add", n, None, build.write(row, n)))
    plan.added = len(rows) - 1
    plan.unchanged = before or 0
    plan.rows_after = before + plan.added if before is not None else None
    plan.data = old + existing_fmt.encode(build.text())
    return plan


def _count_rows(text: str, fmt: CsvFormat) -> int | None:
    try:
        return max(
            sum(1 for r in iter_records(io.StringIO(text, newline=""), fmt) if r.fields) - 1, 0
        )
    except ToolError:
        return None
