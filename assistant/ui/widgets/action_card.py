"""ActionCard: one tool call in the conversation, from proposal to outcome, with folded details.

A card is driven only by the events the journal stores (proposed, decided, approved, result), so
a live session and a replayed one draw the same card. Tool and model text is escaped and kept in
``rich.text.Text``; the result and the preview are folded and scrollable, never dumped inline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Click
from textual.widgets import Static

from assistant import present
from assistant.ui.widgets.preview import render_preview, safe

if TYPE_CHECKING:
    from assistant.agent import events as ev

MAX_RESULT_CHARS = 100_000
"""Characters of a result kept for the fold (tools bound their own output well below this)."""

TAG_STYLES = {"read": "dim", "egress": "bold blue", "write": "bold dark_orange"}
"""How each effect's tag is drawn (the words are ``present.effect_tag``)."""
STATUS = {
    # status -> (icon, label, style)
    "proposed": ("○", "proposed", "dim"),
    "waiting": ("◉", "waiting for you", "bold dark_orange"),
    "approved": ("●", "approved", "green"),
    "edited": ("✎", "edited", "yellow"),
    "denied": ("⊘", "denied", "bold red"),
    "running": ("◌", "running", "cyan"),
    "done": ("✓", "done", "green"),
    "failed": ("✗", "failed", "bold red"),
    "unknown": ("?", "outcome unknown", "bold yellow"),
    "undecided": ("–", "not decided", "dim"),
}


class Fold(Vertical):
    """A one-line toggle over a scrollable body that is built only when first opened."""

    DEFAULT_CSS = """
    Fold { height: auto; }
    Fold > .fold-toggle { height: 1; color: $text-muted; }
    Fold > .fold-toggle:hover { color: $text; }
    Fold > VerticalScroll {
        height: auto; max-height: 16; display: none;
        border-left: tall $panel-lighten-2; padding: 0 1; margin-left: 2;
    }
    Fold.-open > VerticalScroll { display: block; }
    """

    def __init__(self, label: str, body: Callable[[], RenderableType], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label
        self._body = body
        self._built = False
        self.open = False

    def compose(self) -> ComposeResult:
        yield Static(self._toggle_text(), classes="fold-toggle")
        yield VerticalScroll(Static("", classes="fold-body"))

    def _toggle_text(self) -> Text:
        return Text(("▾ " if self.open else "▸ ") + self.label)

    def toggle(self) -> None:
        """Open or close; the body is rendered on the first open only."""
        self.open = not self.open
        if self.open and not self._built:
            self._built = True
            self.query_one(".fold-body", Static).update(self._body())
        self.set_class(self.open, "-open")
        self.query_one(".fold-toggle", Static).update(self._toggle_text())

    def on_click(self, event: Click) -> None:
        if event.widget is not None and event.widget.has_class("fold-toggle"):
            event.stop()
            self.toggle()


class ActionCard(Vertical, can_focus=True):
    """Tool, one-line summary, effect tag, status, the action's id, who decided and when, elapsed
    time; the preview and the result folded. Focus it and press Enter to open the result, p the
    preview, u to undo it (previewed in the pane), c to copy its id."""

    DEFAULT_CSS = """
    ActionCard { height: auto; padding: 0 1; margin: 0 0 1 0; border-left: tall $panel-lighten-1; }
    ActionCard:focus { border-left: tall $accent; background: $boost; }
    ActionCard.-waiting { border-left: tall $warning; }
    ActionCard.-denied, ActionCard.-failed { border-left: tall $error; }
    ActionCard > .card-head { height: 1; }
    ActionCard > .card-status { height: auto; color: $text-muted; }
    ActionCard > .card-result-slot { height: auto; }
    """

    BINDINGS = [
        Binding("enter", "toggle_result", "result", show=False),
        Binding("p", "toggle_preview", "preview", show=False),
        Binding("u", "undo", "undo…"),
        Binding("c", "copy_id", "copy id"),
    ]

    def __init__(
        self,
        proposed: ev.ActionProposed,
        *,
        at: datetime | None = None,
        live: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.proposed = proposed
        self.action_id = proposed.action_id
        self.status = "proposed"
        self.decided_by = ""
        self.reason = ""
        self.decided_at: datetime | None = None
        self.proposed_at = at
        self.elapsed: float | None = None
        self.result: ev.ActionResult | None = None
        self.replanned_as: str | None = None
        """The action the person's edit was re-planned as (the next card of this call)."""
        self.live = live
        self._started: float | None = None
        self._timer: Any = None
        self._ready = False
        self.add_class("-proposed")

    # -- state changes (each from one event) ------------------------------------------------------

    def set_status(self, status: str) -> None:
        """Move to ``status`` (a key of STATUS) and repaint."""
        self.remove_class(f"-{self.status}")
        self.status = status
        self.add_class(f"-{status}")
        self.refresh_text()

    def waiting(self) -> None:
        """A person is being asked (the confirm pane shows this action)."""
        if self.status == "proposed":
            self.set_status("waiting")

    def decided(self, event: ev.ActionDecided, at: datetime | None = None) -> None:
        if self.status not in ("proposed", "waiting", "undecided"):
            return  # already decided: a replayed event must not move the card back
        self.decided_by = event.by
        self.reason = event.reason
        self.decided_at = at
        status = {"approve": "approved", "deny": "denied", "edit": "edited"}.get(event.verdict)
        self.set_status(status or "proposed")

    def replanned(self, action_id: str) -> None:
        """The person's edit was planned again as action ``action_id`` (the card below)."""
        self.replanned_as = action_id
        self.refresh_text()

    def approved(self, event: ev.ActionApproved, at: datetime | None = None) -> None:
        if not self.decided_by:
            self.decided_by = event.by
            self.decided_at = at
        self._started = time.monotonic()
        self.set_status("running")
        self._tick()

    def on_mount(self) -> None:
        self._ready = True
        self._tick()

    @property
    def ticking(self) -> bool:
        """Whether the elapsed time is repainted on its own (a live card while it runs)."""
        return self._timer is not None

    def _tick(self) -> None:
        """While running in a live session, repaint the elapsed time twice a second."""
        if self.live and self._ready and self.status == "running" and self._timer is None:
            self._timer = self.set_interval(0.5, self.refresh_text)

    def finished(self, event: ev.ActionResult) -> None:
        self.result = event
        self.elapsed = event.elapsed
        self._stop_timer()
        self.set_status("done" if event.ok else "failed")
        slots = self.query(".card-result-slot")
        if slots and not slots.first().children:
            slots.first().mount(self._result_fold())

    def unfinished(self) -> None:
        """The session ended here: a running action's outcome is unknown, a pending one undecided."""
        if self.status == "running":
            self._stop_timer()
            self.set_status("unknown")
        elif self.status in ("proposed", "waiting"):
            self.set_status("undecided")

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # -- drawing ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.head_text(), classes="card-head")
        yield Static(self.status_text(), classes="card-status")
        if self.proposed.effect != "read" and (self.proposed.preview or {}).get("text"):
            yield Fold("preview", self._preview_body, classes="card-preview")
        with Vertical(classes="card-result-slot"):
            if self.result is not None:
                yield self._result_fold()

    def _result_fold(self) -> Fold:
        assert self.result is not None
        from assistant.ui.widgets.grid_fold import grid_fold

        grid = grid_fold(self.proposed, self.result)  # a table result: a grid, not text
        if grid is not None:
            return grid
        lines = self.result.output.count("\n") + 1
        label = f"result ({present.plural(lines, 'line')})"
        return Fold(label, self._result_body, classes="card-result")

    def refresh_text(self) -> None:
        if not self.children:  # not composed yet: compose draws the current state
            return
        self.query_one(".card-head", Static).update(self.head_text())
        self.query_one(".card-status", Static).update(self.status_text())

    def head_text(self) -> Table:
        icon, label, style = STATUS.get(self.status, STATUS["proposed"])
        tag = safe(present.effect_tag(self.proposed.effect))
        tag_style = TAG_STYLES.get(self.proposed.effect, "")
        if self.status == "denied":
            tag, tag_style = "DENIED", "bold red"
        elif self.status == "failed":
            tag, tag_style = "FAILED", "bold red"
        left = Text()
        left.append(f"{icon} ", style=style)
        left.append(f"{tag:<6} ", style=tag_style)
        left.append(safe(self.proposed.tool, 30), style="bold")
        left.append("  ")
        left.append(safe(self.proposed.summary.replace("\n", " ")))
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, justify="right")
        grid.add_row(left, Text(" " + label, style=style))
        return grid

    def status_text(self) -> Text:
        """The second line: the action's id (what `/undo ID` and `assistant undo ID` take), who
        decided and when, elapsed time, the one-line outcome."""
        out = Text("id ", style="dim")
        out.append(safe(self.action_id, 40), style="bold")
        rest = self._status_parts()
        if rest:
            out.append(" · ")
            out.append(" · ".join(rest), style="red" if self.status == "failed" else "")
        return out

    def _status_parts(self) -> list[str]:
        parts: list[str] = []
        if self.status == "waiting":
            parts.append("decide in the pane below: y approve · n deny · e edit")
        elif self.decided_by:
            verb = {"denied": "denied", "edited": "edited"}.get(self.status, "approved")
            rule = safe(self.reason, 80) if self.decided_by.startswith("rule:") else ""
            line = f"{verb} by {safe(present.decider(self.decided_by, rule=rule), 100)}"
            if self.status in ("denied", "edited") and self.reason:
                line += f': "{safe(self.reason, 120)}"'
            if self.decided_at is not None:
                line += f" at {self.decided_at:%H:%M:%S}"
            parts.append(line)
            if self.status == "edited" and self.replanned_as:
                parts.append(f"re-planned as action {safe(self.replanned_as, 40)} below")
        if self.status == "running" and self._started is not None and self.live:
            parts.append(f"running {time.monotonic() - self._started:.1f} s")
        if self.elapsed is not None:
            parts.append(present.elapsed(self.elapsed))
        if self.result is not None:
            first = self.result.display or present.first_line(self.result.output)
            if first:
                parts.append(safe(first, 120))
        if self.proposed.needs_person and self.status in ("proposed", "waiting"):
            parts.append("! " + safe(self.proposed.needs_person, 120))
        return parts

    def _preview_body(self) -> RenderableType:
        return render_preview(self.proposed.preview)

    def _result_body(self) -> RenderableType:
        assert self.result is not None
        output = self.result.output
        cut = len(output) > MAX_RESULT_CHARS
        text = Text(safe(output[:MAX_RESULT_CHARS]))
        if _looks_json(output):
            JSONHighlighter().highlight(text)
        if cut:
            more = present.plural(
                len(output) - MAX_RESULT_CHARS, "more character", "more characters"
            )
            text.append(f"\n… {more}", style="dim")
        return text

    # -- keys -------------------------------------------------------------------------------------

    def action_toggle_result(self) -> None:
        folds = self.query(".card-result")
        if folds:
            folds.first(Fold).toggle()

    def action_toggle_preview(self) -> None:
        folds = self.query(".card-preview")
        if folds:
            folds.first(Fold).toggle()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``u`` here is the live chat's: in a replay the screen's own undo (checked there, with
        what it says when an action cannot be undone) takes the key."""
        if action == "undo":
            return self.live
        return True

    def action_undo(self) -> None:
        """Ask the app to undo this action: it is checked (a finished file write, this
        workspace) and the restore previewed in the pane; a refusal says why."""
        from assistant.ui.screens.session_actions import UndoRequest

        self.post_message(UndoRequest(self.action_id))

    def action_copy_id(self) -> None:
        """Put the id on the clipboard (the terminal's, through OSC 52) and say so."""
        self.app.copy_to_clipboard(self.action_id)
        self.notify(
            f"copied action id {safe(self.action_id, 40)}: /undo {safe(self.action_id, 40)}",
            markup=False,
            timeout=3,
        )

    def fold(self, which: str) -> Fold | None:
        """The "result" or "preview" fold, if the card has one (tests and replay use it)."""
        found = self.query(f".card-{which}")
        return found.first(Fold) if found else None


def _looks_json(text: str) -> bool:
    head = text.lstrip()[:1]
    if head not in ("{", "["):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
