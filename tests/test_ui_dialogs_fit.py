"""Every dialog fits its box at 80x24 and 120x40: no line of words, box or button passes the edge
of the panel that holds it (the history's filter dialog once cut "esc cancels" at every size).
The dialogs are shown as the app shows them, with their longest words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widget import Widget

from assistant.config import Settings
from assistant.ui.screens.dialogs import EditArgsScreen, SecretInputScreen
from assistant.ui.screens.grid_screen import SaveAsScreen
from assistant.ui.screens.history_filters import FilterDialog, ListFilter
from assistant.ui.screens.recipe_live import LiveExportDialog
from assistant.ui.screens.session_actions import ExportDialog
from assistant.ui.screens.setup import SetupScreen
from tests.support.history_app import HostApp, demo_journal, settle

SIZES = [(80, 24), (120, 40)]
NAMES = ["edit", "secret", "save-as", "export", "filters", "live-export", "setup"]


def crossing(screen: Screen[Any]) -> list[str]:
    """Widgets whose right edge passes their parent's content edge (a parent that scrolls
    sideways may hold wider children)."""
    out = []
    for widget in screen.walk_children(Widget):
        parent = widget.parent
        if not isinstance(parent, Widget) or parent is screen or not widget.display:
            continue
        if isinstance(parent, ScrollableContainer) and parent.show_horizontal_scrollbar:
            continue
        if widget.region.width and widget.region.right > parent.content_region.right:
            out.append(f"{widget!r} ends at {widget.region.right}, {parent!r} at "
                       f"{parent.content_region.right}")  # fmt: skip
    return out


def dialogs(tmp_path: Path) -> dict[str, Callable[[], Screen[Any]]]:
    journal, ids = demo_journal(tmp_path / "journal.sqlite3")
    long_args = {"path": "out/" + "x" * 60 + ".csv", "mode": "create", "rows": [["a"], ["1"]]}
    made: dict[str, Callable[[], Screen[Any]]] = {
        "edit": lambda: EditArgsScreen("csv_write", long_args),
        "secret": lambda: SecretInputScreen("SHOP_API_TOKEN", "kept in: the system keyring"),
        "save-as": lambda: SaveAsScreen("orders_by_customer.csv", "sorted by total ▼, as shown"),
        "export": ExportDialog,
        "filters": lambda: FilterDialog(ListFilter(has_writes=True, host="api.example.com")),
        "live-export": lambda: LiveExportDialog(journal, ids[0]),
        "setup": lambda: SetupScreen(Settings(), probe=no_servers),
    }
    assert sorted(made) == sorted(NAMES)
    return made


async def no_servers() -> list[Any]:
    return []


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize("name", NAMES)
async def test_a_dialog_fits_its_box(tmp_path: Path, name: str, size: tuple[int, int]) -> None:
    app = HostApp(dialogs(tmp_path)[name])
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ != "Screen"  # the dialog is up
        assert crossing(screen) == []
