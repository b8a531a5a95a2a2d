"""Pilot steps the data grid tests share: the grid a command's result shows, and its rows as
the screen has them."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from assistant.ui.widgets.data_grid import DataGrid
from tests.support.pilot import send, wait_for


def table_rows(grid: DataGrid) -> list[list[str]]:
    """The rows on screen, cell by cell as text ("" for an empty cell, as the file has it)."""
    table = grid.table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def first_grid(pilot: Pilot[Any]) -> DataGrid:
    """The first grid in the app, once one is there."""
    app = pilot.app
    await wait_for(pilot, lambda: app.query(DataGrid), "a grid")
    await pilot.pause()
    return app.query(DataGrid).first()


async def grid_for(pilot: Pilot[Any], command: str) -> DataGrid:
    """Send ``command`` (a manual read: it runs without asking) and return the grid it shows."""
    await send(pilot, command)
    return await first_grid(pilot)
