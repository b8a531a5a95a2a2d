"""Tool results as tables for the data grid (no Textual): what a result holds, how to read the
page after it again, and the csv_write arguments that save it.

csv_read and csv_query results carry their columns, a page of rows and the total in
``ActionResult.data``; a JSON array of objects from http_request is parsed from the bounded body
the result keeps. The model's text is untouched: this only reads what the journal stores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.agent import events as ev
from assistant.ui import grid_sort
from tools.csv_files import paging
from tools.csv_files.sqlrefs import bare_statement

PAGE = 50
"""Rows per page re-read from a CSV source (csv_read and csv_query return at most 50)."""
MEMORY_PAGE = 100
"""Rows per page shown from rows already held (a JSON array)."""
MAX_COLUMNS = 200
"""Columns taken from JSON objects (keys in order of first appearance)."""
CSV_TOOLS = ("csv_read", "csv_query")


@dataclass
class GridData:
    """One table: its columns, the rows held (starting at row ``offset``), and the total."""

    tool: str
    columns: list[str]
    rows: list[list[Any]]
    total: int | None
    offset: int = 0
    types: list[str] = field(default_factory=list)
    args: dict[str, Any] = field(default_factory=dict)
    """The arguments of the call that produced it (how a page is read again)."""
    exact: bool = True
    """False when the total is a lower bound (a scan stopped at its deadline)."""

    @property
    def in_memory(self) -> bool:
        """Every row is held (a JSON array, or a CSV page that is the whole result)."""
        return self.tool not in CSV_TOOLS or (
            self.total is not None and self.offset == 0 and len(self.rows) >= self.total
        )

    def page_size(self) -> int:
        return MEMORY_PAGE if self.tool not in CSV_TOOLS else PAGE


def grid_data(proposed: ev.ActionProposed, result: ev.ActionResult | None) -> GridData | None:
    """The table a result holds, or None when it holds none (an error, a text body)."""
    if result is None or not result.ok:
        return None
    data = result.data or {}
    if proposed.tool in CSV_TOOLS:
        return _csv(proposed, data)
    if proposed.tool == "http_request" and data.get("body_kind") == "json":
        body = data.get("body")
        if isinstance(body, str) and not data.get("body_cut") and not data.get("truncated"):
            return json_table(body, proposed.tool, proposed.args)
    return None


def _csv(proposed: ev.ActionProposed, data: Mapping[str, Any]) -> GridData | None:
    columns, rows = data.get("columns"), data.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        return None
    total = data.get("total")
    offset = data.get("offset", 0)
    limit = proposed.args.get("limit", PAGE)
    if proposed.tool == "csv_query" and isinstance(limit, int):
        rows = rows[:limit]  # the tool fetches one more row than it shows, to know there are more
    return GridData(
        tool=proposed.tool,
        columns=[str(c) for c in columns],
        rows=[list(r) if isinstance(r, list) else [r] for r in rows],
        total=total if isinstance(total, int) else None,
        offset=offset if isinstance(offset, int) else 0,
        types=[str(t) for t in data.get("types") or []],
        args=dict(proposed.args),
        exact=data.get("total_exact", True) is not False,
    )


def json_table(
    body: str, tool: str = "http_request", args: Mapping[str, Any] | None = None
) -> GridData | None:
    """A JSON array of objects as a table (keys as columns); None for any other JSON."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return None
    columns: dict[str, None] = {}
    for item in value:
        for key in item:
            if len(columns) >= MAX_COLUMNS:
                break
            columns.setdefault(str(key), None)
    names = list(columns)
    rows = [[_cell(item.get(name)) for name in names] for item in value]
    return GridData(tool, names, rows, len(rows), 0, args=dict(args or {}))


def _cell(value: Any) -> Any:
    """Scalars as they are; nested arrays and objects as compact JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def cell_text(value: Any) -> str:
    """A cell as text: None (SQL NULL, a JSON null or a missing key) is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


Order = tuple[int, bool]
"""(column index, descending): how a table is sorted."""


def page_call(
    grid: GridData, offset: int, order: Order | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The read that fetches rows ``offset``.. again (through the gate), in ``order`` over the
    whole result when one is given; None when the rows are held. csv_read sorts by running its
    file through csv_query (DuckDB sorts; csv_read pages only in file order)."""
    if grid.tool == "csv_read" and order is None:
        return "csv_read", {"path": grid.args.get("path"), "offset": offset, "limit": PAGE}
    sql = _source_sql(grid)
    if sql is None:
        return None
    args: dict[str, Any] = {
        "sql": paging.wrap(sql, _order_sql(grid, order), offset=offset, limit=PAGE),
        "limit": PAGE,
    }
    if grid.tool == "csv_query" and grid.args.get("bad_rows"):
        args["bad_rows"] = grid.args["bad_rows"]
    return "csv_query", args


def is_page_read(tool: str, args: Mapping[str, Any]) -> bool:
    """Whether a call is a page the grid read again (``page_call``), not one a person typed."""
    if tool == "csv_read":
        offset = args.get("offset", 0)
        return isinstance(offset, int) and offset > 0
    if tool == "csv_query":
        return paging.is_page(str(args.get("sql", "")), PAGE)
    return False


def save_args(grid: GridData, path: str, order: Order | None = None) -> dict[str, Any]:
    """csv_write arguments that save the whole result as ``path`` (created, never overwritten),
    in ``order`` when the whole result is shown sorted."""
    sql = None if grid.in_memory and grid.tool == "csv_read" else _source_sql(grid)
    if sql is not None:
        if order is not None:
            sql = paging.wrap(sql, _order_sql(grid, order))
        return {"path": path, "mode": "create", "sql": sql}
    rows = grid.rows if order is None else sort_held(grid, grid.rows, order)
    return {"path": path, "mode": "create", "rows": [list(grid.columns), *as_rows(rows)]}


def sort_held(grid: GridData, rows: Sequence[list[Any]], order: Order) -> list[list[Any]]:
    """Rows held, sorted as the tool would sort the whole result (see grid_sort)."""
    column, descending = order
    kind = grid_sort.column_kind(grid.types, grid.rows, column)
    return grid_sort.sorted_rows(rows, column, descending, kind)


def _source_sql(grid: GridData) -> str | None:
    """The query whose result the grid shows (its own, or a csv_read's file), bare."""
    if grid.tool == "csv_query":
        return bare_statement(str(grid.args.get("sql", "")))
    if grid.tool == "csv_read":
        return paging.source_sql(str(grid.args.get("path", "")))
    return None


def _order_sql(grid: GridData, order: Order | None) -> str:
    if order is None:
        return ""
    return paging.order_by(order[0], order[1], grid.types, len(grid.columns))


def default_name(grid: GridData) -> str:
    """A file name to offer when saving: after the file read, else the tool."""
    path = str(grid.args.get("path") or "")
    if grid.tool == "csv_read" and path:
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "table"
        return f"{stem}-copy.csv"
    return {"csv_query": "query.csv"}.get(grid.tool, "response.csv")


def as_rows(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    """Rows as text cells (what a copy or a save writes)."""
    return [[cell_text(c) for c in row] for row in rows]
