"""Column types for csv_query that never change a cell: a column gets a type only when every one of
its values is written the way that type prints it, so reading a cell back gives its exact text.

One rule, applied in Python (to the first rows, which may settle a column as text at once) and in
DuckDB SQL (over every row of the file):

- canonical integers (``-12``, never ``+5``, ``007`` or ``-0``): BIGINT, or HUGEINT beyond 18 digits;
- decimals with one scale (``1.50``, ``2.25``): DECIMAL(p, s), printed with that scale;
- integers mixed with decimals that have no trailing zero (``20``, ``10.5``): DECIMAL(38, s),
  printed without trailing zeros;
- decimals as Python and DuckDB print a float (``0.0``, ``79.19``), 15 significant digits at most:
  DOUBLE;
- ISO dates (``2024-01-31``): DATE; ``2024-01-31 10:00:00``: TIMESTAMP;
- anything else (codes, ``01/02/2024``, ``1,5``, ``1e5``, `` 5``, ``NaN``, booleans): VARCHAR.

Empty cells are NULL in typed columns and '' in text columns.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
_NUMBER = re.compile(NUMBER)
_DATE = re.compile(DATE)
_TIMESTAMP = re.compile(TIMESTAMP)

# Value classes, combined per column with a bitwise or.
EMPTY, INT, FRAC, FRAC_ZERO1, FRAC_ZEROS, DATE_C, TS_C, TEXT = 0, 1, 2, 4, 8, 16, 32, 1024
NUMERIC = INT | FRAC | FRAC_ZERO1 | FRAC_ZEROS
HUMAN_DECIMAL_PRECISION = 38
"""DECIMAL(38, s) marks a column of integers and decimals without trailing zeros: its values print
without trailing zeros. Other DECIMAL columns print with their scale."""


def classify(value: str | None) -> int:
    """The class of one cell, as the SQL in ``class_sql`` computes it."""
    if value is None or value == "":
        return EMPTY
    if _NUMBER.fullmatch(value):
        if value.startswith("-0") and not re.search("[1-9]", value):
            return TEXT  # -0 and -0.00 would print as 0
        if "." not in value:
            return INT
        if not value.endswith("0"):
            return FRAC
        return FRAC_ZERO1 if value.endswith(".0") else FRAC_ZEROS
    if _DATE.fullmatch(value) and not value.startswith("0000") and _valid_date(value):
        return DATE_C
    if _TIMESTAMP.fullmatch(value) and not value.startswith("0000") and _valid_ts(value):
        return TS_C
    return TEXT


def _valid_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _valid_ts(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass
class ColumnStats:
    """What the type decision needs to know about one column's non-empty values."""

    classes: int = 0
    int_digits: int = 0
    min_scale: int | None = None
    max_scale: int | None = None
    long_values: int = 0
    """Values with more than 15 significant digits (a float cannot print them back)."""
    tiny_values: int = 0
    """Values below 0.0001 in size (a float prints them with an exponent)."""

    def merge(self, other: ColumnStats) -> None:
        self.classes |= other.classes
        self.int_digits = max(self.int_digits, other.int_digits)
        self.min_scale = _pick(min, self.min_scale, other.min_scale)
        self.max_scale = _pick(max, self.max_scale, other.max_scale)
        self.long_values += other.long_values
        self.tiny_values += other.tiny_values

    def add(self, value: str) -> None:
        """Account for one value in Python (the first rows)."""
        kind = classify(value)
        self.classes |= kind
        if kind & NUMERIC:
            whole, _, frac = value.lstrip("-").partition(".")
            self.int_digits = max(self.int_digits, len(whole))
            if "." in value:
                self.min_scale = _pick(min, self.min_scale, len(frac))
                self.max_scale = _pick(max, self.max_scale, len(frac))
                if len(value) > 16 and len((whole + frac).lstrip("0")) > 15:
                    self.long_values += 1
                if value.lstrip("-").startswith("0.0000"):
                    self.tiny_values += 1


def _pick(fn: Any, a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else fn(a, b)


def decide(stats: ColumnStats) -> str:
    """The DuckDB type for a column (see the module docstring)."""
    c = stats.classes
    if c == EMPTY or c & TEXT:
        return "VARCHAR"
    if c == INT:
        if stats.int_digits <= 18:
            return "BIGINT"
        return "HUGEINT" if stats.int_digits <= 38 else "VARCHAR"
    if c & NUMERIC == c:
        scale_lo, scale_hi = stats.min_scale or 0, stats.max_scale or 0
        if not c & INT and scale_lo == scale_hi and stats.int_digits + scale_hi <= 37:
            precision = 18 if stats.int_digits + scale_hi <= 18 else 37
            return f"DECIMAL({precision},{scale_hi})"
        if c & ~(INT | FRAC) == 0 and stats.int_digits + scale_hi <= HUMAN_DECIMAL_PRECISION:
            return f"DECIMAL({HUMAN_DECIMAL_PRECISION},{scale_hi})"
        floaty = c & ~(FRAC | FRAC_ZERO1) == 0
        if floaty and not stats.long_values and not stats.tiny_values and stats.int_digits <= 16:
            return "DOUBLE"
        return "VARCHAR"
    if c == DATE_C:
        return "DATE"
    if c == TS_C:
        return "TIMESTAMP"
    return "VARCHAR"


@dataclass
class Sample:
    """Per-column stats from the first rows: a column already seen as text needs no SQL pass."""

    stats: list[ColumnStats] = field(default_factory=list)

    @classmethod
    def of(cls, width: int, rows: Iterable[Sequence[str]]) -> Sample:
        sample = cls([ColumnStats() for _ in range(width)])
        for row in rows:
            for stat, value in zip(sample.stats, row, strict=False):
                if not stat.classes & TEXT:
                    stat.add(value)
        return sample


def _lit(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def class_sql(col: str, hint: int) -> str:
    """SQL for the class of one VARCHAR cell, mirroring ``classify``. ``hint`` (the classes seen in
    the first rows) leaves out branches that could only end as text anyway."""
    numeric = hint == EMPTY or hint & NUMERIC
    dates = hint == EMPTY or hint & (DATE_C | TS_C)
    parts = [f"WHEN {col} IS NULL OR {col} = '' THEN {EMPTY}"]
    if numeric:
        parts.append(
            f"WHEN regexp_full_match({col}, {_lit(NUMBER)}) THEN CASE "
            f"WHEN starts_with({col}, '-0') AND NOT regexp_matches({col}, '[1-9]') THEN {TEXT} "
            f"WHEN NOT contains({col}, '.') THEN {INT} "
            f"WHEN NOT suffix({col}, '0') THEN {FRAC} "
            f"WHEN suffix({col}, '.0') THEN {FRAC_ZERO1} ELSE {FRAC_ZEROS} END"
        )
    if dates:
        parts.append(
            f"WHEN regexp_full_match({col}, {_lit(DATE)}) AND NOT starts_with({col}, '0000') "
            f"AND try_cast({col} AS DATE) IS NOT NULL THEN {DATE_C}"
        )
        parts.append(
            f"WHEN regexp_full_match({col}, {_lit(TIMESTAMP)}) AND NOT starts_with({col}, '0000') "
            f"AND CAST(try_cast({col} AS TIMESTAMP) AS VARCHAR) = {col} THEN {TS_C}"
        )
    return "CASE " + " ".join(parts) + f" ELSE {TEXT} END"


def stats_sql(col: str, hint: int) -> list[str]:
    """Aggregates over one column, in the order ``stats_from_row`` reads them."""
    has_dot = f"contains({col}, '.')"
    sign = f"CAST(starts_with({col}, '-') AS INTEGER)"
    whole = f"CASE WHEN {has_dot} THEN strpos({col}, '.') - 1 ELSE length({col}) END - {sign}"
    scale = f"length({col}) - strpos({col}, '.')"
    sig = f"length(ltrim(replace(replace({col}, '-', ''), '.', ''), '0'))"
    numeric = hint == EMPTY or hint & NUMERIC
    if not numeric:
        return [f"bit_or({class_sql(col, hint)})", "0", "NULL", "NULL", "0", "0"]
    return [
        f"bit_or({class_sql(col, hint)})",
        f"coalesce(max({whole}) FILTER (WHERE {col} <> ''), 0)",
        f"min({scale}) FILTER (WHERE {has_dot})",
        f"max({scale}) FILTER (WHERE {has_dot})",
        f"count(*) FILTER (WHERE length({col}) > 16 AND {has_dot} AND {sig} > 15)",
        f"count(*) FILTER (WHERE {col} LIKE '0.0000%' OR {col} LIKE '-0.0000%')",
    ]


STATS_PER_COLUMN = 6


def stats_from_row(values: Sequence[Any]) -> ColumnStats:
    classes, digits, lo, hi, long_values, tiny = values
    return ColumnStats(int(classes or 0), int(digits or 0), lo, hi, int(long_values), int(tiny))


def cast_sql(col: str, sql_type: str) -> str:
    """The view's expression for a column of the given type (its values were checked)."""
    if sql_type == "VARCHAR":
        return f"coalesce({col}, '')"
    return f"CAST(NULLIF({col}, '') AS {sql_type})"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Rendering: the one place a DuckDB value becomes text or JSON.


def decimal_text(value: decimal.Decimal, sql_type: str | None) -> str:
    """A decimal in positional notation; a DECIMAL(38, s) column's without trailing zeros."""
    text = format(value, "f")
    if sql_type is not None and sql_type.startswith(f"DECIMAL({HUMAN_DECIMAL_PRECISION},"):
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text == "-0":
            text = "0"
    return text
