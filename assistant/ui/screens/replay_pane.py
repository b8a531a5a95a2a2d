"""The replay's decision pane: at a step where a person was asked, the pane as they saw it.

It draws the stored proposal with the confirm pane's own preview lines (``preview_lines``), and
says who decided and when once the cursor has reached the decision, or that the person was still
being asked. It shows nothing for actions no person was asked about (reads, rules, policy).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from assistant import present
from assistant.agent import action_life
from assistant.agent import events as ev
from assistant.ui.replay_timeline import Timeline
from assistant.ui.widgets.line_view import LineView
from assistant.ui.widgets.preview import arguments_diff, safe
from assistant.ui.widgets.preview_lines import preview_lines

ASKED = "human"
"""``by`` of a decision a person made in the pane (rules and policy decide without asking)."""


def asked_at(timeline: Timeline) -> action_life.Life | None:
    """The life of the action whose pane a person saw at the cursor: the cursor is on its
    proposal or its decision, and a person decided it (or nobody did: the log ends waiting)."""
    step = timeline.current
    if step is None or not isinstance(step.event, ev.ActionProposed | ev.ActionDecided):
        return None
    life = timeline.lives.life(step.action_id)
    if life is None:
        return None
    decision = life.decision
    if decision is not None and decision.by != ASKED:
        return None
    if decision is None and life.approved is not None:
        return None  # approved without a decision event: policy or a rule let it run
    return life


class DecisionPane(Vertical):
    """The confirm pane of a stored action, read-only: title, summary, preview, who decided."""

    DEFAULT_CSS = """
    DecisionPane {
        display: none; height: auto; max-height: 50%;
        border: round $warning; border-title-color: $warning; border-title-style: bold;
        padding: 0 1; background: $surface;
    }
    DecisionPane.-shown { display: block; }
    DecisionPane > .decision-top { dock: top; height: auto; }
    DecisionPane > LineView { height: auto; max-height: 100%; background: $surface; }
    DecisionPane > .decision-by { dock: bottom; height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.life: action_life.Life | None = None
        self.decided = False

    def compose(self) -> Any:
        yield Static("", classes="decision-top")
        yield LineView(classes="decision-preview")
        yield Static("", classes="decision-by")

    def show(
        self,
        life: action_life.Life | None,
        *,
        decided: bool,
        at: datetime | None = None,
    ) -> None:
        """Show ``life``'s pane (None hides it); ``decided``: the cursor has reached the decision,
        made ``at`` (local time)."""
        self.set_class(life is not None, "-shown")
        if life is None:
            self.life = None
            return
        proposed = life.proposed
        if life is not self.life:
            lines = preview_lines(proposed.tool, dict(proposed.args), proposed.preview)
            before = life.edited_from
            if before is not None:  # the pane showed the person's edit above the new preview
                edit = [Text("Your edit, re-planned:", style="bold")]
                edit += arguments_diff(dict(before.proposed.args), dict(proposed.args)).split("\n")
                lines.lines[:0] = [*edit, Text("")]
            self.query_one(LineView).set_lines(lines.lines)
        self.life, self.decided = life, decided
        tag = present.effect_tag(proposed.effect)
        place = f" {life.batch[0]} of {life.batch[1]}" if life.batch is not None else ""
        self.border_title = (
            f"Action{place} · {tag} · {safe(proposed.tool, 30)} · id {safe(proposed.action_id, 40)}"
        )
        summary = Text(safe(proposed.summary), style="bold")
        if proposed.needs_person:
            summary.append("\n! " + safe(proposed.needs_person), style="bold red")
        self.query_one(".decision-top", Static).update(summary)
        self.query_one(".decision-by", Static).update(self.verdict_text(at))

    def verdict_text(self, at: datetime | None = None) -> Text:
        """ "approved by you at 14:02:11" once decided here; "waiting for you" before."""
        life = self.life
        if life is None:
            return Text("")
        decision = life.decision
        if not self.decided or decision is None:
            return Text("waiting for you: the person was shown this pane", style="bold dark_orange")
        verb = {"deny": "denied", "edit": "edited"}.get(decision.verdict, "approved")
        line = Text(f"{verb} by {present.decider(decision.by)}", style="bold")
        if decision.reason:
            line.append(f': "{safe(decision.reason, 120)}"')
        if at is not None:
            line.append(f" at {at:%H:%M:%S}")
        if decision.grant:
            line.append(f" · and allowed for the session (rule {safe(decision.grant, 20)})")
        return line
