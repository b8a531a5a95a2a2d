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
        self.update(self.line(self.size.width or 120))

    def on_resize(self) -> None:
        self.update(self.line(self.size.width))

    def line(self, width: int) -> Table:
        """The line for ``width`` cells: the state ("working…", "waiting for you") is never cut;
        when room runs short the workspace is cut first, then the figures get terser, then the
        session id and the app's name go."""
        room = max(20, width - 2)  # padding
        cost = present.cost(self.cost) if self.cost is not None else "cost unknown"
        model = safe(self.model, 60)
        session = f"s:{self.session[:8]}" if self.session else "no session"
        short_model = safe(self.model.rsplit("/", 1)[-1], 24)
        short_cost = cost if self.cost is not None else "cost ?"
        tokens = present.tokens(self.tokens)
        name = "live-assistant"
        state = "  " + self.state if self.state else ""
        for name_, figures in (
            (name, [model, tokens, cost, session]),
            (name, [short_model, tokens, short_cost, session]),
            (name, [short_model, tokens, short_cost]),
            ("", [short_model, tokens, short_cost]),
            ("", [short_model, short_cost]),
        ):
            right = " · ".join(figures)
            if len(name_) + len(state) + len(right) + 4 <= room:
                break
        grid = Table.grid(expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, justify="right")
        left = Text()
        left.append(name_, style="bold")
        if self.state:
            left.append(state.lstrip() if not name_ else state, style="bold cyan")
        workspace = Text("  " + safe(short_path(self.workspace)), style="dim")
        grid.add_row(left, workspace, Text(" " + right))
        return grid
