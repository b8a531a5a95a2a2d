"""The activity line: a spinner and a few words while the app waits on something the person
cannot see (the session opening, MCP servers starting, the model library loading, the model
thinking, a back-off before a retry). Hidden the rest of the time, so it costs no row when
nothing is waited for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from assistant import present
from assistant.agent import events as ev
from assistant.present import LOADING, THINKING  # the words the CLI says too

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK = 0.1
"""Seconds per spinner frame (a countdown is recomputed on each)."""
OPENING = "starting the session… your message is sent the moment it is open"


class Activity(Static):
    """One line above the prompt. ``show`` starts it (with a countdown when ``seconds`` is
    given), ``hide`` stops it; ``words`` is what it says now, without the spinner."""

    DEFAULT_CSS = """
    Activity { height: 1; margin: 0 1; padding: 0 1; color: $text-muted; display: none; }
    Activity.-on { display: block; }
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.clock = clock
        self.state = ""
        """"" when hidden, else opening, starting, loading, thinking or retrying."""
        self._text = ""
        self._reason = ""
        self._until: float | None = None
        self._frame = 0
        self._timer: Timer | None = None
        self.spin = True
        """False keeps the first frame and stops the ticks (snapshots need a still picture)."""

    @property
    def words(self) -> str:
        """What the line says now (a countdown as it stands)."""
        if self._until is None:
            return self._text
        return present.retrying(max(0.0, self._until - self.clock()), self._reason)

    def show(self, state: str, text: str = "", *, seconds: float | None = None) -> None:
        """Say ``text`` (for a countdown, ``text`` is the reason and ``seconds`` the wait)."""
        self.state = state
        if seconds is None:
            self._text, self._reason, self._until = text, "", None
        else:
            self._text, self._reason, self._until = "", text, self.clock() + seconds
        self.add_class("-on")
        if self._timer is None and self.spin:
            self._timer = self.set_interval(TICK, self._tick)
        self._paint()

    def hide(self) -> None:
        self.state = ""
        self._until = None
        self.remove_class("-on")
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def follow(self, event: ev.Event) -> None:
        """Show what a turn's event says is being waited for, or hide once something arrives
        (text, an action, the end of the turn)."""
        if isinstance(event, ev.UserMessage | ev.TurnUsage):
            return  # the turn starting, its bookkeeping: still waiting
        if not isinstance(event, ev.TurnWait):
            if self.state in ("starting", "loading", "thinking", "retrying"):
                self.hide()
            return
        if event.state == "starting":
            self.show("starting", event.reason)
        elif event.state == "retrying":
            self.show("retrying", event.reason, seconds=event.seconds)
        elif event.state == "loading":
            self.show("loading", LOADING)
        else:
            self.show("thinking", THINKING)

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(FRAMES)
        # one line of fixed height: a new frame needs no layout pass over the screen (ten a
        # second while litellm loads at launch, each pass would take from the import)
        self._paint(layout=False)

    def _paint(self, *, layout: bool = True) -> None:
        line = Text(FRAMES[self._frame] + " ", style="bold cyan")
        line.append(self.words)
        self.update(line, layout=layout)
