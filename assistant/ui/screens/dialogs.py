"""Small modal dialogs: the JSON editor for an action's arguments and the masked key input."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from assistant.ui.widgets.preview import safe


class EditArgsScreen(ModalScreen[dict[str, Any] | None]):
    """Edit an action's arguments as JSON; Ctrl+S re-plans (the new preview is shown before
    anything can run), Esc cancels. Invalid JSON or a non-object stays here with the error."""

    CSS_PATH = "dialogs.tcss"
    # priority: the TextArea takes Esc for itself (it moves focus when Tab indents), and Esc here
    # must always cancel the edit, unapplied.
    BINDINGS = [
        Binding("ctrl+s", "save", "re-plan"),
        Binding("escape", "cancel", "cancel", priority=True),
    ]

    def __init__(self, tool: str, args: dict[str, Any]) -> None:
        super().__init__()
        self.tool = tool
        self.original = json.dumps(args, indent=2, ensure_ascii=False, default=str)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog edit"):
            yield Static(Text(f"Edit the arguments of {safe(self.tool)}", style="bold"))
            yield TextArea(self.original, id="args", soft_wrap=True, tab_behavior="indent")
            yield Static("", id="error", classes="error")
            yield Static(Text("Ctrl+S re-plan and preview again   Esc cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#args", TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one("#args", TextArea).text
        error = self.query_one("#error", Static)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            error.update(Text(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"))
            return
        if not isinstance(value, dict):
            error.update(Text("the arguments must be a JSON object { ... }"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SecretInputScreen(ModalScreen[str | None]):
    """A masked input for one secret value (`/keys set NAME`); Enter stores, Esc cancels."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel", priority=True)]

    def __init__(self, name: str, note: str = "") -> None:
        super().__init__()
        self.secret_name = name
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Static(Text(f"Value for {safe(self.secret_name)}", style="bold"))
            yield Input(password=True, id="secret", placeholder="paste the value; it is not shown")
            yield Static(Text(self.note, style="dim"))

    def on_mount(self) -> None:
        self.query_one("#secret", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
