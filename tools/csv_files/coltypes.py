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
    """The class of one cell, as ``code_sql`` computes it in SQL."""
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


# The SQL side. A column the first rows type as T is checked over every row with one cheap test
# that every value has T's exact form (``verify_sql``); only where that fails, or for columns the
# first rows leave open, are the full per-value classes computed (``code_sql``), which cost more.

LONG, TINY, BIG_SCALE = 64, 128, 256
_SCALE_SHIFT = 16
_MAX_SCALE_BIT = 40
_CLASS_BITS = INT | FRAC | FRAC_ZERO1 | FRAC_ZEROS | DATE_C | TS_C | TEXT


def code_sql(col: str) -> str:
    """SQL for the bits of one VARCHAR cell: its class (as ``classify``), LONG/TINY flags and
    one bit for its scale; ``bit_or`` over a column gives ``stats_from_bits``' input."""
    scale = f"(length({col}) - strpos({col}, '.'))"
    sig = f"length(ltrim(replace(replace({col}, '-', ''), '.', ''), '0'))"
    numeric = (
        f"CASE WHEN starts_with({col}, '-0') AND NOT regexp_matches({col}, '[1-9]') THEN {TEXT} "
        f"WHEN NOT contains({col}, '.') THEN {INT} ELSE "
        f"(CASE WHEN NOT suffix({col}, '0') THEN {FRAC} WHEN suffix({col}, '.0') THEN {FRAC_ZERO1} "
        f"ELSE {FRAC_ZEROS} END) "
        f"| (CASE WHEN length({col}) <= 16 THEN 0 WHEN {sig} > 15 THEN {LONG} ELSE 0 END) "
        f"| (CASE WHEN {col} LIKE '0.0000%' OR {col} LIKE '-0.0000%' THEN {TINY} ELSE 0 END) "
        f"| (CASE WHEN {scale} > {_MAX_SCALE_BIT} THEN {BIG_SCALE} "
        f"ELSE CAST(1 AS BIGINT) << ({_SCALE_SHIFT} + {scale}) END) END"
    )
    return (
        f"CASE WHEN {col} IS NULL OR {col} = '' THEN {EMPTY} "
        f"WHEN regexp_full_match({col}, {_lit(NUMBER)}) THEN {numeric} "
        f"WHEN regexp_full_match({col}, {_lit(DATE)}) AND NOT starts_with({col}, '0000') "
        f"AND try_cast({col} AS DATE) IS NOT NULL THEN {DATE_C} "
        f"WHEN regexp_full_match({col}, {_lit(TIMESTAMP)}) AND NOT starts_with({col}, '0000') "
        f"AND CAST(try_cast({col} AS TIMESTAMP) AS VARCHAR) = {col} THEN {TS_C} "
        f"ELSE {TEXT} END"
    )


def int_digits_sql(col: str) -> str:
    """Digits before the point (meaningful when the column turns out numeric)."""
    return (
        f"CASE WHEN contains({col}, '.') THEN strpos({col}, '.') - 1 ELSE length({col}) END "
        f"- CAST(starts_with({col}, '-') AS INTEGER)"
    )


def stats_from_bits(bits: int | None, int_digits: int | None) -> ColumnStats:
    bits = int(bits or 0)
    scales = [s for s in range(1, _MAX_SCALE_BIT + 1) if bits >> (_SCALE_SHIFT + s) & 1]
    classes = bits & _CLASS_BITS
    if bits & BIG_SCALE:
        classes |= TEXT  # more than 40 decimals: no exact number type holds it
    return ColumnStats(
        classes,
        int(int_digits or 0),
        min(scales) if scales else None,
        max(scales) if scales else None,
        1 if bits & LONG else 0,
        1 if bits & TINY else 0,
    )


def verify_sql(col: str, sql_type: str) -> str | None:
    """A test that every value of a column is written exactly as ``sql_type`` prints it, or None
    when the type needs the full classes. True over all rows means the column has that type."""
    empty = f"{col} IS NULL OR {col} = ''"
    if sql_type in ("BIGINT", "HUGEINT"):
        digits = 17 if sql_type == "BIGINT" else 37
        return f"{empty} OR regexp_full_match({col}, '-?[1-9][0-9]{{0,{digits}}}|0')"
    if sql_type == "DATE":
        return (
            f"{empty} OR (regexp_full_match({col}, {_lit(DATE)}) AND NOT starts_with({col}, '0000') "
            f"AND try_cast({col} AS DATE) IS NOT NULL)"
        )
    if sql_type == "TIMESTAMP":
        return (
            f"{empty} OR (regexp_full_match({col}, {_lit(TIMESTAMP)}) AND NOT starts_with({col}, "
            f"'0000') AND CAST(try_cast({col} AS TIMESTAMP) AS VARCHAR) = {col})"
        )
    match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", sql_type)
    if match and int(match.group(1)) != HUMAN_DECIMAL_PRECISION:
        whole = int(match.group(1)) - int(match.group(2)) - 1
        pattern = rf"-?(0|[1-9][0-9]{{0,{whole}}})\.[0-9]{{{match.group(2)}}}"
        return f"{empty} OR (regexp_full_match({col}, {_lit(pattern)}) AND NOT starts_with({col}, '-0'))"
    if sql_type == "DOUBLE":
        pattern = r"-?(0|[1-9][0-9]{0,15})\.([0-9]*[1-9]|0)"
        return (
            f"{empty} OR (regexp_full_match({col}, {_lit(pattern)}) "
            f"AND length({col}) - CAST(starts_with({col}, '-') AS INTEGER) <= 16 "
            f"AND NOT starts_with({col}, '-0') AND NOT starts_with({col}, '0.0000'))"
        )
    return None


def plan_column(sample: ColumnStats) -> tuple[str, str | None]:
    """What the first rows settle: ("VARCHAR", None) when more rows cannot give a type (more
    values only ever narrow the choice); (T, None) when one test over every row confirms T;
    ("", None) when the full classes of every row are needed (no values yet, or a type whose
    scale comes from every row)."""
    kind = decide(sample)
    if sample.classes == EMPTY:
        return "", None
    if kind == "VARCHAR":
        return "VARCHAR", None
    if verify_sql("c", kind) is None:
        return "", None
    return kind, kind


def cast_sql(col: str, sql_type: str) -> str:
    """A text column's value as ``sql_type`` (the value was checked to have its exact form)."""
    if sql_type == "VARCHAR":
        return col
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
