"""csv_query: read-only SQL over workspace CSV files with DuckDB, paged to the model with a total.

Each file is read with the dialect csv_read detects and typed only where the type keeps every
cell's exact text (see loader and coltypes); the query runs in a worker within its limits."""

from __future__ import annotations

import os
import time
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
from tools.csv_files.engine import (
    QueryLimits,
    clean_error,
    parser_connection,
    run_job,
    warm_workers,
)
from tools.csv_files.guard import check_known, check_text, deny_check, guarded
from tools.csv_files.sqlpaths import MAX_SQL_CHARS, Prepared, prepare
from tools.csv_files.table import MAX_ROWS, page_heading, render_rows
from tools.workspace import Workspace

BAD_ROWS = ("error", "skip")


class CsvQueryTool:
    """SQL over CSV files in the workspace, named by workspace-relative path."""

    name = "csv_query"
    description = (
        "Run one read-only DuckDB SQL query over CSV files in the workspace, naming each file by "
        "its workspace-relative path in quotes: SELECT region, sum(amount) FROM 'data/orders.csv' "
        "GROUP BY ALL, or read_csv('data/x.csv'); globs such as 'logs/*.csv' work (read_csv(["
        "...], union_by_name = true) matches columns by name). Each file is read with the "
        "dialect csv_read detects; a column is typed (BIGINT, DECIMAL, DOUBLE, DATE, TIMESTAMP) "
        "only when every value keeps its exact text that way, otherwise it is text (codes with "
        "leading zeros, 01/02/2024, 1,5): cast it to compute. A ragged row is an error naming "
        "its line unless bad_rows is 'skip' (skipped and counted). Only SELECT-style queries "
        "(WITH, FROM-first, VALUES, DESCRIBE, SUMMARIZE); no ATTACH, COPY, INSTALL, LOAD, SET, "
        "PRAGMA or URLs; files outside the workspace are refused. Returns the total row count "
        "and the first rows (at most 50 and about 8 KB; use ORDER BY with LIMIT/OFFSET to page)."
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
            "bad_rows": {
                "type": "string",
                "enum": list(BAD_ROWS),
                "default": "error",
                "description": "ragged rows: 'error' (name the line) or 'skip' (count them)",
            },
        },
        "required": ["sql"],
        "additionalProperties": False,
    }

    def __init__(self, limits: QueryLimits | None = None) -> None:
        self.limits = limits or QueryLimits()

    @guarded
    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        clean = _check_args(args)
        prepared = self._prepare(clean["sql"], ctx)
        rels = prepared.rels
        state = {rel: _stat(ctx.workspace, rel) for rel in rels}
        files = ", ".join(rels[:5]) + (f" and {len(rels) - 5} more" if len(rels) > 5 else "")
        text = f"SQL:\n{clean['sql']}\nfiles: {files or 'none'}"
        text += "".join(f"\nnote: {n}" for n in prepared.notes)
        return Action(
            tool=self.name,
            args=clean,
            effect=Effect.READ,
            summary=f"query {files or 'no files'}",
            preview=Preview("text", escape_text(text), {"sql": clean["sql"], "files": rels}),
            targets=tuple(f"path:{rel}" for rel in rels),
            fingerprint=fingerprint(clean, state),
        )

    @guarded
    def run(self, action: Action, ctx: ToolContext) -> Result:
        clean = _check_args(action.args)
        limit = clean["limit"]
        prepared = self._prepare(clean["sql"], ctx)
        answer = run_job(
            prepared,
            ctx.workspace.root,
            self.limits,
            fetch=limit + 1,
            count=True,
            text=False,
            skip_ragged=clean["bad_rows"] == "skip",
        )
        rows, total = answer.rows, answer.total
        table, shown = render_rows(answer.columns, rows)
        heading = (
            page_heading(0, shown, total)
            if total is not None
            else (f"rows 1-{shown} of more than {limit} (the total could not be counted)")
        )
        lines = [heading + ":", table]
        if shown < len(rows):
            lines.append(f"(cut to fit about 8 KB; add OFFSET {shown} in the SQL for the rest)")
        elif total is not None and total > shown:
            lines.append(f"({total - shown:,} more rows: use ORDER BY with LIMIT/OFFSET to page)")
        lines.extend(f"note: {escape_text(n)}" for n in answer.notes)
        return Result(
            ok=True,
            output="\n".join(lines),
            display=f"{total if total is not None else '?'} rows · {len(answer.columns)} columns",
            data={
                "columns": answer.columns,
                "types": answer.types,
                "rows": rows,
                "total": total,
                "offset": 0,
                "notes": answer.notes,
            },
        )

    def _prepare(self, sql: str, ctx: ToolContext) -> Prepared:
        return prepare_sql(sql, ctx, self.name, self.limits)


def prepare_sql(sql: str, ctx: ToolContext, tool: str, limits: QueryLimits) -> Prepared:
    """Check ``sql`` and the files it names (deny rules asked as ``tool``), within the planning
    deadline."""
    import duckdb

    warm_workers()  # the worker server loads DuckDB while the SQL is checked
    parser = parser_connection()
    try:
        return prepare(
            parser,
            sql,
            ctx.workspace,
            denied=deny_check(ctx, tool, Effect.READ),
            deadline=time.monotonic() + limits.plan_timeout,
        )
    except duckdb.Error as exc:
        raise ToolError(
            f"the SQL cannot be checked: {clean_error(exc, str(ctx.workspace.root))}"
        ) from None
    finally:
        parser.close()


def _check_args(args: Mapping[str, Any]) -> dict[str, Any]:
    check_known(args, {"sql", "limit", "bad_rows"})
    sql = args.get("sql")
    limit = args.get("limit", MAX_ROWS)
    bad_rows = args.get("bad_rows", "error")
    if not isinstance(sql, str) or not sql.strip():
        raise ToolError("sql must be a non-empty string")
    check_text("sql", sql, MAX_SQL_CHARS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ToolError(f"limit must be a whole number from 1 to {MAX_ROWS}")
    if bad_rows not in BAD_ROWS:
        raise ToolError("bad_rows must be 'error' or 'skip'")
    return {"sql": sql, "limit": limit, "bad_rows": bad_rows}


def _stat(ws: Workspace, rel: str) -> list[int]:
    info = os.stat(ws.root / rel)
    return [info.st_size, info.st_mtime_ns]
