"""Sorting rows the grid already holds (a JSON array, or a CSV result small enough to be held
whole) in the order DuckDB gives a bigger result (tools.csv_files.paging): numbers by value, text
case-insensitively, empty cells last in both directions, ties in the order the rows came.

No cell can make it fail: None, booleans, numbers, text, NaN and nested values each have a place.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tools.csv_files.paging import NUMBER, OTHER, TEXT, sort_kind
from tools.csv_files.records import classify

MIXED = "mixed"
"""A JSON column holding more than one kind of value: numbers, true/false, text, nested values."""

_SPECIAL = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "-inf": -math.inf}
_SPECIAL["-infinity"] = -math.inf
_NAN = frozenset({"nan", "+nan", "-nan"})


def number_of(value: Any) -> float | int | Decimal | None:
    """A cell as a number: an int, a float, or text csv_read would call a number ("1.50", "-3e2";
    not "007", a code, nor "1_000"); DuckDB's "inf" too. None for anything else, NaN included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        if classify(value) in ("integer", "decimal"):
            return Decimal(value)
        return _SPECIAL.get(value.lower())
    return None


def _is_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.lower() in _NAN


def is_empty(value: Any) -> bool:
    """A missing value: None (SQL NULL, JSON null, a missing key) or empty text."""
    return value is None or value == ""


def column_kind(types: Sequence[str], rows: Sequence[Sequence[Any]], column: int) -> str:
    """How column ``column`` sorts: by the type the result carries, else (a JSON array) by the
    values held: all numbers (or numeric text) is a number column, all text a text column."""
    if column < len(types) and types[column]:
        return sort_kind(types[column])
    values = [row[column] for row in rows if column < len(row) and not is_empty(row[column])]
    if all(number_of(v) is not None for v in values):
        return NUMBER
    if all(isinstance(v, str) for v in values):
        return TEXT
    return MIXED


def sort_key(value: Any, kind: str) -> tuple[Any, ...] | None:
    """The key of one non-empty cell in a column of ``kind`` (any two keys compare), or None
    when it sorts with the empty cells: in a number column, what is not a number (DuckDB's
    TRY_CAST makes it NULL). NaN comes after every number, as in DuckDB."""
    number = number_of(value)
    if kind == NUMBER:
        if number is not None:
            return (0, number)
        return (1, 0) if _is_nan(value) else None
    if kind == TEXT:
        return (0, _text(value).lower())
    if number is not None and (kind == MIXED or not isinstance(value, str)):
        return (0, number)
    if _is_nan(value) and (kind == MIXED or isinstance(value, float)):
        return (1, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, str):
        return (3, value.lower()) if kind == MIXED else (3, value)
    return (4, _text(value))


def sorted_rows(
    rows: Sequence[list[Any]], column: int, descending: bool, kind: str
) -> list[list[Any]]:
    """``rows`` sorted by ``column`` (stable; empty cells last in both directions)."""
    keyed: list[tuple[tuple[Any, ...], list[Any]]] = []
    rest: list[list[Any]] = []
    for row in rows:
        value = row[column] if column < len(row) else None
        key = None if is_empty(value) else sort_key(value, kind)
        if key is None:
            rest.append(row)
        else:
            keyed.append((key, row))
    keyed.sort(key=lambda pair: pair[0], reverse=descending)
    return [row for _, row in keyed] + rest


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


__all__ = ["MIXED", "NUMBER", "OTHER", "TEXT", "column_kind", "sort_key", "sorted_rows"]
