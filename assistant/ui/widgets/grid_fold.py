"""A card's result fold that holds a data grid, built when first opened."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from assistant import present
from assistant.ui import grid_data as gd
from assistant.ui.widgets.action_card import Fold
from assistant.ui.widgets.data_grid import DataGrid

if TYPE_CHECKING:
    from assistant.agent import events as ev


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
