"""The SQL that reads a query's result again, whole or one page of it, in a chosen order: how the
data grid sorts a result bigger than the rows it holds (DuckDB sorts all of it) and saves it in
the order shown. Also which sort a column's type asks for, so rows already held sort alike.

Columns are named by position (``#3``), never by name: a result may hold two columns of the same
name (or names that differ only in case), and no quoting is needed for any name. NULLs (and empty
text) come last in both directions; the other columns break ties, so that every page of one order
is cut from the same sequence.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence

from tools.csv_files.globwalk import has_magic
from tools.csv_files.sqlrefs import bare_statement

__all__ = ["NUMBER", "OTHER", "TEXT", "is_page", "order_by", "sort_kind", "source_sql", "wrap"]

NUMBER, TEXT, OTHER = "number", "text", "other"
"""Sort kinds: numbers by value, text case-insensitively, anything else as DuckDB orders it."""

_SQL_NUMBER = re.compile(
    r"(?:U?(?:TINYINT|SMALLINT|INTEGER|INT[0-9]*|BIGINT|HUGEINT)|FLOAT[0-9]*|REAL|DOUBLE"
    r"|(?:DECIMAL|NUMERIC)(?:\s*\(\s*[0-9]+\s*(?:,\s*[0-9]+\s*)?\))?|VARINT|BIGNUM)",
    re.IGNORECASE,
)
_SQL_TEXT = re.compile(r"VARCHAR|TEXT|STRING|CHAR|BPCHAR", re.IGNORECASE)
_READ_NUMBER = frozenset({"integer", "decimal"})
"""csv_read's numeric types (tools.csv_files.records.classify): numbers written as text."""
_READ_TEXT = frozenset({"text", "boolean", "empty", "date", "timestamp"})
"""csv_read's other types: ISO dates and times sort as their text does."""
_PAGE = re.compile(r"SELECT \* FROM \(\n.*\n\)(?: ORDER BY .*)? LIMIT ([0-9]+) OFFSET [0-9]+", re.S)


def sort_kind(type_name: str) -> str:
    """How a column of ``type_name`` (a DuckDB type, or one csv_read infers) sorts."""
    name = type_name.strip()
    if name in _READ_NUMBER or _SQL_NUMBER.fullmatch(name):
        return NUMBER
    if name in _READ_TEXT or _SQL_TEXT.fullmatch(name):
        return TEXT
    return OTHER


def _key(index: int, type_name: str) -> str:
    ref = f"#{index + 1}"
    kind = sort_kind(type_name)
    if kind == NUMBER:
        # A DuckDB number sorts exactly as it is; csv_read's numbers may be text to DuckDB
        # ("+5", "1e3"): cast those, and what does not cast sorts with the NULLs.
        exact = type_name.strip() not in _READ_NUMBER  # DuckDB spells its types in capitals
        return ref if exact else f"TRY_CAST({ref} AS DOUBLE)"
    if kind == TEXT:
        return f"NULLIF(lower(CAST({ref} AS VARCHAR)), '')"
    return ref


def order_by(column: int, descending: bool, types: Sequence[str], width: int) -> str:
    """``ORDER BY`` for column ``column`` (0-based) of a result ``width`` columns wide."""
    if not 0 <= column < width:
        raise ValueError(f"no column {column} in a result of {width} columns")
    type_name = types[column] if column < len(types) else ""
    terms = [f"{_key(column, type_name)}{' DESC' if descending else ''} NULLS LAST"]
    terms += [f"#{i + 1}" for i in range(width) if i != column]
    return "ORDER BY " + ", ".join(terms)


def wrap(sql: str, order: str = "", *, offset: int | None = None, limit: int | None = None) -> str:
    """``sql`` as a subquery, ordered by ``order`` (an ``order_by``) and paged when ``limit`` is
    given; its own ORDER BY and LIMIT still decide which rows it yields."""
    text = f"SELECT * FROM (\n{bare_statement(sql)}\n)"
    if order:
        text += f" {order}"
    if limit is not None:
        text += f" LIMIT {limit} OFFSET {offset or 0}"
    return text


def is_page(sql: str, limit: int) -> bool:
    """Whether ``sql`` is a page ``wrap`` made with this ``limit``."""
    match = _PAGE.fullmatch(sql)
    return match is not None and match.group(1) == str(limit)


def source_sql(path: str) -> str:
    """``SELECT *`` over exactly the file ``path`` names (a ``[`` or ``*`` in its name is not a
    pattern), for csv_query."""
    literal = glob.escape(path) if has_magic(path) else path
    return "SELECT * FROM '" + literal.replace("'", "''") + "'"
