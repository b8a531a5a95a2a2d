"""The full preview of one waiting action on a screen of its own: every line the pane has, with
the whole terminal to read it in. Esc goes back to the pane, where the person decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from assistant import present
from assistant.ui.widgets.line_view import LineView
from assistant.ui.widgets.preview import safe

if TYPE_CHECKING:
    from assistant.ui.widgets.preview_lines import PreviewLines
    from tools.base import Action


class FullPreviewScreen(ModalScreen[None]):
    """Scroll with the arrows, PgUp/PgDn, Home/End or the mouse; Esc (or f, q) closes."""

    CSS_PATH = "preview_screen.tcss"
    BINDINGS = [
        Binding("escape,f,q", "close", "back to the pane"),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(0)", show=False),
        Binding("end", "edge(1)", show=False),
    ]

    def __init__(self, action: Action, lines: PreviewLines, position: tuple[int, int]) -> None:
        super().__init__()
        self.action = action
        self.lines = lines
        self.position = position

    def compose(self) -> ComposeResult:
        action = self.action
        tag = present.effect_tag(action.effect.value)
        n, total = self.position
        head = Text(f"Full preview · action {n} of {total} · {tag} · ", style="bold")
        head.append(safe(action.tool, 30))
        head.append("\n")
        head.append(safe(action.summary))
        if self.lines.cuts:
            head.append("\nSummarised by the tool: " + "; ".join(self.lines.cuts) + ".", "yellow")
        yield Static(head, id="full-head")
        yield LineView(self.lines.lines, id="full-lines")
        keys = Text()
        keys.append("↑↓ PgUp PgDn Home End", style="bold")
        keys.append(" scroll   ")
        keys.append("Esc", style="bold")
        keys.append(" back to the pane, to decide")
        yield Static(keys, id="full-keys")

    @property
    def view(self) -> LineView:
        """The scrollable lines (tests read what is on screen through it)."""
        return self.query_one("#full-lines", LineView)

    def action_close(self) -> None:
        self.dismiss(None)

    # Scrolling is immediate, not animated: a person pressing End sees the end at once.
    def action_scroll(self, lines: int) -> None:
        self.view.scroll_relative(y=lines, animate=False, immediate=True)

    def action_page(self, direction: int) -> None:
        page = max(1, self.view.scrollable_content_region.height - 1)
        self.view.scroll_relative(y=direction * page, animate=False, immediate=True)

    def action_edge(self, end: int) -> None:
        if end:
            self.view.scroll_end(animate=False, immediate=True)
        else:
            self.view.scroll_home(animate=False, immediate=True)
