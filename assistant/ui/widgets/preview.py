"""Rich renderings of a tool's Preview (http, diff, shell, table, text): what a person decides on.

Everything here is untrusted (tool data echoes the model's arguments and files' contents): it is
escaped with ``escape_text`` and put in ``rich.text.Text`` objects, never parsed as markup. A
preview whose ``data`` is not the shape expected falls back to its plain ``text``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text

from assistant import present

HANDLE_RE = re.compile(r"\{\{secret:[A-Za-z0-9_.-]+\}\}")
MAX_DIFF_LINES = 400
"""Lines of one unified diff drawn; the rest is counted (tools cap their own diffs too)."""
MAX_TABLE_ROWS = 60
MAX_TABLE_COLUMNS = 10
MAX_CELL = 40
MAX_BODY_CHARS = 20_000

STYLE_ADD = "green"
STYLE_DEL = "red"
STYLE_HUNK = "cyan"
STYLE_DIM = "dim"
STYLE_WARN = "bold yellow"
STYLE_SECRET = "bold magenta"
STYLE_METHOD = {"GET": "bold green", "HEAD": "bold green", "OPTIONS": "bold green"}
VERB_STYLE = {
    "create": STYLE_ADD,
    "mkdir": STYLE_ADD,
    "delete": STYLE_DEL,
    "rmdir": STYLE_DEL,
    "overwrite": "yellow",
    "append": "yellow",
    "move": "yellow",
    "touch": STYLE_DIM,
}


def safe(value: Any, limit: int | None = None) -> str:
    """Any untrusted value as one escaped string, optionally cut with an ellipsis."""
    from tools.base import escape_text  # here: the app's first frame does not need tools

    text = escape_text(value if isinstance(value, str) else str(value))
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def plain(text: str, style: str = "") -> Text:
    """Escaped text with secret handles highlighted; never parsed as markup."""
    out = Text(safe(text), style=style)
    out.highlight_regex(HANDLE_RE, STYLE_SECRET)
    return out


def render_preview(preview: Mapping[str, Any] | Any) -> RenderableType:
    """The rich rendering of a Preview (or its JSON form); falls back to its text on odd data."""
    raw = preview.to_json() if hasattr(preview, "to_json") else preview
    if not isinstance(raw, Mapping):
        return plain(str(raw))
    kind = raw.get("kind")
    data = raw.get("data")
    text = str(raw.get("text") or "")
    renderer = _RENDERERS.get(kind) if isinstance(kind, str) else None
    if renderer is not None and isinstance(data, Mapping):
        try:
            return renderer(data, text)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # a tool's data in an unexpected shape: the plain text is always honest
    if kind == "diff" or _looks_like_diff(text):
        return diff_text(text)
    return plain(text)


# -- http -----------------------------------------------------------------------------------------


def render_http(data: Mapping[str, Any], text: str) -> RenderableType:
    method = safe(data.get("method", "?"))
    head = Text()
    head.append(f" {method} ", style=f"reverse {STYLE_METHOD.get(method, 'bold yellow')}")
    head.append(" ")
    head.append_text(plain(str(data.get("url", ""))))
    parts: list[RenderableType] = [head]
    addresses = data.get("addresses") or []
    host = safe(f"{data.get('host', '')}:{data.get('port', '')}")
    if addresses:
        parts.append(
            Text(f"{host} → {', '.join(safe(a) for a in addresses)} (pinned)", style=STYLE_DIM)
        )
    if data.get("private"):
        parts.append(Text(f"PRIVATE ADDRESS: {safe(data['private'])}", style=STYLE_WARN))
    headers = data.get("headers") or []
    if headers:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for pair in headers[:60]:
            name, value = (list(pair) + ["", ""])[:2]
            table.add_row(Text(safe(name, 60) + ":"), plain(str(value)))
        parts.append(Text("Headers", style=STYLE_DIM))
        parts.append(table)
    body = data.get("body")
    if body is not None:
        kind = safe(data.get("body_kind") or "text")
        parts.append(Text(f"Body ({kind})", style=STYLE_DIM))
        body_text = plain(safe(body, MAX_BODY_CHARS))
        if kind == "json":
            JSONHighlighter().highlight(body_text)
        parts.append(body_text)
    save = data.get("save_to")
    if isinstance(save, Mapping):
        mode = "overwrites it" if save.get("exists") else "creates it"
        parts.append(Text(f"Saves the response body to {safe(save.get('path', '?'))} ({mode})"))
    reasons = data.get("write_reasons") or []
    if reasons:
        parts.append(Text("Why this is a write: " + safe("; ".join(map(str, reasons))), "yellow"))
    effect = data.get("effect")
    if effect == "write" or data.get("undoable") is False and effect != "read":
        parts.append(Text("HTTP requests cannot be undone.", style=STYLE_WARN))
    elif effect == "egress":
        parts.append(Text(f"First request to {host} in this session.", style="blue"))
    return Group(*parts)


# -- diffs ----------------------------------------------------------------------------------------


def diff_text(diff: str, limit: int = MAX_DIFF_LINES) -> Text:
    """A unified diff, colored line by line (escaped first)."""
    out = Text()
    lines = safe(diff).splitlines()
    for line in lines[:limit]:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = STYLE_HUNK
        elif line.startswith("+"):
            style = STYLE_ADD
        elif line.startswith("-"):
            style = STYLE_DEL
        elif line.startswith(("\\", "[")):
            style = STYLE_DIM
        else:
            style = ""
        out.append(line + "\n", style=style)
    if len(lines) > limit:
        out.append(f"… {len(lines) - limit} more diff lines\n", style=STYLE_DIM)
    out.rstrip()
    return out


def _looks_like_diff(text: str) -> bool:
    return "\n@@ " in text or text.startswith("--- ")


def render_diff(data: Mapping[str, Any], text: str) -> RenderableType:
    files = data.get("files")
    if (
        not isinstance(files, Sequence)
        or not files
        or not all(isinstance(f, Mapping) for f in files)
    ):
        return diff_text(text)  # restore's preview: the unified diffs are in the text
    parts: list[RenderableType] = []
    for entry in files:
        if entry.get("diff") == "rows":
            parts.append(row_diff(entry))
        elif isinstance(entry.get("diff"), str):
            parts.append(Text(safe(entry.get("path", "?")), style="bold"))
            parts.append(diff_text(entry["diff"]))
        else:
            return diff_text(text)
    return Group(*parts)


def counts_line(counts: Mapping[str, Any]) -> Text:
    """csv_write's counts: "+3 added  -1 removed  ~2 changed (4 cells)  10 rows after"."""
    out = Text()
    for key, mark, style in (
        ("added", "+", STYLE_ADD),
        ("removed", "-", STYLE_DEL),
        ("changed", "~", "yellow"),
    ):
        n = counts.get(key) or 0
        if n:
            out.append(f"{mark}{n:,} {key}  ", style=style)
    cells = counts.get("cells_changed") or 0
    if cells:
        out.append(f"({present.plural(cells, 'cell')})  ", style="yellow")
    if counts.get("unchanged"):
        out.append(f"{counts['unchanged']:,} unchanged  ", style=STYLE_DIM)
    if counts.get("rows_after") is not None:
        out.append(f"{present.plural(counts['rows_after'], 'row')} after", style=STYLE_DIM)
    if counts.get("header_changed"):
        out.append("  header changed", style="yellow")
    out.rstrip()
    return out


def row_diff(entry: Mapping[str, Any]) -> RenderableType:
    """csv_write's row/cell diff: added rows green, removed red, changed cells old → new."""
    mode = safe(entry.get("mode", "write"))
    title = Text()
    title.append(f"{mode} ", style="bold yellow")
    title.append(safe(entry.get("path", "?")), style="bold")
    parts: list[RenderableType] = [title, counts_line(entry.get("counts") or {})]
    header = [safe(c, MAX_CELL) for c in (entry.get("header") or [])][:MAX_TABLE_COLUMNS]
    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("row", justify="right", style=STYLE_DIM, no_wrap=True)
    for name in header:
        table.add_column(Text(name), overflow="ellipsis", max_width=MAX_CELL)
    changes = list(entry.get("changes") or [])
    for change in changes[:MAX_TABLE_ROWS]:
        op = change.get("op")
        row = str(change.get("row", ""))
        if op in ("add", "remove"):
            cells = change.get("new" if op == "add" else "old") or []
            style = STYLE_ADD if op == "add" else STYLE_DEL
            mark = "+" if op == "add" else "-"
            shown = [Text(safe(c, MAX_CELL), style=style) for c in cells[: len(header)]]
            table.add_row(Text(mark, style=style), row, *_pad(shown, len(header)))
        else:
            by_column = {str(c.get("column")): c for c in change.get("cells") or []}
            base = change.get("new") or change.get("old") or []
            shown = []
            for i, name in enumerate(header):
                cell = by_column.get(name)
                if cell is not None:
                    t = Text(safe(cell.get("old", ""), MAX_CELL), style=f"{STYLE_DEL} strike")
                    t.append(" → ")
                    t.append(safe(cell.get("new", ""), MAX_CELL), style=STYLE_ADD)
                    shown.append(t)
                else:
                    shown.append(Text(safe(base[i], MAX_CELL) if i < len(base) else "", STYLE_DIM))
            label = "header" if op == "header" else row
            table.add_row(Text("~", style="yellow"), label, *shown)
    parts.append(table)
    hidden = max(0, len(changes) - MAX_TABLE_ROWS) + int(entry.get("more_changes") or 0)
    if hidden:
        parts.append(
            Text(f"… and {hidden:,} more changed {present.noun(hidden, 'row')}", STYLE_DIM)
        )
    columns = len(entry.get("header") or [])
    if columns > MAX_TABLE_COLUMNS:
        more = present.plural(columns - MAX_TABLE_COLUMNS, "more column", "more columns")
        parts.append(Text(f"({more} not shown)", STYLE_DIM))
    if entry.get("neutralised"):
        parts.append(
            Text(
                f"! {present.plural(entry['neutralised'], 'cell')} {present.noun(entry['neutralised'], 'starts', 'start')} with = + - @ tab or CR and get a leading '",
                style=STYLE_WARN,
            )
        )
    for note in entry.get("notes") or []:
        parts.append(Text(f"! {safe(note)}", style=STYLE_WARN))
    return Group(*parts)


def _pad(cells: list[Text], width: int) -> list[Text]:
    return cells + [Text("")] * (width - len(cells))


# -- shell ----------------------------------------------------------------------------------------


def render_shell(data: Mapping[str, Any], text: str) -> RenderableType:
    head = Text("$ ", style="bold")
    head.append_text(plain(str(data.get("command", ""))))
    parts: list[RenderableType] = [head]
    stages = data.get("stages") or []
    if stages:
        parsed = Text("parsed: ", style=STYLE_DIM)
        for i, argv in enumerate(stages):
            if i:
                parsed.append(" | ", style="bold")
            parsed.append(" ".join(repr(safe(a)) for a in argv))
        parts.append(parsed)
    redirect = data.get("redirect")
    if isinstance(redirect, Mapping):
        verb = "appended to" if redirect.get("append") else "written to"
        parts.append(Text(f"output {verb} {safe(redirect.get('path', '?'))}", style=STYLE_DIM))
    reads = data.get("reads")
    if reads:
        parts.append(Text("reads: " + ", ".join(safe(p) for p in reads), style=STYLE_DIM))
    changes = data.get("changes") or []
    if changes:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column()
        table.add_column(style=STYLE_DIM)
        for ch in changes:
            verb = safe(ch.get("action", "?"))
            table.add_row(
                Text(verb, style=VERB_STYLE.get(verb, "yellow")),
                Text(safe(ch.get("path", "?"))),
                Text(present.size_change(ch.get("size_before"), ch.get("size_after"))),
            )
        parts.append(Text(f"touches {present.plural(len(changes), 'path')}:"))
        parts.append(table)
        for ch in changes:
            if isinstance(ch.get("diff"), str):
                parts.append(diff_text(ch["diff"]))
            elif ch.get("note"):
                parts.append(Text(f"{safe(ch.get('path', '?'))}: {safe(ch['note'])}", STYLE_DIM))
    elif not reads:
        parts.append(Text("no file would change", style=STYLE_DIM))
    for message in data.get("messages") or []:
        parts.append(Text(f"! {safe(message)}", style=STYLE_WARN))
    return Group(*parts)


# -- table and text -------------------------------------------------------------------------------


def render_table(data: Mapping[str, Any], text: str) -> RenderableType:
    columns = [safe(c, MAX_CELL) for c in data["columns"]][:MAX_TABLE_COLUMNS]
    table = Table(header_style="bold", box=None, padding=(0, 1))
    for name in columns:
        table.add_column(Text(name), overflow="ellipsis", max_width=MAX_CELL)
    rows = list(data["rows"])
    for row in rows[:MAX_TABLE_ROWS]:
        table.add_row(*_pad([Text(safe(c, MAX_CELL)) for c in row[: len(columns)]], len(columns)))
    parts: list[RenderableType] = [table]
    if len(rows) > MAX_TABLE_ROWS:
        more = present.plural(len(rows) - MAX_TABLE_ROWS, "more row", "more rows")
        parts.append(Text(f"… {more}", style=STYLE_DIM))
    return Group(*parts)


def render_text(data: Mapping[str, Any], text: str) -> RenderableType:
    parts: list[RenderableType] = [plain(text)]
    sql = data.get("sql")
    if isinstance(sql, str) and sql not in text:
        parts.append(plain(sql, STYLE_DIM))
    return Group(*parts)


def arguments_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Text:
    """The edit a person made to an action's arguments, as a unified diff of pretty JSON."""
    import difflib

    def lines(value: Mapping[str, Any]) -> list[str]:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).split(
            "\n"
        )

    diff = difflib.unified_diff(
        lines(old), lines(new), "arguments (before)", "arguments (edited)", lineterm=""
    )
    return diff_text("\n".join(diff))


_RENDERERS = {
    "http": render_http,
    "diff": render_diff,
    "shell": render_shell,
    "table": render_table,
    "text": render_text,
}
