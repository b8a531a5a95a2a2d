"""The history list's filters: what narrows the list, its one-line description, and the dialog
that edits them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from assistant.ui.widgets.preview import safe


@dataclass(frozen=True)
class ListFilter:
    """What narrows the list; the fields are Journal.sessions' keyword arguments."""

    has_writes: bool = False
    has_denials: bool = False
    has_errors: bool = False
    tool: str | None = None
    host: str | None = None
    file: str | None = None
    query: str | None = None
    manual: bool = False
    """Only sessions with work done by hand (/tool, `assistant tool`)."""

    def kwargs(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def active(self) -> list[str]:
        """The filters that are on, in words ("[writes]", "tool:csv_write"); the search aside."""
        out = [
            f"[{label}]"
            for label, on_ in (
                ("writes", self.has_writes),
                ("denied", self.has_denials),
                ("errors", self.has_errors),
                ("by hand", self.manual),
            )
            if on_
        ]
        out += [
            f"{label}:{safe(value, 30)}"
            for label, value in (("tool", self.tool), ("host", self.host), ("file", self.file))
            if value
        ]
        return out

    def describe(self) -> Text:
        """The filter bar: the search and only the filters that are on, so it reads the same
        without colour; "no filters" when none is."""
        out = Text()
        if self.query:
            out.append("search: ", style="dim")
            out.append(f"«{safe(self.query, 40)}»", style="bold")
            out.append("  ")
        active = self.active()
        if active:
            out.append("filters on: ", style="dim")
            out.append(" ".join(active), style="bold")
            out.append("  · f to change", style="dim")
        else:
            out.append("no filters", style="dim")
            out.append(
                " · f filters by writes, denials, errors, by hand, tool, host or file", style="dim"
            )
        return out


class FilterCheck(Checkbox, inherit_bindings=False):
    """A checkbox that space toggles and enter leaves to the dialog (enter applies)."""

    BINDINGS = [Binding("space", "toggle_button", "toggle", show=False)]


class FilterDialog(ModalScreen[ListFilter | None]):
    """Edit the list filters; enter applies (from any field or box), esc cancels, "clear" drops
    them all (the search text is kept: it has its own box)."""

    CSS_PATH = "history.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "cancel", priority=True),
        Binding("enter", "apply", "apply"),
    ]

    def __init__(self, current: ListFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical(id="filter-box"):
            yield Label(
                Text.assemble(
                    ("Filter sessions", "bold"),
                    ("   space toggles · enter applies · esc cancels", "dim"),
                ),
                classes="filter-title",
            )
            with Horizontal(classes="filter-checks"):
                yield FilterCheck("has writes", c.has_writes, id="f-writes")
                yield FilterCheck("has denials", c.has_denials, id="f-denials")
                yield FilterCheck("has errors", c.has_errors, id="f-errors")
                yield FilterCheck("by hand", c.manual, id="f-manual")
            for name, value, hint in (
                ("tool", c.tool, "e.g. csv_write"),
                ("host", c.host, "e.g. api.example.com"),
                ("file", c.file, "a file or a folder, e.g. data/"),
            ):
                with Horizontal(classes="filter-field"):
                    yield Label(name)
                    yield Input(value or "", placeholder=hint, id=f"f-{name}")
            with Horizontal(classes="filter-buttons"):
                yield Button("Apply", variant="primary", id="f-apply")
                yield Button("Clear", id="f-clear")
                yield Button("Cancel", id="f-cancel")

    def chosen(self) -> ListFilter:
        def text(widget_id: str) -> str | None:
            value = self.query_one(widget_id, Input).value.strip()
            return value[:500] or None

        return ListFilter(
            has_writes=self.query_one("#f-writes", Checkbox).value,
            has_denials=self.query_one("#f-denials", Checkbox).value,
            has_errors=self.query_one("#f-errors", Checkbox).value,
            tool=text("#f-tool"),
            host=text("#f-host"),
            file=text("#f-file"),
            query=self.current.query,
            manual=self.query_one("#f-manual", Checkbox).value,
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#f-apply")
    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#f-clear")
    def clear(self) -> None:
        self.dismiss(ListFilter(query=self.current.query))

    @on(Button.Pressed, "#f-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
