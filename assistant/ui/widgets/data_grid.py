"""The data grid: a tool's table result as a DataTable, one page at a time, sortable, copyable,
and saved as CSV through the gate (a proposed csv_write, never a direct write).

Only one page is held: the next one is read again through the screen's ``run_tool`` (the chat's:
a read through the gate, journaled like any call) or sliced from rows already held (a JSON
array). A screen without ``run_tool`` (the replay) shows what the journal kept.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from assistant import present
from assistant.ui import grid_data as gd
from assistant.ui.widgets.action_card import Fold
from assistant.ui.widgets.preview import safe

if TYPE_CHECKING:
    from textual.worker import Worker

    from assistant.agent import events as ev

CELL_CHARS = 120
"""Characters of a cell shown in the table (a copy takes the whole cell)."""


class ToolRunner(Protocol):
    """A screen that runs a tool through the gate (the chat's SlashCommands.run_tool)."""

    def run_tool(self, tool: str, args: dict[str, Any]) -> Worker[Any] | None: ...


def runner_of(widget: Any) -> ToolRunner | None:
    """The widget's screen when it runs tools through the gate (the chat), else None."""
    try:
        screen = widget.screen
    except Exception:  # not mounted (yet): no screen to ask
        return None
    return screen if callable(getattr(screen, "run_tool", None)) else None


class DataGrid(Vertical, can_focus=False):
    """One page of a table, its counts, and the keys that act on it."""

    DEFAULT_CSS = """
    DataGrid { height: auto; }
    DataGrid > .grid-counts { height: 1; color: $text-muted; }
    DataGrid > DataTable { height: auto; max-height: 14; }
    DataGrid.-full > DataTable { height: 1fr; max-height: 100%; }
    DataGrid.-full { height: 1fr; }
    DataGrid > .grid-keys { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("s", "sort", "sort"),
        Binding("c", "copy_cell", "copy cell"),
        Binding("C", "copy_row", "copy row"),
        Binding("w", "save", "save as CSV…"),
        Binding("right_square_bracket", "page(1)", "next page"),
        Binding("left_square_bracket", "page(-1)", "previous page"),
        Binding("f", "full", "full screen"),
    ]

    def __init__(
        self,
        data: gd.GridData,
        *,
        full: bool = False,
        runner: ToolRunner | None = None,
        title: str = "",
        sorted_by: tuple[int, bool] | None = None,
        **kwargs: Any,
    ) -> None:
        """``sorted_by``: (column, descending) to sort each page by (kept from the card)."""
        super().__init__(**kwargs)
        self.data = data
        self._runner = runner
        self.full = full
        self.set_class(full, "-full")
        self.page_offset = data.offset
        self.page_rows: list[list[Any]] = self._held_page(data.offset) or []
        self.sorted_by = sorted_by
        """(column index, descending) of the sort applied to this page."""
        if sorted_by is not None:
            self._sort_rows(*sorted_by)
        self.problem = ""
        self.loading = False
        self.title = title
        """What the table came from (the full screen's heading)."""

    def compose(self) -> ComposeResult:
        yield Static(self.counts_text(), classes="grid-counts")
        table: DataTable[Text] = DataTable(cursor_type="cell", zebra_stripes=True)
        yield table
        yield Static(self.keys_text(), classes="grid-keys")

    def on_mount(self) -> None:
        table = self.table
        for index, name in enumerate(self.data.columns):
            table.add_column(Text(safe(name, 60), style="bold"), key=str(index))
        self._fill()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(DataTable)

    # -- what is shown ----------------------------------------------------------------------------

    def _fill(self) -> None:
        """Put the page in the table; the cursor stays on its column (clear() would reset it)."""
        table = self.table
        where = table.cursor_coordinate
        table.clear()
        table.add_rows(
            [Text(safe(gd.cell_text(cell), CELL_CHARS)) for cell in row] for row in self.page_rows
        )
        if self.page_rows:
            row = min(where.row, len(self.page_rows) - 1)
            table.move_cursor(row=row, column=where.column, animate=False)
        self._refresh_lines()

    def _refresh_lines(self) -> None:
        if self.children:
            self.query_one(".grid-counts", Static).update(self.counts_text())
            self.query_one(".grid-keys", Static).update(self.keys_text())

    def counts_text(self) -> Text:
        """ "312 rows · 6 columns · rows 51-100 · sorted by total ▼ (this page)"."""
        data = self.data
        total = data.total
        rows = "? rows" if total is None else present.plural(total, "row")
        if total is not None and not data.exact:
            rows = f"at least {rows}"
        parts = [rows, present.plural(len(data.columns), "column")]
        if self.page_rows:
            first = self.page_offset + 1
            parts.append(f"rows {first}-{self.page_offset + len(self.page_rows)}")
        elif total == 0:
            parts.append("no rows")
        if self.sorted_by is not None:
            index, descending = self.sorted_by
            name = safe(data.columns[index], 40)
            parts.append(f"sorted by {name} {'▼' if descending else '▲'} (this page)")
        line = Text(" · ".join(parts))
        if self.loading:
            line.append(" · reading…", style="bold")
        if self.problem:
            line.append(f" · {self.problem}", style="bold red")
        return line

    def keys_text(self) -> Text:
        more = self._can_page(1) or self._can_page(-1)
        keys = "s sort · c copy cell · C copy row · w save as CSV…"
        if more:
            keys += " · ] next page · [ previous page"
        elif not self.data.in_memory and self.runner is None:
            keys += " · the journal keeps this page only"
        if not self.full:
            keys += " · f full screen"
        return Text(keys)

    # -- paging -----------------------------------------------------------------------------------

    def _held_page(self, offset: int) -> list[list[Any]] | None:
        """Rows ``offset``.. from what the result holds, or None when they must be read again."""
        data = self.data
        size = data.page_size()
        if data.in_memory:
            start = offset - data.offset
            return data.rows[start : start + size] if 0 <= start <= len(data.rows) else None
        return data.rows[:size] if offset == data.offset else None

    @property
    def runner(self) -> ToolRunner | None:
        """Who runs page reads and the save: given (the full-screen grid), else the screen."""
        return self._runner if self._runner is not None else runner_of(self)

    def _can_page(self, direction: int) -> bool:
        data = self.data
        offset = self.page_offset + direction * data.page_size()
        if offset < 0 or (data.total is not None and offset >= data.total):
            return False
        if direction > 0 and data.total is None and len(self.page_rows) < data.page_size():
            return False
        return self._held_page(offset) is not None or self.runner is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Page keys only where there is a page to go to; no "full screen" on the full screen."""
        if action == "page" and parameters:
            direction = parameters[0]
            return True if isinstance(direction, int) and self._can_page(direction) else None
        if action == "full":
            return not self.full
        return True

    def action_page(self, direction: int) -> None:
        """Show the next or previous page; in a card, a page that must be read again opens the
        full-screen grid first (the read's own card then joins the chat behind it)."""
        if self.loading or not self._can_page(direction):
            self.app.bell()
            return
        offset = self.page_offset + direction * self.data.page_size()
        held = self._held_page(offset)
        if held is not None:
            self._show_page(offset, held)
        elif not self.full:
            self._open_full(offset)
        else:
            self._read_page(offset)

    @work(exclusive=True, group="grid-page", exit_on_error=False)
    async def _read_page(self, offset: int) -> None:
        """The page read again through the gate (a read: it runs without asking)."""
        call = gd.page_call(self.data, offset)
        runner = self.runner
        worker = runner.run_tool(*call) if call is not None and runner is not None else None
        if worker is None:
            return
        self.loading, self.problem = True, ""
        self._refresh_lines()
        try:
            outcome = await worker.wait()
        except Exception as exc:  # the worker's own handler reports it; the grid says so too
            outcome, self.problem = None, f"the page could not be read: {type(exc).__name__}"
        self.loading = False
        result = getattr(outcome, "result", None)
        rows = getattr(result, "data", {}).get("rows") if result is not None else None
        if not isinstance(rows, list):
            text = getattr(outcome, "text", "") or self.problem or "no rows came back"
            self.problem = safe(present.first_line(text), 100)
            self._refresh_lines()
            return
        self._show_page(offset, [list(r) if isinstance(r, list) else [r] for r in rows][: gd.PAGE])

    def _show_page(self, offset: int, rows: list[list[Any]]) -> None:
        self.page_offset, self.page_rows, self.problem = offset, rows, ""
        if self.sorted_by is not None:
            self._sort_rows(*self.sorted_by)
        self._fill()

    # -- sorting ----------------------------------------------------------------------------------

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_index)

    def action_sort(self) -> None:
        self.sort_by(self.table.cursor_coordinate.column)

    def sort_by(self, column: int) -> None:
        """Sort this page by ``column``: ascending, then descending on the same column again."""
        if not 0 <= column < len(self.data.columns):
            return
        descending = self.sorted_by == (column, False)
        self.sorted_by = (column, descending)
        self._sort_rows(column, descending)
        self._fill()

    def _sort_rows(self, column: int, descending: bool) -> None:
        def key(row: list[Any]) -> tuple[int, float, str]:
            return gd.sort_key(row[column] if column < len(row) else None)

        self.page_rows.sort(key=key, reverse=descending)

    # -- copy and save ----------------------------------------------------------------------------

    def _cursor_row(self) -> list[Any] | None:
        row = self.table.cursor_coordinate.row
        return self.page_rows[row] if 0 <= row < len(self.page_rows) else None

    def action_copy_cell(self) -> None:
        row = self._cursor_row()
        column = self.table.cursor_coordinate.column
        if row is None or column >= len(row):
            return
        text = gd.cell_text(row[column])
        self.app.copy_to_clipboard(text)
        name = safe(self.data.columns[column], 40)
        self.app.notify(
            f"copied {name} ({present.plural(len(text), 'character')})", markup=False, timeout=3
        )

    def action_copy_row(self) -> None:
        row = self._cursor_row()
        if row is None:
            return
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(gd.as_rows([row])[0])
        self.app.copy_to_clipboard(out.getvalue())
        number = self.page_offset + self.table.cursor_coordinate.row + 1
        self.app.notify(f"copied row {number} as CSV", markup=False, timeout=3)

    def action_save(self) -> None:
        """Ask for a path, then propose a csv_write of the whole result: the confirm pane shows
        it like any write (nothing is written here)."""
        from assistant.ui.screens.grid_screen import GridScreen, SaveAsScreen

        runner = self.runner
        if runner is None:
            self.app.notify(
                "the replay runs nothing: save this table from the chat", severity="warning"
            )
            return

        def chosen(path: str | None) -> None:
            if not path:
                return
            if isinstance(self.screen, GridScreen):
                self.screen.dismiss()  # back to the chat, where the pane asks
            runner.run_tool("csv_write", gd.save_args(self.data, path))
            self.app.notify(
                f"proposed: save as {safe(path, 80)} (review it in the pane)", markup=False
            )

        self.app.push_screen(SaveAsScreen(gd.default_name(self.data)), chosen)

    def action_full(self) -> None:
        if not self.full:
            self._open_full(self.page_offset)

    def _open_full(self, offset: int) -> None:
        from assistant.ui.screens.grid_screen import GridScreen

        screen = GridScreen(
            self.data, runner=self.runner, title=self.title, offset=offset, sorted_by=self.sorted_by
        )
        self.app.push_screen(screen)

    def go_to(self, offset: int) -> None:
        """Show the page at ``offset`` (held, or read again)."""
        held = self._held_page(offset)
        if held is not None:
            self._show_page(offset, held)
        else:
            self._read_page(offset)


class GridFold(Fold):
    """A card's result fold that holds a DataGrid (built when first opened)."""

    DEFAULT_CSS = """
    GridFold > .grid-slot { display: none; height: auto; margin-left: 2; }
    GridFold.-open > .grid-slot { display: block; }
    """

    def __init__(
        self, label: str, data: gd.GridData, *, open_now: bool, title: str = "", **kwargs: Any
    ) -> None:
        super().__init__(label, lambda: "", **kwargs)
        self.data = data
        self.open_now = open_now
        self.title = title

    def compose(self) -> ComposeResult:
        yield Static(self._toggle_text(), classes="fold-toggle")
        yield Vertical(classes="grid-slot")

    def on_mount(self) -> None:
        if self.open_now:
            self.toggle()

    def toggle(self) -> None:
        """Open or close; the grid is built on the first open only."""
        self.open = not self.open
        if self.open and not self._built:
            self._built = True
            self.query_one(".grid-slot", Vertical).mount(DataGrid(self.data, title=self.title))
        self.set_class(self.open, "-open")
        self.query_one(".fold-toggle", Static).update(self._toggle_text())

    @property
    def grid(self) -> DataGrid | None:
        found = self.query(DataGrid)
        return found.first() if found else None


def grid_fold(proposed: ev.ActionProposed, result: ev.ActionResult) -> GridFold | None:
    """The result fold of a table result, open at once when the call was made by hand."""
    data = gd.grid_data(proposed, result)
    if data is None:
        return None
    total = data.total if data.total is not None else len(data.rows)
    label = f"result: table, {present.plural(total, 'row')} × {len(data.columns)}"
    by_hand = proposed.call_id is None and not gd.is_page_read(proposed.tool, proposed.args)
    title = f"{proposed.tool}  {proposed.summary}"
    return GridFold(label, data, open_now=by_hand, title=title, classes="card-result")
