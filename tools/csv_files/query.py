"""csv_query: read-only SQL over workspace CSV files with DuckDB, paged to the model with a total."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.csv_files.engine import Limits, locked_query, parser_connection, wrap_count
from tools.csv_files.sqlpaths import MAX_SQL_CHARS, prepare
from tools.csv_files.table import MAX_ROWS, json_value, page_heading, render_rows
from tools.words import noun, plural


class CsvQueryTool:
    """SQL over CSV files in the workspace, named by workspace-relative path."""

    name = "csv_query"
    description = (
        "Run one read-only DuckDB SQL query over CSV files in the workspace, naming each file by "
        "its workspace-relative path in quotes: SELECT region, sum(amount) FROM 'data/orders.csv' "
        "GROUP BY ALL, or read_csv('data/x.txt', delim=';'); globs such as 'logs/*.csv' work. "
        "Only SELECT-style queries (WITH, FROM-first, VALUES, DESCRIBE, SUMMARIZE); no ATTACH, "
        "COPY, INSTALL, LOAD, SET, PRAGMA or URLs; files outside the workspace are refused. "
        "Streams big files. Returns the total row count and the first rows (at most 50 and about "
        "8 KB; use ORDER BY with LIMIT/OFFSET in the SQL to page)."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "sql": {
                "type": "string",
                "maxLength": MAX_SQL_CHARS,
                "description": "one SELECT query; files as quoted workspace-relative paths",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ROWS,
                "default": MAX_ROWS,
                "description": f"rows to return (at most {MAX_ROWS}); the total is always counted",
            },
        },
        "required": ["sql"],
        "additionalProperties": False,
    }

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        import duckdb

        sql, limit = _check_args(args)
        parser = parser_connection()
        try:
            prepared = prepare(parser, sql, ctx.workspace)
        except duckdb.Error as exc:
            raise ToolError(f"the SQL cannot be checked: {exc}") from None
        finally:
            parser.close()
        rels = [ctx.workspace.relative(p) for p in prepared.files]
        state = {rel: _stat(p) for rel, p in zip(rels, prepared.files, strict=True)}
        files = ", ".join(rels[:5]) + (f" and {len(rels) - 5} more" if len(rels) > 5 else "")
        text = f"SQL:\n{sql}\nfiles: {files or 'none'}"
        return Action(
            tool=self.name,
            args={"sql": sql, "limit": limit},
            effect=Effect.READ,
            summary=f"query {files or 'no files'}",
            preview=Preview("text", escape_text(text), {"sql": sql, "files": rels}),
            targets=tuple(f"path:{rel}" for rel in rels),
            fingerprint=fingerprint({"sql": sql, "limit": limit}, state),
        )

    def run(self, action: Action, ctx: ToolContext) -> Result:
        sql, limit = _check_args(action.args)
        with locked_query(sql, ctx.workspace, self.limits) as (prepared, con, _deadline):
            cursor = con.execute(prepared.sql)
            columns = [str(d[0]) for d in cursor.description]
            types = [str(d[1]) for d in cursor.description]
            page = cursor.fetchmany(limit + 1)
            total: int | None = len(page)
            if len(page) > limit:
                page = page[:limit]
                total = _count(con, prepared.sql)
        rows = [[json_value(v) for v in row] for row in page]
        table, shown = render_rows(columns, rows)
        heading = (
            page_heading(0, shown, total)
            if total is not None
            else (f"rows 1-{shown} of more than {limit} (the total could not be counted)")
        )
        lines = [heading + ":", table]
        if shown < len(rows):
            lines.append(f"(cut to fit about 8 KB; add OFFSET {shown} in the SQL for the rest)")
        elif total is not None and total > shown:
            more = plural(total - shown, "more row", "more rows")
            lines.append(f"({more}: use ORDER BY with LIMIT/OFFSET to page)")
        lines.extend(f"note: {n}" for n in prepared.notes)
        return Result(
            ok=True,
            output="\n".join(lines),
            display=f"{plural(total, 'row') if total is not None else '? rows'}"
            f" · {plural(len(columns), 'column')}",
            data={"columns": columns, "types": types, "rows": rows, "total": total, "offset": 0},
        )


def _count(con: Any, sql: str) -> int | None:
    import duckdb

    try:
        return int(con.execute(wrap_count(sql)).fetchone()[0])
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        return None  # e.g. a statement DuckDB cannot nest; the page is still right


def _check_args(args: Mapping[str, Any]) -> tuple[str, int]:
    unknown = sorted(set(args) - {"sql", "limit"})
    if unknown:
        raise ToolError(f"unknown {noun(len(unknown), 'argument')}: {', '.join(unknown)}")
    sql = args.get("sql")
    limit = args.get("limit", MAX_ROWS)
    if not isinstance(sql, str) or not sql.strip():
        raise ToolError("sql must be a non-empty string")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ToolError(f"limit must be a whole number from 1 to {MAX_ROWS}")
    return sql, limit


def _stat(path: os.PathLike[str]) -> list[int]:
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns]
