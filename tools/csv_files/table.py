"""Bounded tables for the model: a page of rows as CSV text, cells cut and escaped, under a byte cap."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

from tools.base import escape_text
from tools.csv_files.coltypes import decimal_text

MAX_ROWS = 50
MAX_TEXT_BYTES = 8_000
MAX_CELL_CHARS = 200
MAX_LINE_CHARS = 2_000


def show_cell(value: Any, max_chars: int = MAX_CELL_CHARS) -> str:
    """A cell as one safe line: NULL for None, line breaks and control characters escaped, cut."""
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else str(json_value(value))
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return escape_text(text.replace("\r", "\\r").replace("\n", "\\n"))


def csv_line(cells: Sequence[str], max_chars: int = MAX_LINE_CHARS) -> str:
    """Cells joined as one CSV line (quoted where needed), without the line ending, cut at
    ``max_chars`` so that a table with thousands of columns stays a bounded text."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return cut(buf.getvalue(), max_chars)


def cut(text: str, max_chars: int = MAX_LINE_CHARS) -> str:
    """``text`` or its first ``max_chars`` characters, ending in "…" when cut."""
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def render_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], max_bytes: int = MAX_TEXT_BYTES
) -> tuple[str, int]:
    """The header and as many rows as fit in ``max_bytes``; returns (text, rows shown)."""
    lines = [csv_line([show_cell(c) for c in columns])]
    size = len(lines[0].encode()) + 1
    shown = 0
    for row in rows:
        line = csv_line([show_cell(v) for v in row])
        size += len(line.encode()) + 1
        if size > max_bytes and shown:
            break
        lines.append(line)
        shown += 1
    return "\n".join(lines), shown


def page_heading(first: int, shown: int, total: int | None, *, exact: bool = True) -> str:
    """ "rows 1-50 of 312" (1-based), with "at least" when the total is a lower bound."""
    of = "" if total is None else f" of {'at least ' if not exact else ''}{total:,}"
    if shown == 0:
        return f"no rows to show from row {first + 1}{of}"
    return f"rows {first + 1:,}-{first + shown:,}{of}"


def json_value(value: Any, sql_type: str | None = None) -> Any:
    """A value from DuckDB as JSON-able data: decimals as exact text (see ``decimal_text``), floats
    as numbers (their shortest form), times in ISO form with a space, as DuckDB prints them."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return decimal_text(value, sql_type)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dt.timedelta, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1").encode("unicode_escape").decode("ascii")
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def text_value(value: Any, sql_type: str | None = None) -> str:
    """A value as the text of a CSV cell (what csv_write writes): NULL becomes empty; a cell read
    from a file comes back as the exact text it had there (see coltypes)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    data = json_value(value, sql_type)
    if isinstance(data, (list, dict)):
        return json.dumps(data, ensure_ascii=False)
    return str(data)
