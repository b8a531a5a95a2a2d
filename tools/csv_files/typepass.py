"""The type of every column over every row of its files, and the SELECT each view is made of.

The first rows settle most columns (a text value makes a column text for good) and suggest a type
for the rest; one test over every row confirms each suggestion; only where a test fails, or the
first rows leave a column open, are the full classes of every value computed (see coltypes).
Columns the query cannot read are not tested: their view expression checks each value it is
asked for instead, and a failed check reruns the query with every column tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tools.base import ToolError
from tools.csv_files import coltypes
from tools.csv_files.coltypes import ColumnStats, Sample, quote_ident
from tools.csv_files.sqlpaths import Source

WIDE = 48
"""Past this many columns to test, one grouped pass (UNPIVOT) replaces an expression per column,
whose regular expressions DuckDB would compile one by one."""
RECHECK = "csv_query: recheck every column"
"""The error a view raises when a value does not fit an untested column's type."""


@dataclass(frozen=True)
class Col:
    kind: str
    checked: bool = True
    """False: not tested over every row (the query cannot read it); its expression checks values."""
    numbers_as_text: bool = False
    """Text although every value is a number: they are not all written the way one type prints."""


class FileLike(Protocol):
    """What the view needs of a prepared file (loader.Loaded)."""

    header: list[str]
    notes: list[str]

    @property
    def rel(self) -> str: ...

    @property
    def read_sql(self) -> str: ...

    def read_typed(self, kinds: list[str]) -> str: ...


class Unreadable(Exception):
    """The typing pass found rows DuckDB would read otherwise than csv_read (see check_sql)."""


def file_types(
    con: Any,
    check: tuple[str, list[str]],
    sample: Sample,
    wanted: set[int] | None,
    known: list[Col] | None,
) -> list[Col]:
    """A type per column of one file; ``check``: how to read it for this pass and aggregates
    that must be 0; ``wanted``: the columns the query may read (None: all); ``known``: the
    types an earlier query found for this version of the file."""
    read_sql, checks = check
    cols: list[Col] = []
    verify: list[int] = []
    full: list[int] = []
    for i, stats in enumerate(sample.stats):
        if known is not None and known[i].checked:
            cols.append(known[i])
            continue
        kind, confirm = coltypes.plan_column(stats)
        numeric = bool(stats.classes) and stats.classes & coltypes.NUMERIC == stats.classes
        cols.append(Col(kind, True, kind == "VARCHAR" and numeric))
        if not kind:
            full.append(i)
        elif confirm and (wanted is None or i in wanted):
            verify.append(i)
        elif confirm:
            cols[i] = Col(kind, checked=False)
    if len(verify) > WIDE:
        verify, full = [], sorted(verify + full)
    aggregates = [f"bool_and({coltypes.verify_sql(f'c{i}', cols[i].kind)})" for i in verify]
    if known is not None and not aggregates and not full:
        return cols  # this version of the file was read whole before
    if aggregates or checks or not full:
        # Also the pass that reads the whole file when every column is settled already.
        every = [*aggregates, *checks] or ["count(*)"]
        answers = con.execute(f"SELECT {', '.join(every)} FROM {read_sql}").fetchone()
        if checks and any(answers[len(aggregates) :]):
            raise Unreadable
        full.extend(i for i, ok in zip(verify, answers, strict=False) if not ok)
    for i, stats in full_stats(con, read_sql, sorted(full)).items():
        cols[i] = _col(stats)
    return cols


def _col(stats: ColumnStats) -> Col:
    kind = coltypes.decide(stats)
    numeric = bool(stats.classes) and stats.classes & coltypes.NUMERIC == stats.classes
    return Col(kind, True, kind == "VARCHAR" and numeric)


def full_stats(con: Any, read_sql: str, columns: list[int]) -> dict[int, ColumnStats]:
    if not columns:
        return {}
    if len(columns) <= WIDE:
        parts = [
            f"bit_or({coltypes.code_sql(f'c{i}')}), max({coltypes.int_digits_sql(f'c{i}')})"
            for i in columns
        ]
        row = con.execute(f"SELECT {', '.join(parts)} FROM {read_sql}").fetchone()
        return {
            i: coltypes.stats_from_bits(row[2 * n], row[2 * n + 1]) for n, i in enumerate(columns)
        }
    code, digits = coltypes.code_sql("v"), coltypes.int_digits_sql("v")
    names = ", ".join(f"c{i}" for i in columns)
    rows = con.execute(
        f"SELECT k, bit_or({code}), max({digits}) FROM (UNPIVOT (SELECT {names} FROM "
        f"{read_sql}) ON COLUMNS(*) INTO NAME k VALUE v) GROUP BY k"
    ).fetchall()
    found = {int(k[1:]): coltypes.stats_from_bits(bits, d) for k, bits, d in rows}
    return {i: found.get(i, ColumnStats()) for i in columns}


def view_sql(
    con: Any, source: Source, parts: Sequence[tuple[FileLike, list[Col]]]
) -> tuple[str, list[str]]:
    """The SELECT a source's view is made of, and notes about its columns."""
    first = parts[0][0]
    if not source.union_by_name:
        for loaded, _ in parts[1:]:
            if loaded.header != first.header:
                raise ToolError(
                    f"{first.rel} and {loaded.rel} have different columns; add "
                    "union_by_name = true to read_csv([...]) to match them by name"
                )
    types = _merged(con, parts)
    if source.filename and "filename" in types:
        raise ToolError("a column is already named filename; leave out filename = true")
    selects = []
    for loaded, _ in parts:
        kinds = [types[name.lower()] for name in loaded.header]
        cols = [
            f"{_expr(f'c{i}', kind)} AS {quote_ident(name)}"
            for i, (name, kind) in enumerate(zip(loaded.header, kinds, strict=True))
        ]
        if source.filename:
            cols.append("'" + loaded.rel.replace("'", "''") + "' AS filename")
        read = loaded.read_typed([_read_kind(kind) for kind in kinds])
        selects.append(f"SELECT {', '.join(cols)} FROM {read}")
    glue = " UNION ALL BY NAME " if source.union_by_name else " UNION ALL "
    notes = [n for loaded, _ in parts for n in loaded.notes]
    for loaded, _ in parts:
        for name in loaded.header:
            if types[name.lower()].numbers_as_text:
                notes.append(
                    f"column {name} is kept as text: its numbers are not all written the way one "
                    "type prints them (say 1.50 and 2.5, or 007), and each cell keeps its text; "
                    f"to compute, cast it: CAST({quote_ident(name)} AS DOUBLE)"
                )
    return glue.join(selects), list(dict.fromkeys(notes))


def _read_kind(kind: Col) -> str:
    """How DuckDB's reader delivers a column: tested ones in their type, the rest as text."""
    return kind.kind.strip() if kind.checked else "VARCHAR"


def _expr(col: str, kind: Col) -> str:
    """A column of the view. The reader gives NULL for every empty field (see read_typed): in a
    column read as text it is '' again, as csv_read has it; a typed column keeps NULL."""
    if _read_kind(kind) == "VARCHAR":
        col = f"coalesce({col}, '')"
    if kind.checked:
        return col
    check = coltypes.verify_sql(col, kind.kind)
    return f"CASE WHEN {check} THEN {coltypes.cast_sql(col, kind.kind)} ELSE error('{RECHECK}') END"


def _merged(con: Any, parts: Sequence[tuple[FileLike, list[Col]]]) -> dict[str, Col]:
    """One type per column name across the files of a source; where the files disagree, the
    full classes of each file's column decide."""
    seen: dict[str, set[Col]] = {}
    for loaded, cols in parts:
        for name, col in zip(loaded.header, cols, strict=True):
            seen.setdefault(name.lower(), set()).add(col)
    merged = {name: next(iter(kinds)) for name, kinds in seen.items() if len(kinds) == 1}
    disputed = [name for name, kinds in seen.items() if len(kinds) > 1]
    if disputed:
        stats = {name: ColumnStats() for name in disputed}
        for loaded, _ in parts:
            index = {n.lower(): i for i, n in enumerate(loaded.header)}
            columns = [index[name] for name in disputed if name in index]
            for i, column in full_stats(con, loaded.read_sql, columns).items():
                stats[loaded.header[i].lower()].merge(column)
        merged.update({name: _col(column) for name, column in stats.items()})
    return merged
