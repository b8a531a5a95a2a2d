"""The history screen: every session, newest first, one page at a time, with search and filters.

The table holds one page (``page_size`` rows) at most: moving past its last or first row loads
the next or previous page from the journal, so 10,000 sessions cost what 100 do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from assistant import present
from assistant.journal import Journal, JournalError, SessionInfo
from assistant.ui.screens.history_filters import FilterDialog, ListFilter
from assistant.ui.screens.replay import ReplayScreen
from assistant.ui.screens.session_actions import ResumeSession, now_local, start_export
from assistant.ui.widgets.preview import safe

PAGE_SIZE = 100
COLUMNS = (
    ("when", 12),
    ("first prompt", 0),  # takes the width the others leave
    ("model", 14),
    ("acts", 4),
    ("wr", 3),
    ("den", 3),
    ("err", 3),
    ("cost", 8),
)
TITLE_MIN, TITLE_MAX = 20, 100
NARROW = 96
"""Below this many columns the model column goes, so the first prompt and the cost stay
readable at 80x24."""


def columns(screen_width: int) -> tuple[tuple[str, int], ...]:
    """The columns that fit ``screen_width``: the model's is dropped on a narrow terminal."""
    if screen_width < NARROW:
        return tuple(c for c in COLUMNS if c[0] != "model")
    return COLUMNS


def title_width(screen_width: int) -> int:
    """The first prompt's column: what the fixed columns leave of the screen, within bounds."""
    shown = columns(screen_width)
    others = sum(width for _, width in shown) + 2 * len(shown) + 2  # cell padding, scrollbar
    return max(TITLE_MIN, min(TITLE_MAX, screen_width - others))


# -- cells ----------------------------------------------------------------------------------------


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _count(n: int, style: str = "") -> Text:
    return Text(str(n), style=style if n else "dim", justify="right")


def row_cells(
    info: SessionInfo, now: datetime, width: int = 46, *, model: bool = True
) -> tuple[Text, ...]:
    """One session as table cells; every value escaped and kept out of markup. ``model``:
    whether the table has the model column (see :func:`columns`)."""
    title = safe(" ".join((info.title or "(no prompt)").split()))
    model_name = safe((info.model or "–").rsplit("/", 1)[-1])
    return (
        Text(present.when(info.updated_at, now)),
        Text(_cut(title, width), style="" if info.title else "dim"),
        *([Text(_cut(model_name, 14))] if model else []),
        _count(info.n_actions),
        _count(info.n_writes, "dark_orange"),
        _count(info.n_denied, "red"),
        _count(info.n_errors, "red"),
        Text(present.session_cost(info), justify="right"),
    )


# -- widgets --------------------------------------------------------------------------------------


class SessionTable(DataTable[Text]):
    """The page of sessions; moving past either edge asks the screen for the next page."""

    class Edge(Message):
        """The cursor tried to leave the page: ``direction`` +1 (below) or -1 (above)."""

        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.Edge(+1))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.Edge(-1))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.Edge(+1))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.Edge(-1))
        else:
            super().action_page_up()


# -- the screen -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page as the loader read it: rows, where they start, and the filtered total."""

    rows: list[SessionInfo]
    offset: int
    total: int
    cursor: int
    error: str = ""
    generation: int = 0


class HistoryScreen(Screen[None]):
    """Sessions, most recently active first; enter replays one."""

    CSS_PATH = "history.tcss"
    AUTO_FOCUS = "#history-table"

    BINDINGS = [
        Binding("slash", "search", "search"),
        Binding("f", "filters", "filters"),
        Binding("x", "export", "export"),
        Binding("r", "resume", "resume"),
        Binding("ctrl+home", "first_page", "first page", priority=True),
        Binding("ctrl+end", "last_page", "last page", priority=True),
        Binding("escape", "back", "back"),
    ]

    class Loaded(Message):
        """A page has been painted (tests and the bench wait for this)."""

        def __init__(self, page: Page) -> None:
            super().__init__()
            self.page = page

    def __init__(
        self,
        journal: Journal,
        *,
        now: Callable[[], datetime] = now_local,
        page_size: int = PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        """``now`` sets "today" and the time zone shown (tests freeze it)."""
        super().__init__(**kwargs)
        self.journal = journal
        self.now = now
        self.page_size = max(1, page_size)
        self.filter = ListFilter()
        self.page_offset = 0
        self.total: int | None = None
        self.error = ""
        self._generation = 0
        self._page: Page | None = None
        self._title_width = title_width(120)  # until the first resize says the real width
        self._columns = columns(120)

    def compose(self) -> ComposeResult:
        yield Static("History  ·  loading…", id="history-head")
        yield Static(self.filter.describe(), id="history-filters")
        yield Input(
            placeholder="search prompts, replies and tool output; enter to search",
            id="history-search",
        )
        table = SessionTable(id="history-table", cursor_type="row", zebra_stripes=True)
        self._add_columns(table)
        yield table
        yield Static(
            "enter open  / search  f filters  x export  r resume  pgup/pgdn page  esc back",
            id="history-keys",
        )

    def _add_columns(self, table: SessionTable) -> None:
        for label, width in self._columns:
            table.add_column(label, width=width or self._title_width, key=label)

    def on_resize(self) -> None:
        """Give the first prompt the width there is; redraw the page if that changed."""
        width = title_width(self.size.width)
        shown = columns(self.size.width)
        if width != self._title_width or shown != self._columns:
            self._title_width = width
            self._columns = shown
            table = self.table
            cursor = table.cursor_row
            table.clear(columns=True)
            self._add_columns(table)
            if self._page is not None:
                self._paint_page(self._page, cursor)

    @property
    def table(self) -> SessionTable:
        return self.query_one("#history-table", SessionTable)

    def on_mount(self) -> None:
        self.reload()

    # -- loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Count and show the first page again (after a filter or search change)."""
        self.total = None
        self.fetch(0, 0)

    def fetch(self, offset: int, cursor: int) -> None:
        """Load the page at ``offset``, cursor on row ``cursor`` (-1: the last row)."""
        self._generation += 1
        self._load(self._generation, self.filter, self.total, offset, cursor)

    @work(thread=True, exclusive=True, group="history-page", exit_on_error=False)
    def _load(
        self, generation: int, flt: ListFilter, total: int | None, offset: int, cursor: int
    ) -> None:
        """Read one page (and the total when unknown) off the UI thread; never more rows."""
        kwargs = flt.kwargs()
        try:
            if total is None:
                total = self.journal.count_sessions(**kwargs)
            if offset >= total > 0:  # past the end: rows removed since, or a stale request
                offset = (total - 1) // self.page_size * self.page_size
            rows = self.journal.sessions(limit=self.page_size, offset=max(0, offset), **kwargs)
            page = Page(rows, max(0, offset), total, cursor, generation=generation)
        except JournalError as exc:
            page = Page([], 0, 0, 0, str(exc), generation=generation)
        except Exception as exc:  # a bug must not leave the list saying "loading…" forever
            page = Page([], 0, 0, 0, f"{type(exc).__name__}: {exc}", generation=generation)
        self.app.call_from_thread(self._show, page)

    def _show(self, page: Page) -> None:
        if page.generation != self._generation:
            return  # a newer request (filter, search, page) has been made since
        self.error = page.error
        if not page.error:
            self.page_offset, self.total = page.offset, page.total
        self._page = page
        self._paint_page(page, page.cursor)
        self.query_one("#history-head", Static).update(self.head_text(len(page.rows)))
        self.query_one("#history-filters", Static).update(self.filter.describe())
        self.post_message(self.Loaded(page))

    def _paint_page(self, page: Page, cursor: int) -> None:
        table = self.table
        table.clear()
        if page.error:
            return
        now = self.now()
        for info in page.rows:
            cells = row_cells(
                info, now, self._title_width, model=len(self._columns) == len(COLUMNS)
            )
            table.add_row(*cells, key=info.id)
        if page.rows:
            cursor = cursor if cursor >= 0 else len(page.rows) - 1
            table.move_cursor(row=min(cursor, len(page.rows) - 1), animate=False)

    def head_text(self, shown: int) -> Text:
        head = Text("History", style="bold")
        if self.error:
            head.append(f"  ·  {safe(self.error, 200)}", style="bold red")
            return head
        total = self.total or 0
        head.append(f"  ·  {present.plural(total, 'session')}")
        if shown and total > shown:
            head.append(f"  ·  {self.page_offset + 1:,}–{self.page_offset + shown:,}", style="dim")
        if not total:
            head.append(
                "  ·  nothing matches" if self._filtered() else "  ·  none yet", style="dim"
            )
        return head

    def _filtered(self) -> bool:
        return self.filter != ListFilter()

    @on(SessionTable.Edge)
    def _edge(self, event: SessionTable.Edge) -> None:
        total = self.total or 0
        if event.direction > 0 and self.page_offset + self.page_size < total:
            self.fetch(self.page_offset + self.page_size, 0)
        elif event.direction < 0 and self.page_offset > 0:
            self.fetch(max(0, self.page_offset - self.page_size), -1)

    def action_first_page(self) -> None:
        self.fetch(0, 0)

    def action_last_page(self) -> None:
        total = self.total or 0
        if total:
            self.fetch((total - 1) // self.page_size * self.page_size, -1)

    # -- search and filters -----------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#history-search", Input)
        search.add_class("-open")
        search.focus()

    @on(Input.Submitted, "#history-search")
    def _search(self, event: Input.Submitted) -> None:
        text = event.value.strip()[:500] or None
        self.set_filter(dataclasses.replace(self.filter, query=text))
        if not text:
            event.input.remove_class("-open")
        self.table.focus()

    def set_filter(self, new: ListFilter) -> None:
        """Apply new filters (a search too) and show their first page."""
        self.filter = new
        self.reload()

    def action_filters(self) -> None:
        def chosen(result: ListFilter | None) -> None:
            if result is not None:
                self.set_filter(result)

        self.app.push_screen(FilterDialog(self.filter), chosen)

    # -- rows -------------------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if isinstance(key, str) else None

    @on(DataTable.RowSelected, "#history-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.row_key.value, str):
            self.app.push_screen(ReplayScreen(self.journal, event.row_key.value, now=self.now))

    def action_export(self) -> None:
        session_id = self.selected_id()
        if session_id:
            start_export(self, self.journal, session_id)

    def action_resume(self) -> None:
        session_id = self.selected_id()
        if session_id:
            self.post_message(ResumeSession(session_id))

    def action_back(self) -> None:
        search = self.query_one("#history-search", Input)
        if search.has_focus:
            search.value = ""
            search.remove_class("-open")
            self.table.focus()
            if self.filter.query:
                self.set_filter(dataclasses.replace(self.filter, query=None))
            return
        self.dismiss()
