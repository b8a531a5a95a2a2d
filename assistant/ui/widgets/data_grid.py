"""The data grid: a tool's table result as a DataTable, one page at a time, sortable, copyable,
and saved as CSV through the gate (a proposed csv_write, never a direct write).

Only one page is held: the next one is read again through the screen's ``run_tool`` (the chat's:
a read through the gate, journaled like any call) or sliced from rows already held (a JSON
array). Sorting orders the whole result: rows held are sorted here; a bigger CSV result is read
again with the order applied by the tool (csv_query's DuckDB), and paging keeps that order. A
screen without ``run_tool`` (the replay) shows what the journal kept: there a result bigger than
its stored page can only have that page sorted, and the counts line says so.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from assistant import present
from assistant.ui import grid_data as gd
from assistant.ui.widgets.grid_actions import GridActions, ToolRunner, runner_of
from assistant.ui.widgets.preview import safe

CELL_CHARS = 120
"""Characters of a cell shown in the table (a copy takes the whole cell)."""


class DataGrid(GridActions, Vertical, can_focus=False):
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
        sorted_by: gd.Order | None = None,
        offset: int | None = None,
        column: int = 0,
        **kwargs: Any,
    ) -> None:
        """``sorted_by``, ``offset``, ``column``: the order, page and cursor column to show
        (kept from the card)."""
        super().__init__(**kwargs)
        self._column = column
        self.data = data
        self._runner = runner
        self.full = full
        self.set_class(full, "-full")
        self.page_offset = data.offset
        self.page_rows: list[list[Any]] = self._held_page(data.offset, None) or []
        self.sorted_by: gd.Order | None = None
        """(column index, descending) of the order the rows shown are in."""
        self.sort_whole = False
        """Whether ``sorted_by`` orders the whole result (False: only the page shown)."""
        self._sorted: tuple[gd.Order, list[list[Any]]] | None = None
        self._pending: gd.Order | None = None
        self._to_read: tuple[int, gd.Order | None] | None = None
        self._reads = 0
        self.problem = ""
        self.loading = False
        self.title = title
        """What the table came from (the full screen's heading)."""
        start = data.offset if offset is None else offset
        if sorted_by is not None and not self.can_sort_whole():
            self._sort_page(sorted_by)
        elif sorted_by is not None or start != data.offset:
            held = self._held_page(start, sorted_by)
            if held is None:
                self._to_read = (start, sorted_by)
            else:
                self._set_page(start, held, sorted_by)

    def compose(self) -> ComposeResult:
        yield Static(self.counts_text(), classes="grid-counts")
        table: DataTable[Text] = DataTable(cursor_type="cell", zebra_stripes=True)
        yield table
        yield Static(self.keys_text(), classes="grid-keys")

    def on_mount(self) -> None:
        table = self.table
        for index, name in enumerate(self.data.columns):
            table.add_column(Text(safe(name, 60), style="bold"), key=str(index))
        table.move_cursor(column=self._column, animate=False)
        self._fill()
        if self._to_read is not None:
            self._read_page(*self._to_read)
            self._to_read = None

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
        """ "312 rows · 6 columns · rows 51-100 · sorted by total ▼" (the whole result), or
        "… sorted by total ▼ (this page)" where only the page shown could be sorted."""
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
            scope = "" if self.sort_whole else " (this page)"
            parts.append(f"sorted by {self.order_words(self.sorted_by)}{scope}")
        line = Text(" · ".join(parts))
        if self.loading:
            pending = self._pending
            doing = "reading…"
            if pending is not None and pending != self.sorted_by:
                doing = f"sorting by {self.order_words(pending)}…"
            line.append(f" · {doing}", style="bold")
        if self.problem:
            line.append(f" · {self.problem}", style="bold red")
        return line

    def keys_text(self) -> Text:
        more = self._can_page(1) or self._can_page(-1)
        save = "w save as CSV (in this order)…" if self._save_order() else "w save as CSV…"
        keys = f"s sort · c copy cell · C copy row · {save}"
        if more:
            keys += " · ] next page · [ previous page"
        elif not self.data.in_memory and self.runner is None:
            keys += " · the journal keeps this page only"
        if not self.full:
            keys += " · f full screen"
        return Text(keys)

    # -- paging -----------------------------------------------------------------------------------

    def _held_page(self, offset: int, order: gd.Order | None) -> list[list[Any]] | None:
        """Rows ``offset``.. in ``order`` from what the result holds, or None when they must be
        read again."""
        data = self.data
        size = data.page_size()
        if data.in_memory:
            rows = data.rows if order is None else self._sorted_rows(order)
            start = offset - data.offset
            return rows[start : start + size] if 0 <= start <= len(rows) else None
        return data.rows[:size] if order is None and offset == data.offset else None

    def _sorted_rows(self, order: gd.Order) -> list[list[Any]]:
        """Every row held, in ``order`` (sorted once per order)."""
        if self._sorted is None or self._sorted[0] != order:
            self._sorted = (order, gd.sort_held(self.data, self.data.rows, order))
        return self._sorted[1]

    @property
    def runner(self) -> ToolRunner | None:
        """Who runs page reads and the save: given (the full-screen grid), else the screen."""
        return self._runner if self._runner is not None else runner_of(self)

    def can_sort_whole(self) -> bool:
        """Every row is held, or the tool can be asked for the result in another order."""
        data = self.data
        return data.in_memory or (self.runner is not None and data.tool in gd.CSV_TOOLS)

    def _page_order(self) -> gd.Order | None:
        """The order the next page is read in: the whole result's, if it is sorted."""
        return self.sorted_by if self.sort_whole else None

    def _can_page(self, direction: int) -> bool:
        data = self.data
        offset = self.page_offset + direction * data.page_size()
        if offset < 0 or (data.total is not None and offset >= data.total):
            return False
        if direction > 0 and data.total is None and len(self.page_rows) < data.page_size():
            return False
        if self.sorted_by is not None and not self.sort_whole:
            return False  # a page sorted on its own has no next page in that order
        held = self._held_page(offset, self._page_order())
        return held is not None or (self.runner is not None and data.tool in gd.CSV_TOOLS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Page keys only where there is a page to go to; no "full screen" on the full screen."""
        if action == "page" and parameters:
            direction = parameters[0]
            return True if isinstance(direction, int) and self._can_page(direction) else None
        if action == "full":
            return not self.full
        return True

    def action_page(self, direction: int) -> None:
        """Show the next or previous page (in the order shown); in a card, a page that must be
        read again opens the full-screen grid first (the read's own card then joins the chat
        behind it)."""
        if self.loading or not self._can_page(direction):
            self.app.bell()
            return
        self.go_to(self.page_offset + direction * self.data.page_size(), self._page_order())

    def go_to(self, offset: int, order: gd.Order | None = None) -> None:
        """Show the page at ``offset`` in ``order`` over the whole result: from the rows held,
        else read again (on the full screen: a card opens it first)."""
        held = self._held_page(offset, order)
        if held is not None:
            self._set_page(offset, held, order)
            self._fill()
        elif not self.full:
            self._open_full(offset, order)
        else:
            self._read_page(offset, order)

    @work(exclusive=True, group="grid-page", exit_on_error=False)
    async def _read_page(self, offset: int, order: gd.Order | None) -> None:
        """The page read again through the gate (a read: it runs without asking); with an
        order, the tool sorts the whole result and returns this page of it."""
        what = "could not sort" if order is not None else "the page could not be read"
        call = gd.page_call(self.data, offset, order)
        runner = self.runner
        worker = (
            runner.run_tool(*call, follow=False)
            if call is not None and runner is not None
            else None
        )
        if worker is None:
            self.problem = f"{what}: nothing here can read it again"
            self._refresh_lines()
            return
        self._reads += 1
        mine = self._reads
        self.loading, self._pending, self.problem = True, order, ""
        self._refresh_lines()
        try:
            outcome = await worker.wait()
        except Exception as exc:  # the worker's own handler reports it; the grid says so too
            outcome, self.problem = None, f"{what}: {type(exc).__name__}"
        finally:
            if mine == self._reads:  # not a read a newer one replaced (that one is loading)
                self.loading, self._pending = False, None
        result = getattr(outcome, "result", None)
        data = getattr(result, "data", None)
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            text = getattr(outcome, "text", "") or self.problem or "no rows came back"
            reason = present.first_line(str(text)).removeprefix("error: ")
            self.problem = safe(reason if reason.startswith(what) else f"{what}: {reason}", 120)
            self._refresh_lines()
            return
        self._set_page(offset, self._fit(rows[: gd.PAGE]), order)
        self._fill()

    def _fit(self, rows: list[Any]) -> list[list[Any]]:
        """Rows as wide as the header (a changed file may not be)."""
        width = len(self.data.columns)
        fitted = [list(r) if isinstance(r, list) else [r] for r in rows]
        return [(r + [None] * width)[:width] for r in fitted]

    def _set_page(self, offset: int, rows: list[list[Any]], order: gd.Order | None) -> None:
        self.page_offset, self.page_rows, self.problem = offset, rows, ""
        self.sorted_by, self.sort_whole = order, order is not None

    # -- sorting ----------------------------------------------------------------------------------

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_index)

    def action_sort(self) -> None:
        self.sort_by(self.table.cursor_coordinate.column)

    def sort_by(self, column: int) -> None:
        """Sort by ``column``: ascending, then descending on the same column again. The whole
        result is sorted and page 1 shown, where the rows are held or the tool can sort them;
        otherwise (the replay of a bigger result) only this page."""
        if not 0 <= column < len(self.data.columns):
            return
        current = self._pending if self.loading and self._pending else self.sorted_by
        order = (column, current == (column, False))
        if self.can_sort_whole():
            self.go_to(0, order)
        else:
            self._sort_page(order)
            self._fill()

    def _sort_page(self, order: gd.Order) -> None:
        """Sort only the rows shown (nothing can give the rest in this order)."""
        base = self._held_page(self.page_offset, None) or self.page_rows
        self.page_rows = gd.sort_held(self.data, base, order)
        self.sorted_by, self.sort_whole = order, False

    def action_full(self) -> None:
        if not self.full:
            self._open_full(self.page_offset, self.sorted_by)

    def _open_full(self, offset: int, order: gd.Order | None) -> None:
        from assistant.ui.screens.grid_screen import GridScreen

        column = order[0] if order is not None else self.table.cursor_coordinate.column
        screen = GridScreen(
            self.data,
            runner=self.runner,
            title=self.title,
            offset=offset,
            sorted_by=order,
            column=column,
        )
        self.app.push_screen(screen)
