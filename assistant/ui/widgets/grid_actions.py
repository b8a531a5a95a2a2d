"""What takes rows out of the data grid: copying a cell or a row to the clipboard, and saving
the whole table as CSV through the gate (a proposed csv_write, never a direct write)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any, Protocol

from assistant import present
from assistant.ui import grid_data as gd
from assistant.ui.widgets.preview import safe

if TYPE_CHECKING:
    from rich.text import Text
    from textual.widget import Widget
    from textual.widgets import DataTable
    from textual.worker import Worker

    _Mixin = Widget
else:
    _Mixin = object


class ToolRunner(Protocol):
    """A screen that runs a tool through the gate (the chat's SlashCommands.run_tool)."""

    def run_tool(
        self, tool: str, args: dict[str, Any], *, follow: bool = True
    ) -> Worker[Any] | None: ...


def runner_of(widget: Any) -> ToolRunner | None:
    """The widget's screen when it runs tools through the gate (the chat), else None."""
    try:
        screen = widget.screen
    except Exception:  # not mounted (yet): no screen to ask
        return None
    return screen if callable(getattr(screen, "run_tool", None)) else None


class GridActions(_Mixin):
    """The copy and save actions of DataGrid (which holds the page, its order and its runner):
    a mixin, not a widget of its own."""

    data: gd.GridData
    page_rows: list[list[Any]]
    page_offset: int
    sorted_by: gd.Order | None
    sort_whole: bool

    @property
    def table(self) -> DataTable[Text]:
        raise NotImplementedError

    @property
    def runner(self) -> ToolRunner | None:
        raise NotImplementedError

    def order_words(self, order: gd.Order) -> str:
        """ "total ▼": a column and a direction, as the counts line says it."""
        column, descending = order
        return f"{safe(self.data.columns[column], 40)} {'▼' if descending else '▲'}"

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

    def _save_order(self) -> gd.Order | None:
        """The order a save writes the rows in: the whole result's as shown, if it is sorted."""
        return self.sorted_by if self.sort_whole else None

    def action_save(self) -> None:
        """Ask for a path, then propose a csv_write of the whole result, in the order shown when
        the whole result is sorted: the confirm pane shows it like any write (nothing is written
        here)."""
        from assistant.ui.screens.grid_screen import GridScreen, SaveAsScreen

        runner = self.runner
        if runner is None:
            self.app.notify(
                "the replay runs nothing: save this table from the chat", severity="warning"
            )
            return
        order = self._save_order()

        def chosen(path: str | None) -> None:
            if not path:
                return
            if isinstance(self.screen, GridScreen):
                self.screen.dismiss()  # back to the chat, where the pane asks
            runner.run_tool("csv_write", gd.save_args(self.data, path, order))
            self.app.notify(
                f"proposed: save as {safe(path, 80)} (review it in the pane)", markup=False
            )

        words = f"sorted by {self.order_words(order)}, as shown" if order else ""
        self.app.push_screen(SaveAsScreen(gd.default_name(self.data), words), chosen)
