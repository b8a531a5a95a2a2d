"""The prompt: a multi-line input where Enter sends, Ctrl+J (or Shift/Alt+Enter) adds a line,
and Up/Down at the first/last line walk the history of what was sent."""

from __future__ import annotations

from typing import Any

from textual import events
from textual._time import get_time  # the clock Textual stamps events with
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

SEND_KEY = "enter"
NEWLINE_KEY = "ctrl+j"
"""The new-line key a terminal always sends (a line feed); the others below only where the
terminal tells Shift/Alt/Ctrl+Enter apart from Enter."""
NEWLINE_KEYS = frozenset({NEWLINE_KEY, "shift+enter", "alt+enter", "ctrl+enter"})
MAX_HISTORY = 500


class PromptInput(TextArea):
    """Multi-line prompt with history. Posts :class:`PromptInput.Submitted` on Enter."""

    DEFAULT_CSS = """
    PromptInput { height: auto; max-height: 10; min-height: 3; border: tall $panel-lighten-2; }
    PromptInput:focus { border: tall $accent; }
    """

    class Submitted(Message):
        """The person sent ``text`` (already stripped, never empty)."""

        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

        @property
        def control(self) -> PromptInput:
            return self.prompt

    KEYS_HELP = (
        Binding(SEND_KEY, "submit", "send"),
        Binding(NEWLINE_KEY, "newline", "new line"),
        Binding("up,down", "history", "earlier prompts"),
    )
    """The keys the prompt handles in ``_on_key`` (not bindings), described for /help."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "placeholder", "Ask, or type / for commands (Enter sends, Ctrl+J new line)"
        )
        super().__init__(soft_wrap=True, tab_behavior="focus", show_line_numbers=False, **kwargs)
        self.sent: list[str] = []
        self._index: int | None = None
        """Position in history while walking it; None when editing a fresh prompt."""
        self._draft = ""
        self._shown_at: float | None = None
        """When the prompt was first on screen; None until then."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._mark_shown)

    def _mark_shown(self) -> None:
        self._shown_at = get_time()

    def typed_unseen(self, event: events.Key) -> bool:
        """True for a key made before the prompt was on screen: typed at launch, while the
        terminal still turned Enter into a line feed (it arrives as ctrl+j), so nobody could
        have meant it as a new line in a prompt they had not seen."""
        return self._shown_at is None or event.time < self._shown_at

    async def _on_key(self, event: events.Key) -> None:
        if event.key == SEND_KEY or (event.key == NEWLINE_KEY and self.typed_unseen(event)):
            event.stop()
            event.prevent_default()
            self.submit()
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)

    def submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
            del self.sent[:-MAX_HISTORY]
        self._index = None
        self._draft = ""
        self.load_text("")
        self.post_message(self.Submitted(self, text))

    def action_cursor_up(self, select: bool = False) -> None:
        if select or not self.cursor_at_first_line or not self.sent:
            super().action_cursor_up(select)
            return
        if self._index is None:
            self._draft = self.text
            self._index = len(self.sent)
        if self._index > 0:
            self._index -= 1
            self._show(self.sent[self._index])

    def action_cursor_down(self, select: bool = False) -> None:
        if select or not self.cursor_at_last_line or self._index is None:
            super().action_cursor_down(select)
            return
        self._index += 1
        if self._index >= len(self.sent):
            self._index = None
            self._show(self._draft)
        else:
            self._show(self.sent[self._index])

    def _show(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)
