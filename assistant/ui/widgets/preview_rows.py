"""csv_write's row/cell diff as display lines, every cell whole: columns are aligned, a cell
longer than its column runs on (never cut), and when the tool listed only its first changes the
rows in the action's arguments (what will be written) follow in full."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from assistant import present
from assistant.ui.widgets.preview import (
    STYLE_ADD,
    STYLE_DEL,
    STYLE_DIM,
    STYLE_WARN,
    counts_line,
    safe,
)

ALIGN_CAP = 24
"""Columns are padded to their widest cell up to this; a longer cell runs on, uncut."""
ARROW = " → "


def cell(value: Any) -> str:
    """A cell as one safe line: line breaks and tabs shown escaped, nothing cut."""
    if isinstance(value, str) and value.isprintable():
        return value  # the usual case: nothing to escape (isprintable is False for controls,
        # bidi and zero-width characters, line breaks and tabs)
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    return safe(text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t"))


def _widths(rows: Sequence[Sequence[str]], columns: int) -> list[int]:
    widths = [0] * columns
    for row in rows:
        for i, value in enumerate(row[:columns]):
            n = len(value)
            if n > widths[i]:
                widths[i] = min(n, ALIGN_CAP)
    return widths


def _row_line(
    prefix: Text, label: str, label_width: int, cells: Sequence[Text], widths: Sequence[int]
) -> Text:
    out = Text()
    out.append_text(prefix)  # the prefix's style stays its own, not the whole line's
    out.append(label.rjust(label_width), style=STYLE_DIM)
    for value, width in zip(cells, widths, strict=False):
        out.append("  ")
        out.append_text(value)
        if value.cell_len < width:
            out.append(" " * (width - value.cell_len))
    out.rstrip()
    return out


def aligned_rows(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    numbered: bool = True,
    style: str = "",
) -> list[Text]:
    """A header line and one line per row, columns aligned, every cell and column shown.
    Plain strings joined per row: 100,000 rows take a fraction of a second."""
    names = [cell(h) for h in header]
    shown = [[cell(v) for v in row] for row in rows]
    columns = max([len(names)] + [len(r) for r in shown])
    names += [""] * (columns - len(names))
    widths = _widths([names, *shown], columns)
    label_width = len(f"{len(rows):,}") if numbered else 0

    def joined(label: str, values: Sequence[str]) -> str:
        padded = [v.ljust(w) for v, w in zip(values, widths, strict=False)]
        return (label.rjust(label_width) + "  " + "  ".join(padded)).rstrip()

    lines = [Text(joined("#" if numbered else "", names), style="bold")]
    for n, row in enumerate(shown, 1):
        lines.append(Text(joined(f"{n:,}" if numbered else "", row), style=style))
    return lines


def _change_cells(change: Mapping[str, Any], header: Sequence[str]) -> tuple[str, list[Text]]:
    """(mark, cells) for one change of csv_write's diff."""
    op = change.get("op")
    if op in ("add", "remove"):
        values = change.get("new" if op == "add" else "old") or []
        style = STYLE_ADD if op == "add" else STYLE_DEL
        cells = [Text(cell(v), style=style) for v in values]
        return ("+" if op == "add" else "-"), cells
    by_column = {str(c.get("column")): c for c in change.get("cells") or []}
    base = change.get("new") or change.get("old") or []
    columns = max(len(header), len(base))
    cells = []
    for i in range(columns):
        name = header[i] if i < len(header) else ""
        changed = by_column.pop(name, None) if name else None
        if changed is not None:
            cells.append(_cell_change(changed))
        else:
            cells.append(Text(cell(base[i]) if i < len(base) else "", style=STYLE_DIM))
    for rest in by_column.values():  # a cell under a column the header no longer names
        named = Text()
        named.append(f"{cell(rest.get('column', '?'))}: ", style=STYLE_DIM)
        cells.append(named + _cell_change(rest))
    return "~", cells


def _cell_change(change: Mapping[str, Any]) -> Text:
    """old → new, the old struck out in red, the new in green (the arrow plain)."""
    out = Text()
    out.append(cell(change.get("old", "")), style=f"{STYLE_DEL} strike")
    out.append(ARROW)
    out.append(cell(change.get("new", "")), style=STYLE_ADD)
    return out


def row_diff_lines(
    entry: Mapping[str, Any], args: Mapping[str, Any]
) -> tuple[list[Text], list[str]]:
    """(lines, cuts) for one csv_write file entry; ``args`` are the action's arguments."""
    mode = safe(entry.get("mode", "write"))
    title = Text()
    title.append(f"{mode} ", style="bold yellow")
    title.append(safe(entry.get("path", "?")), style="bold")
    lines = [title, counts_line(entry.get("counts") or {})]
    header = [str(c) for c in entry.get("header") or []]
    changes = list(entry.get("changes") or [])
    if not all(isinstance(c, Mapping) for c in changes):
        raise ValueError("a change that is not an object")  # the caller shows the text
    marked = [_change_cells(c, header) for c in changes]
    labels = ["header" if c.get("op") == "header" else f"{c.get('row', '')}" for c in changes]
    label_width = max([3] + [len(x) for x in labels])
    plain_rows = [[c.plain for c in cells] for _, cells in marked]
    names = [cell(h) for h in header]
    columns = max([len(names)] + [len(r) for r in plain_rows])
    widths = _widths([names + [""] * (columns - len(names)), *plain_rows], columns)
    head = [Text(n, style="bold") for n in names]
    lines.append(_row_line(Text("  "), "row", label_width, head, widths))
    for (mark, cells), label in zip(marked, labels, strict=True):
        style = {"+": STYLE_ADD, "-": STYLE_DEL}.get(mark, "yellow")
        lines.append(_row_line(Text(mark + " ", style=style), label, label_width, cells, widths))
    cuts: list[str] = []
    hidden = int(entry.get("more_changes") or 0)
    if hidden:
        total = len(changes) + hidden
        lines.append(
            Text(f"… and {hidden:,} more changed rows, not listed by the tool", style=STYLE_WARN)
        )
        rows = args.get("rows")
        if isinstance(rows, list) and rows and all(isinstance(r, list) for r in rows):
            cuts.append(
                f"csv_write listed {len(changes):,} of {present.plural(total, 'changed row')}; "
                "every row of "
                "the arguments follows"
            )
            lines.append(Text(""))
            lines.append(
                Text(
                    f"Every row in the arguments: {present.plural(len(rows) - 1, 'data row')} "
                    "under the header "
                    "row, as sent (numbered from 1)",
                    style="bold",
                )
            )
            lines.extend(aligned_rows(rows[0], rows[1:]))
        else:
            cuts.append(
                f"csv_write listed {len(changes):,} of {present.plural(total, 'changed row')}; "
                "the other "
                f"{hidden:,} come from its query and are not in the preview"
            )
    if entry.get("neutralised"):
        lines.append(
            Text(
                f"! {present.plural(entry['neutralised'], 'cell')} "
                f"{present.noun(entry['neutralised'], 'starts', 'start')} with = + - @ tab or CR"
                " and are written "
                "with a leading '",
                style=STYLE_WARN,
            )
        )
    for note in entry.get("notes") or []:
        lines.append(Text(f"! {safe(note)}", style=STYLE_WARN))
    return lines, cuts
