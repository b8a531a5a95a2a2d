"""The status line: app name, workspace, model, tokens, cost (or "unknown"), session id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from assistant import present
from assistant.ui.widgets.preview import safe


def short_path(path: str) -> str:
    home = str(Path.home())
    return "~" + path[len(home) :] if path == home or path.startswith(home + "/") else path


class StatusLine(Static):
    """One line at the top; ``update_status`` repaints it from the session's figures."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.model = "no model (manual mode)"
        self.workspace = ""
        self.session = ""
        self.tokens = 0
        self.cost: float | None = 0.0
        self.state = ""

    def update_status(self, **values: Any) -> None:
        for key, value in values.items():
            setattr(self, key, value)
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, justify="right")
        left = Text()
        left.append("live-assistant", style="bold")
        left.append("  " + safe(short_path(self.workspace)), style="dim")
        if self.state:
            left.append("  " + self.state, style="bold cyan")
        right = Text(
            " · ".join(
                [
                    safe(self.model, 60),
                    present.tokens(self.tokens),
                    present.cost(self.cost) if self.cost is not None else "cost unknown",
                    f"s:{self.session[:8]}" if self.session else "no session",
                ]
            )
        )
        grid.add_row(left, right)
        self.update(grid)
