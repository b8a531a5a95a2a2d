"""csv_read: a page of a workspace CSV file with its header, types and row count, read strictly."""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    RuleRefusal,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.csv_files.guard import check_known, check_text, guarded
from tools.csv_files.records import (
    CsvDataError,
    Record,
    TypeGuesser,
    check_header,
    iter_records,
    ragged,
)
from tools.csv_files.rows import HEAD_BYTES, with_encoding
from tools.csv_files.sniff import CsvFormat
from tools.csv_files.table import MAX_ROWS, cut, page_heading, render_rows, show_cell
from tools.words import plural
from tools.workspace import Workspace

__all__ = ["HEAD_BYTES", "CsvReadTool", "open_regular", "scan"]


@dataclass
class Scan:
    """What one pass over a file found."""

    fmt: CsvFormat
    header: list[str]
    types: list[str]
    rows: int
    complete: bool
    page: list[list[str]] = field(default_factory=list)
    blank_lines: int = 0


def open_regular(ws: Workspace, rel: str) -> tuple[Path, BinaryIO]:
    """Resolve through the workspace and open a regular file without following a late symlink."""
    real = ws.resolve(rel, must_exist=True)
    info = os.stat(real)
    if stat.S_ISDIR(info.st_mode):
        raise ToolError(f"{rel} is a folder, not a CSV file")
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(f"{rel} is not a regular file")
    fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    return real, os.fdopen(fd, "rb")


def scan(fh: BinaryIO, offset: int, limit: int, deadline: float) -> Scan:
    """Read the whole file once (or until ``deadline``), keeping rows ``offset``..+``limit``."""

    def attempt(fmt: CsvFormat) -> Scan:
        text = io.TextIOWrapper(fh, encoding=fmt.encoding, errors="strict", newline="")
        try:
            return _scan_records(iter_records(text, fmt), fmt, offset, limit, deadline)
        finally:
            text.detach()  # the caller owns the file (and may rewind it to try another encoding)

    return with_encoding(fh, attempt)


def _scan_records(
    records: Iterator[Record], fmt: CsvFormat, offset: int, limit: int, deadline: float
) -> Scan:
    header: Record | None = None
    blank = 0
    for record in records:
        if record.fields:
            header = record
            break
        blank += 1
    if header is None:
        raise CsvDataError("the file has no header row (only blank lines)")
    check_header(header.fields, header.line)
    width = len(header.fields)
    guesser = TypeGuesser(width)
    result = Scan(fmt, header.fields, guesser.types, 0, True, blank_lines=blank)
    end = offset + limit
    for count, record in enumerate(records):
        if not record.fields:
            result.blank_lines += 1
            continue
        if len(record.fields) != width:
            raise ragged(record, width)
        guesser.add(record.fields)
        if offset <= result.rows < end:
            result.page.append(record.fields)
        result.rows += 1
        if count % 4096 == 0 and time.monotonic() > deadline:
            result.complete = False
            break
    return result


class CsvReadTool:
    """Reads a page of a CSV file: header, inferred types, row count and rows, strictly."""

    name = "csv_read"
    description = (
        "Read a CSV file in the workspace: its encoding and delimiter (sniffed), header, inferred "
        "column types, row count and one page of rows (at most 50 rows and about 8 KB; use "
        "offset to page). Paths are relative to the workspace. Malformed files (ragged rows, "
        "duplicate or empty header names, unterminated quotes, oversized fields) give an error "
        "naming the line. For big files, filtering or aggregating, use csv_query."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "workspace-relative path of the CSV file"},
            "offset": {
                "type": "integer",
                "minimum": 0,
                "default": 0,
                "description": "data rows to skip before the page (0 = first row after the header)",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ROWS,
                "default": MAX_ROWS,
                "description": f"rows in the page (at most {MAX_ROWS})",
            },
        },
        "required": ["path"],
        "additionalProperties": False,
    }

    def __init__(self, scan_seconds: float = 20.0) -> None:
        self.scan_seconds = scan_seconds

    @guarded
    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        path, offset, limit = _check_args(args)
        real = ctx.workspace.resolve(path, must_exist=True)
        rel = ctx.workspace.relative(real)
        if not real.is_file():
            raise ToolError(f"{rel} is not a file")
        _refuse_denied(ctx, path, rel)
        clean = {"path": path, "offset": offset, "limit": limit}
        info = real.stat()
        return Action(
            tool=self.name,
            args=clean,
            effect=Effect.READ,
            summary=f"read {rel} (rows {offset + 1}-{offset + limit})",
            preview=Preview("text", escape_text(f"read {rel}"), {"path": rel}),
            targets=(f"path:{rel}",),
            fingerprint=fingerprint(clean, [rel, info.st_size, info.st_mtime_ns]),
        )

    @guarded
    def run(self, action: Action, ctx: ToolContext) -> Result:
        path, offset, limit = _check_args(action.args)
        real, fh = open_regular(ctx.workspace, path)
        rel = ctx.workspace.relative(real)
        _refuse_denied(ctx, path, rel)
        links = ctx.workspace.extra_links(real)
        with fh:
            try:
                found = scan(fh, offset, limit, time.monotonic() + self.scan_seconds)
            except CsvDataError as exc:
                raise CsvDataError(f"{rel}: {exc}") from None
        return _result(rel, found, offset, self.scan_seconds, links)


def _refuse_denied(ctx: ToolContext, path: str, rel: str) -> None:
    spelled = PurePosixPath(os.path.normpath(path)).as_posix()
    for target in dict.fromkeys((f"path:{spelled}", f"path:{rel}")):
        reason = ctx.denied("csv_read", target, Effect.READ)
        if reason:
            raise RuleRefusal(f"{path!r} is refused by a deny rule: {reason}")


def _check_args(args: Mapping[str, Any]) -> tuple[str, int, int]:
    check_known(args, {"path", "offset", "limit"})
    path = args.get("path")
    offset = args.get("offset", 0)
    limit = args.get("limit", MAX_ROWS)
    if not isinstance(path, str) or not path:
        raise ToolError("path must be a non-empty string")
    check_text("path", path, 4096)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ToolError("offset must be a whole number, 0 or more")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ToolError(f"limit must be a whole number from 1 to {MAX_ROWS}")
    return path, offset, limit


def _result(rel: str, found: Scan, offset: int, seconds: float, links: int = 0) -> Result:
    table, shown = render_rows(found.header, found.page)
    count = plural(found.rows, "row") if found.complete else f"at least {plural(found.rows, 'row')}"
    columns = plural(len(found.header), "column")
    lines = [
        f"{escape_text(rel)}: {count} x {columns} ({found.fmt.describe()})",
        cut(
            "columns: "
            + ", ".join(
                f"{show_cell(n, 60)} {t}" for n, t in zip(found.header, found.types, strict=True)
            )
        ),
    ]
    if not found.complete:
        lines.append(
            f"stopped reading after {seconds:g} s: the count and types cover the rows read so far; "
            "csv_query counts and checks big files quickly"
        )
    if found.blank_lines:
        lines.append(f"{plural(found.blank_lines, 'blank line')} skipped")
    if links:
        lines.append(
            f"note: {escape_text(rel)} has {links + 1} hard links: another link may be a file "
            "outside the workspace (read here as it is)"
        )
    lines.append(page_heading(offset, shown, found.rows, exact=found.complete) + ":")
    lines.append(table)
    if shown < len(found.page):
        lines.append(f"(cut to fit: use offset={offset + shown} for the next rows)")
    return Result(
        ok=True,
        output="\n".join(lines),
        display=f"{count} · {columns} · {found.fmt.encoding}",
        data={
            "path": rel,
            "format": found.fmt.to_json(),
            "columns": found.header,
            "types": found.types,
            "rows": found.page,
            "offset": offset,
            "total": found.rows,
            "total_exact": found.complete,
            "blank_lines": found.blank_lines,
            "hard_links": links + 1,
        },
    )
