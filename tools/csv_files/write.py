"""csv_write: create, overwrite or append a workspace CSV file from rows or a query, previewed as
a row/cell diff, written atomically, refused when the file changed since the preview."""

from __future__ import annotations

import hashlib
import math
import os
import posixpath
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools import words
from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    RuleRefusal,
    Scope,
    StaleActionError,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.csv_files.diff import Change, WritePlan, plan_append, plan_create, plan_overwrite
from tools.csv_files.engine import QueryLimits, run_job
from tools.csv_files.guard import check_known, check_text, guarded
from tools.csv_files.query import prepare_sql
from tools.csv_files.records import check_header
from tools.csv_files.sniff import default_format
from tools.csv_files.sqlpaths import MAX_SQL_CHARS
from tools.csv_files.table import csv_line, cut, show_cell
from tools.undo_record import Capture
from tools.words import noun, plural
from tools.workspace import Workspace

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 100_000
PREVIEW_CHANGES = 20
MODES = ("create", "overwrite", "append")


class CsvWriteTool:
    """Writes CSV files; every write is previewed as a diff and approved by a person."""

    name = "csv_write"
    description = (
        "Write a CSV file in the workspace. mode: create (a new file; fails if it exists), "
        "overwrite (replace the rows of an existing file) or append (add rows at its end). Give "
        "either rows (a header row, then data rows) or sql (one csv_query-style SELECT whose "
        "result is written, header included). An existing file keeps its encoding, delimiter, "
        "line endings and the exact text of rows you do not change; append needs the file's "
        "columns. Cells starting with = + - @ tab or CR (not plain numbers) get a leading ' so "
        "spreadsheets do not run them. A person approves the previewed diff first; the old "
        f"bytes are kept for undo. Files up to {MAX_FILE_BYTES // 2**20} MB, {MAX_ROWS:,} rows."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "workspace-relative path of the CSV file"},
            "mode": {"type": "string", "enum": list(MODES)},
            "rows": {
                "type": "array",
                "minItems": 1,
                "description": "the header row, then data rows; cells are strings or numbers",
                "items": {
                    "type": "array",
                    "items": {"type": ["string", "number", "boolean", "null"]},
                },
            },
            "sql": {"type": "string", "description": "a SELECT whose result is written instead"},
        },
        "required": ["path", "mode"],
        "additionalProperties": False,
    }

    def __init__(self, limits: QueryLimits | None = None) -> None:
        self.limits = limits or QueryLimits()

    @guarded
    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        clean = _check_args(args)
        ws = ctx.workspace
        real = ws.resolve(clean["path"])
        rel = ws.relative(real)
        _refuse_denied(ctx, clean["path"], rel)
        ws.refuse_hard_link(real)
        old = _read_target(ws, real, rel, clean["mode"])
        rows, sources, notes = self._rows(clean, ctx)
        plan = _plan(clean["mode"], old, rows, rel)
        plan.notes.extend(notes)
        state = {"target": _sha(old), "output": _sha(plan.data), "sources": sources}
        return Action(
            tool=self.name,
            args=clean,
            effect=Effect.WRITE,
            summary=f"{clean['mode']} {rel}: {_counts(plan)}",
            preview=_preview(rel, clean["mode"], plan),
            targets=(f"path:{rel}", *(f"path:{s}" for s in sources if s != rel)),
            fingerprint=fingerprint(clean, state),
            scope=_scope(clean["mode"], rel),
            state=state,
        )

    @guarded
    def run(self, action: Action, ctx: ToolContext) -> Result:
        clean = _check_args(action.args)
        ws = ctx.workspace
        real = ws.resolve(clean["path"])
        rel = ws.relative(real)
        _refuse_denied(ctx, clean["path"], rel)
        ws.refuse_hard_link(real)
        current = _current_bytes(ws, real)
        if _sha(current) != action.state.get("target"):
            raise StaleActionError(
                f"{rel} changed since the preview; nothing was written (plan the write again)"
            )
        old = _read_target(ws, real, rel, clean["mode"])
        rows, _sources, _notes = self._rows(clean, ctx)
        plan = _plan(clean["mode"], old, rows, rel)
        if _sha(plan.data) != action.state.get("output"):
            raise StaleActionError(
                "what would be written differs from the preview (a source file changed?); "
                "nothing was written (plan the write again)"
            )
        capture = Capture(ws, [rel])  # the before-image and mode, for undo
        ws.atomic_write(real, plan.data)
        after = (
            f"; {plural(plan.rows_after, 'data row')} now" if plan.rows_after is not None else ""
        )
        result = Result(
            ok=True,
            output=f"wrote {rel} ({clean['mode']}): {_counts(plan)}{after}",
            display=f"{clean['mode']} {rel} · {_counts(plan)}",
            data={
                "path": rel,
                "mode": clean["mode"],
                "bytes": len(plan.data),
                "added": plan.added,
                "removed": plan.removed,
                "changed": plan.changed,
                "rows_after": plan.rows_after,
            },
        )
        return capture.attach(result)

    def _rows(
        self, clean: Mapping[str, Any], ctx: ToolContext
    ) -> tuple[list[list[str]], dict[str, list[int]], list[str]]:
        if "rows" in clean:
            return (
                [
                    [_cell(v, i, j) for j, v in enumerate(row)]
                    for i, row in enumerate(clean["rows"])
                ],
                {},
                [],
            )
        prepared = prepare_sql(clean["sql"], ctx, self.name, self.limits)
        answer = run_job(
            prepared, ctx.workspace.root, self.limits, fetch=MAX_ROWS + 1, count=False, text=True
        )
        if len(answer.rows) > MAX_ROWS:
            raise ToolError(
                f"the query returns more than {MAX_ROWS:,} rows; csv_write writes at most that many"
            )
        try:
            check_header(answer.columns, 1)
        except ToolError as exc:
            detail = str(exc).removeprefix("line 1: ").replace("of the header ", "")
            raise ToolError(f"the query's columns need distinct names: {detail}; use AS") from None
        sources = {rel: _stat(ctx.workspace.root / rel) for rel in prepared.rels}
        return [answer.columns, *answer.rows], sources, answer.notes


def _scope(mode: str, rel: str) -> Scope:
    """The session rule a grant on this write makes: this tool, this folder (not its
    subfolders), this kind of change only; a grant to create never covers an overwrite."""
    parent = posixpath.dirname(rel) or "."
    where = words.folder(parent)
    what = {
        "create": "create new files",
        "overwrite": "overwrite existing files",
        "append": "append rows to existing files",
    }[mode]
    return Scope(
        f"csv_write:dir:{parent}",
        f"csv_write: {what} in {where} (not its subfolders)",
        frozenset({mode}),
    )


def _refuse_denied(ctx: ToolContext, path: str, rel: str) -> None:
    """The target is written and (for the diff) read: a rule on either refuses it."""
    spelled = posixpath.normpath(path)
    for target in dict.fromkeys((f"path:{spelled}", f"path:{rel}")):
        for effect in (Effect.WRITE, Effect.READ):
            reason = ctx.denied("csv_write", target, effect)
            if reason:
                raise RuleRefusal(f"{path!r} is refused by a deny rule: {reason}")


def _check_args(args: Mapping[str, Any]) -> dict[str, Any]:
    check_known(args, {"path", "mode", "rows", "sql"})
    path, mode = args.get("path"), args.get("mode")
    if not isinstance(path, str) or not path:
        raise ToolError("path must be a non-empty string")
    check_text("path", path, 4096)
    if not isinstance(mode, str) or mode not in MODES:
        raise ToolError(f"mode must be one of {', '.join(MODES)}")
    has_rows, has_sql = args.get("rows") is not None, args.get("sql") is not None
    if has_rows == has_sql:
        raise ToolError("give either rows (header first) or sql, not both and not neither")
    clean: dict[str, Any] = {"path": path, "mode": mode}
    if has_sql:
        if not isinstance(args["sql"], str) or not args["sql"].strip():
            raise ToolError("sql must be a non-empty string")
        clean["sql"] = check_text("sql", args["sql"], MAX_SQL_CHARS)
        return clean
    rows = args["rows"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise ToolError("rows must be a list of rows (lists of cells), the header first")
    if len(rows) > MAX_ROWS + 1:
        raise ToolError(f"at most {MAX_ROWS:,} rows can be written at once")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise ToolError(f"rows[{i}][{j}] must be a string, number, boolean or null")
            if isinstance(value, str):
                check_text(f"rows[{i}][{j}]", value, MAX_FILE_BYTES)
            elif isinstance(value, float) and not math.isfinite(value):
                raise ToolError(f"rows[{i}][{j}] is not a finite number; write it as text")
    clean["rows"] = rows
    return clean


def _cell(value: Any, row: int, col: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    try:
        return str(value)
    except ValueError:  # an integer with more digits than Python will print
        raise ToolError(f"rows[{row}][{col}] is a number too long to write") from None


def _current_bytes(ws: Workspace, real: Path) -> bytes | None:
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        return None
    return ws.read_bytes(real)


def _read_target(ws: Workspace, real: Path, rel: str, mode: str) -> bytes | None:
    try:
        info = os.stat(real)
    except FileNotFoundError:
        if mode != "create":
            raise ToolError(f"{rel} does not exist; use mode create") from None
        if not real.parent.is_dir():
            raise ToolError(f"the folder {posixpath.dirname(rel)}/ does not exist") from None
        return None
    if stat.S_ISDIR(info.st_mode):
        raise ToolError(f"{rel} is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(f"{rel} is not a regular file")
    if mode == "create":
        raise ToolError(f"{rel} already exists; use mode overwrite or append")
    if info.st_size > MAX_FILE_BYTES:
        raise ToolError(
            f"{rel} is larger than {MAX_FILE_BYTES // 2**20} MB; csv_write edits smaller files"
        )
    return ws.read_bytes(real)


def _plan(mode: str, old: bytes | None, rows: list[list[str]], rel: str) -> WritePlan:
    if mode == "create" or old is None:
        plan = plan_create(rows, default_format(rel))
    elif mode == "overwrite":
        plan = plan_overwrite(old, rows)
    else:
        plan = plan_append(old, rows, default_format(rel))
    if len(plan.data) > MAX_FILE_BYTES:
        raise ToolError(f"the result would be larger than {MAX_FILE_BYTES // 2**20} MB")
    return plan


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _stat(path: Path) -> list[int]:
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns]


def _counts(plan: WritePlan) -> str:
    parts = [
        f"{plural(n, 'row')} {what}"
        for n, what in ((plan.added, "added"), (plan.removed, "removed"), (plan.changed, "changed"))
        if n
    ]
    if plan.cells_changed:
        parts[-1] += f" ({plural(plan.cells_changed, 'cell')})"
    if plan.header_changed and plan.changes and plan.changes[0].op == "header":
        parts.insert(0, "header changed")
    return ", ".join(parts) or "no changes"


def _preview(rel: str, mode: str, plan: WritePlan) -> Preview:
    lines = [
        f"csv_write {mode} {rel}",
        plan.fmt.describe() + (" (kept)" if mode != "create" else ""),
    ]
    summary = _counts(plan)
    if plan.unchanged:
        summary += f"; {plan.unchanged:,} unchanged, kept byte for byte"
    if plan.rows_after is not None:
        summary += f"; {plural(plan.rows_after, 'data row')} after"
    lines.append(summary)
    lines.append("columns: " + csv_line([show_cell(c) for c in plan.header]))
    lines.extend(_change_line(c) for c in plan.changes[:PREVIEW_CHANGES])
    hidden = len(plan.changes) - PREVIEW_CHANGES + plan.more_changes
    if hidden > 0:
        lines.append(f"… and {plural(hidden, 'more change')}")
    if plan.neutralised:
        lines.append(
            f"! {plural(plan.neutralised, 'cell')} {noun(plan.neutralised, 'starts', 'start')}"
            " with = + - @ tab or CR and are written with a "
            "leading ' (formula injection guard)"
        )
    lines.extend(f"! {note}" for note in plan.notes)
    data = {
        "files": [
            {
                "path": rel,
                "mode": mode,
                "diff": "rows",
                "format": plan.fmt.to_json(),
                "header": plan.header,
                "counts": {
                    "added": plan.added,
                    "removed": plan.removed,
                    "changed": plan.changed,
                    "cells_changed": plan.cells_changed,
                    "unchanged": plan.unchanged,
                    "header_changed": plan.header_changed,
                    "rows_after": plan.rows_after,
                },
                "changes": [c.to_json() for c in plan.changes],
                "more_changes": plan.more_changes,
                "neutralised": plan.neutralised,
                "notes": plan.notes,
            }
        ]
    }
    return Preview("diff", "\n".join(cut(escape_text(line)) for line in lines), data)


def _change_line(change: Change) -> str:
    if change.op in ("change", "header"):
        where = "header" if change.op == "header" else f"row {change.row}"
        shown = "; ".join(
            f"{show_cell(c, 40)}: {_quoted(o)} → {_quoted(n)}" for c, o, n in change.cells[:5]
        )
        extra = len(change.cells) - 5
        more = f"; and {plural(extra, 'more cell')}" if extra > 0 else ""
        return f"~ {where}: {shown}{more}"
    mark = "+" if change.op == "add" else "-"
    cells = (change.new if change.op == "add" else change.old) or []
    return f"{mark} row {change.row}: " + csv_line([show_cell(v, 60) for v in cells])


def _quoted(value: str) -> str:
    return '"' + show_cell(value, 60).replace('"', '\\"') + '"'
