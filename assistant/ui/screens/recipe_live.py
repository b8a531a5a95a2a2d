"""The export dialog that marks recorded steps live: the person picks steps of a session and says
what the model is to do in each at run time (prompt, tools, max calls, what it must produce);
the recipe is made by the one exporter, exactly as ``assistant export --live`` makes it.

Reading the session and writing the file happen in threads that post messages; a fault in
what was typed stays in the dialog, named and with the cursor on its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from assistant import present
from assistant.errors import AssistantError
from assistant.journal import Journal
from assistant.recipes import LiveSpec, LiveStepError, make
from assistant.ui.screens.recipe_live_form import LABELS, Draft, Plan, load_plan, to_spec
from assistant.ui.screens.session_actions import save_export
from assistant.ui.widgets.action_card import TAG_STYLES
from assistant.ui.widgets.preview import safe

SUFFIX = ".live.recipe.toml"
INPUTS = {
    "prompt": "Prompt",
    "tools": "Tools",
    "max_calls": "Max calls",
    "file": "Expect file",
    "columns": "  columns",
    "min_rows": "  min rows",
}
"""The fields of a live step, in order, with their labels (ids use '-' for '_')."""
HINTS = {
    "prompt": "what the model is to do; ${name} uses a parameter",
    "tools": "comma-separated",
    "file": "a file the step must write (empty: none checked)",
    "columns": "its header, comma-separated (empty: any)",
    "min_rows": "at least this many data rows (empty: any)",
}


@dataclass(frozen=True)
class Exported:
    """What the dialog made: the file and the steps marked live."""

    path: Path
    live: tuple[int, ...]


class PlanRead(Message, bubble=False):
    """The loader thread's answer: the plan, or why there is none."""

    def __init__(self, plan: Plan | None, error: str = "") -> None:
        super().__init__()
        self.plan = plan
        self.error = error


class ExportDone(Message, bubble=False):
    """The export thread's answer: the file, or the fault (a LiveStepError names its field)."""

    def __init__(self, result: Exported | None, error: Exception | None = None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class StepList(OptionList):
    """The session's steps; space or enter marks the highlighted one live (or not)."""

    BINDINGS = [Binding("space", "select", "mark live", show=False)]


class LiveExportDialog(ModalScreen[Exported | None]):
    """Mark steps live, then Ctrl+S exports the recipe; Esc cancels and writes nothing."""

    CSS_PATH = "recipe_live.tcss"
    BINDINGS = [
        Binding("ctrl+s", "export", "export"),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, journal: Journal, session_id: str, action_id: str | None = None) -> None:
        super().__init__()
        self.journal = journal
        self.session_id = session_id
        self.action_id = action_id
        self.plan: Plan | None = None
        self.drafts: dict[int, Draft] = {}
        """Every step's fields once shown (kept when a step is unmarked, for re-marking)."""
        self.marked: set[int] = set()
        self.current = 0
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="live-box"):
            yield Static(Text("Export a recipe · mark steps live", style="bold"), id="live-title")
            yield Static("reading the session…", id="live-intro")
            yield StepList(id="steps")
            yield Static("", id="live-note")
            with Vertical(id="fields"):
                for name, label in INPUTS.items():
                    with Horizontal(classes="row"):
                        yield Label(label, classes="label")
                        yield Input(
                            id=name.replace("_", "-"), compact=True, placeholder=HINTS.get(name, "")
                        )
            yield Static("", id="live-params")
            yield Static("", id="live-error")
            yield Static(
                Text("space mark live   tab fields   ctrl+s export   esc cancel", style="dim"),
                id="live-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#fields").display = False
        self.run_worker(self._load, thread=True, group="live-load", exit_on_error=False)

    def _load(self) -> None:
        try:
            plan = load_plan(self.journal, self.session_id)
        except (AssistantError, OSError) as exc:
            self.post_message(PlanRead(None, safe(exc, 400)))
        except Exception as exc:  # a bug must not leave the dialog reading forever
            self.post_message(PlanRead(None, f"{type(exc).__name__}: {safe(exc, 400)}"))
        else:
            self.post_message(PlanRead(plan))

    def on_plan_read(self, message: PlanRead) -> None:
        intro = self.query_one("#live-intro", Static)
        if message.plan is None or not message.plan.count:
            why = message.error or "this session has no approved action, so no step to mark live"
            intro.update(Text(f"cannot export: {why}", style="bold red"))
            self.query_one("#steps").display = False
            return
        self.plan = message.plan
        intro.update(
            Text("Steps: a live step is done by the model at run time, within its bounds.")
        )
        steps = self.query_one("#steps", StepList)
        steps.add_options([Option(self._row(n), id=str(n)) for n in range(1, self.plan.count + 1)])
        start = self.plan.step_of(self.action_id) or 1
        self.show_step(start)
        steps.highlighted = start - 1
        steps.focus()
        params = "  ".join(f"${{{safe(k)}}} = {safe(v, 40)}" for k, v in self.plan.params)
        self.query_one("#live-params", Static).update(
            Text(f"Parameters: {params or 'none'}", style="dim")
        )

    # -- the steps and their fields ---------------------------------------------------------------

    def _row(self, number: int) -> Text:
        assert self.plan is not None
        p = self.plan.made.lives[number].proposed
        live = number in self.marked
        row = Text(f"{number:>3}  ", no_wrap=True, overflow="ellipsis")
        tag = "LIVE" if live else present.effect_tag(p.effect)
        row.append(f"{tag:<6}", style="bold magenta" if live else TAG_STYLES.get(p.effect, ""))
        row.append(f"{safe(p.tool, 16):<14}", style="bold" if live else "")
        row.append(safe(" ".join(p.summary.split()), 200))
        return row

    def _input(self, name: str) -> Input:
        return self.query_one(f"#{name.replace('_', '-')}", Input)

    def _save(self) -> None:
        if self.current in self.marked:
            self.drafts[self.current] = Draft(**{f: self._input(f).value for f in INPUTS})

    def show_step(self, number: int) -> None:
        """Keep what was typed for the step shown, then show ``number``'s fields or its note."""
        if self.plan is None or number == self.current:
            return
        self._save()
        self.current = number
        self._paint_fields()

    def _paint_fields(self) -> None:
        assert self.plan is not None
        number = self.current
        p = self.plan.made.lives[number].proposed
        note = self.query_one("#live-note", Static)
        box = self.query_one("#fields")
        if number not in self.marked:
            note.update(
                Text.assemble(
                    (f"Step {number} replays as recorded ({safe(p.tool)}). ", ""),
                    ("space", "bold"),
                    " marks it live.",
                )
            )
            box.display = False
            return
        note.update(Text(f"Step {number} is live: the model does it at run time.", style="bold"))
        draft = self.drafts.setdefault(number, Draft.of(self.plan.defaults[number]))
        for name in INPUTS:
            self._input(name).value = getattr(draft, name)
        box.display = True

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id is not None:
            self.show_step(int(event.option_id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is not None:
            self.toggle(int(event.option_id))

    def toggle(self, number: int) -> None:
        """Mark step ``number`` live (its fields open, the prompt focused) or back to recorded."""
        if self.plan is None:
            return
        self.show_step(number)
        self._save()
        self.marked ^= {number}
        self.query_one("#steps", StepList).replace_option_prompt(str(number), self._row(number))
        self._paint_fields()
        self.query_one("#live-error", Static).update("")
        if number in self.marked and not self._input("prompt").value.strip():
            self._input("prompt").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- export -----------------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.plan is None or self.busy:
            return
        self._save()
        if not self.marked:
            self._fail(0, "", "mark a step live first (space on a step)")
            return
        specs: dict[int, LiveSpec] = {}
        for number in sorted(self.marked):
            try:
                specs[number] = to_spec(number, self.drafts[number], self.plan.known_tools)
            except LiveStepError as exc:
                self._fail(exc.step, exc.field, exc.detail)
                return
        self.busy = True
        self.query_one("#live-error", Static).update(Text("exporting…", style="dim"))
        self.run_worker(
            lambda: self._export(specs), thread=True, group="live-export", exit_on_error=False
        )

    def _export(self, specs: dict[int, LiveSpec]) -> None:
        try:
            made = make(self.journal, self.session_id, live=specs)
            path = save_export(made.text, made.recipe.info["source_session"], SUFFIX)
        except Exception as exc:  # said in the dialog, never lost in a silent worker
            self.post_message(ExportDone(None, exc))
        else:
            self.post_message(ExportDone(Exported(path, tuple(specs))))

    def on_export_done(self, message: ExportDone) -> None:
        self.busy = False
        if message.result is not None:
            self.dismiss(message.result)
            return
        exc = message.error
        if isinstance(exc, LiveStepError):
            self._fail(exc.step, exc.field, exc.detail)
        elif isinstance(exc, AssistantError | OSError):
            self._fail(0, "", f"export failed: {safe(exc, 400)}")
        else:
            self._fail(0, "", f"export failed: {type(exc).__name__}: {safe(exc, 400)}")

    def _fail(self, number: int, field: str, detail: str) -> None:
        """Say what is wrong, and put the cursor where it can be put right."""
        where = f"step {number}: " if number else ""
        if number and field in INPUTS:
            where = f"step {number} · {LABELS[field]}: "
        self.query_one("#live-error", Static).update(Text(where + safe(detail), style="bold red"))
        if self.plan is None or not 1 <= number <= self.plan.count:
            return
        self.show_step(number)
        self.query_one("#steps", StepList).highlighted = number - 1
        if field in INPUTS and number in self.marked:
            self._input(field).focus()
        else:
            self.query_one("#steps", StepList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_live_export(
    screen: Screen[Any], journal: Journal, session_id: str, action_id: str | None = None
) -> None:
    """Open the dialog over ``screen``; say where the recipe went once it is written."""

    def done(result: Exported | None) -> None:
        if result is not None:
            steps = ", ".join(map(str, result.live))
            label = present.noun(len(result.live), "live step")
            screen.app.notify(
                f"exported recipe with {label} {steps} to {safe(result.path)}", markup=False
            )

    screen.app.push_screen(LiveExportDialog(journal, session_id, action_id), done)


__all__ = ["Exported", "LiveExportDialog", "open_live_export"]
