"""A scrollable view of many rich Text lines, wrapped to its width and drawn only where visible,
so a preview of 100,000 rows scrolls as easily as one of ten and its last line is always
reachable (the confirm pane and the full-preview screen both use it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineView(ScrollView, can_focus=False):
    """Lines of Text; long lines wrap (nothing is cut at the right edge). Its owner binds the
    keys that scroll it (without animation); the mouse wheel works too. ``visible_lines`` says
    what is on screen now."""

    DEFAULT_CSS = """
    LineView {
        height: auto;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;  /* no horizontal bar (lines wrap); Textual would reserve a row */
    }
    """

    def __init__(self, lines: Sequence[Text] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source: list[Text] = []
        self._rows: list[Text | Strip] = []
        """One entry per screen row: a Text that fits the width (drawn when seen) or a Strip
        already cut from a longer line by wrapping."""
        self._wrapped_at = -1
        self._strips: dict[int, Strip] = {}
        self.set_lines(lines)

    # -- content ----------------------------------------------------------------------------------

    def set_lines(self, lines: Sequence[Text]) -> None:
        """Show ``lines`` from the top. A Text holding line breaks is split; tabs are expanded."""
        source: list[Text] = []
        for item in lines:
            parts = item.split("\n", allow_blank=True) if "\n" in item.plain else [item]
            for part in parts:
                if "\t" in part.plain:
                    part = part.copy()
                    part.expand_tabs(4)
                source.append(part)
        self._source = source
        self._wrapped_at = -1
        if self.is_attached:
            self._rewrap(self._wrap_width(self.size.width))
            self._scroll_update(self.virtual_size)  # the scrollbar, even when no size changes
            self.scroll_to(0, 0, animate=False, immediate=True)
            self.refresh(layout=True)

    @property
    def line_count(self) -> int:
        """Rows as wrapped at the current width."""
        return len(self._rows)

    def _wrap_width(self, width: int) -> int:
        return max(1, width - self.styles.scrollbar_size_vertical)

    def _render_console(self) -> Console:
        try:
            return self.app.console
        except Exception:  # not mounted yet: any console renders plain segments alike
            return Console(width=80, color_system=None)

    def _rewrap(self, width: int) -> bool:
        """Wrap the source lines at ``width``; False when they already were."""
        if width == self._wrapped_at:
            return False
        self._wrapped_at = width
        self._strips.clear()
        rows: list[Text | Strip] = []
        console = None
        for text in self._source:
            if text.cell_len <= width:
                rows.append(text)
                continue
            if console is None:
                console = self._render_console()
            options = console.options.update(width=width, no_wrap=False, overflow="fold")
            for segments in console.render_lines(text, options, pad=False):
                rows.append(Strip(segments))
        self._rows = rows
        self.virtual_size = Size(width, len(rows))
        return True

    # -- layout and drawing -----------------------------------------------------------------------

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._rewrap(self._wrap_width(width))
        return len(self._rows)

    def on_resize(self) -> None:
        if self._rewrap(self._wrap_width(self.size.width)):
            # The size was already applied before this event, with the old virtual size;
            # Textual would only re-check the scrollbars on the next change of size.
            self._scroll_update(self.virtual_size)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, style)
        strip = self._strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)

    def _strip(self, index: int) -> Strip:
        row = self._rows[index]
        if isinstance(row, Strip):
            return row
        cached = self._strips.get(index)
        if cached is None:
            segments = list(row.render(self._render_console()))
            cached = Strip(Segment.simplify(segments), row.cell_len)
            if len(self._strips) > 4096:
                self._strips.clear()
            self._strips[index] = cached
        return cached

    # -- what a person sees -----------------------------------------------------------------------

    def visible_lines(self) -> list[str]:
        """The plain text of the rows on screen now (trailing spaces cut)."""
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        return [self.row_text(i) for i in range(top, min(top + height, len(self._rows)))]

    def row_text(self, index: int) -> str:
        row = self._rows[index]
        return (row.text if isinstance(row, Strip) else row.plain).rstrip()

    @property
    def at_end(self) -> bool:
        """True when the last row is on screen."""
        return self.scroll_offset.y + self.scrollable_content_region.height >= len(self._rows)
