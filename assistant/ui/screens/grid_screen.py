"""The data grid on a screen of its own (more rows, the same keys), and the save-as dialog."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from assistant.ui.grid_data import GridData, Order
from assistant.ui.widgets.data_grid import DataGrid
from assistant.ui.widgets.grid_actions import ToolRunner
from assistant.ui.widgets.preview import safe


class GridScreen(Screen[None]):
    """One table, full screen; Esc goes back. Page reads and the save go to ``runner``."""

    CSS_PATH = "grid.tcss"
    AUTO_FOCUS = "DataTable"
    BINDINGS = [Binding("escape", "back", "back")]

    def __init__(
        self,
        data: GridData,
        *,
        runner: ToolRunner | None,
        title: str = "",
        offset: int | None = None,
        sorted_by: Order | None = None,
        column: int = 0,
    ) -> None:
        super().__init__()
        self.column = column
        self.sorted_by = sorted_by
        self.data = data
        self.runner = runner
        self.title_text = title
        self.start_offset = offset

    @property
    def grid(self) -> DataGrid:
        return self.query_one(DataGrid)

    def compose(self) -> ComposeResult:
        yield Static(
            Text(safe(self.title_text or self.data.tool, 200), style="bold"), id="grid-title"
        )
        yield DataGrid(
            self.data,
            full=True,
            runner=self.runner,
            title=self.title_text,
            sorted_by=self.sorted_by,
            offset=self.start_offset,
            column=self.column,
        )
        yield Static("esc back", id="grid-back")

    def action_back(self) -> None:
        self.dismiss()


class SaveAsScreen(ModalScreen[str | None]):
    """The workspace-relative path to save a table as; Enter proposes the write, Esc cancels."""

    CSS_PATH = "grid.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, suggested: str, order: str = "") -> None:
        """``order``: how the rows are sorted ("sorted by total ▼, as shown"), if they are."""
        super().__init__()
        self.suggested = suggested
        self.order = order

    def compose(self) -> ComposeResult:
        with Vertical(classes="save-dialog"):
            heading = "Save the whole table as CSV"
            yield Static(Text(f"{heading}, {self.order}" if self.order else heading, style="bold"))
            yield Input(self.suggested, id="save-path", placeholder="path in the workspace")
            yield Static(
                Text(
                    "Enter: propose a csv_write (created, never overwritten; you approve it in "
                    "the pane) · Esc: cancel",
                    style="dim",
                )
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
