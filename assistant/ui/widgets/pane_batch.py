"""The other calls of a model reply, as the confirm pane shows them while one of them waits.

A reply with several tool calls is put through the gate one call at a time, so only one waits
for a person; the pane lets the person read the others before deciding. A call before the
waiting one is shown as it was proposed, decided and ran; a call after it has not been planned
yet (what the calls before it do can change it), so it is shown planned ahead as things stand
now, beside the arguments as the model wrote them. Only the waiting action is ever decided.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from assistant import present
from assistant.agent import action_life
from assistant.agent.action_life import ActionFold, Life
from assistant.ui.approver import PendingApproval
from assistant.ui.widgets.preview import safe
from assistant.ui.widgets.preview_lines import PreviewLines, preview_lines

if TYPE_CHECKING:
    from textual.widget import Widget

    from assistant.ui.widgets.line_view import LineView
    from tools.base import Action

    _Base = Widget
else:
    _Base = object

VERBS = {"approve": "approved", "deny": "denied", "edit": "edited"}


def earlier_call(call: Mapping[str, Any], fold: ActionFold | None) -> tuple[Text, list[Text]]:
    """A call before the waiting one: its action (the last of its edits) as it went."""
    call_id = str(call["id"])
    lives = [x for x in fold.lives.values() if x.proposed.call_id == call_id] if fold else []
    if not lives:
        summary = Text("This call was refused before it became an action.", style="bold")
        return summary, arguments(call)
    life = lives[-1].final
    proposed = life.proposed
    summary = Text(safe(proposed.summary), style="bold")
    summary.append("\n" + story(life))
    return summary, preview_lines(proposed.tool, proposed.args, proposed.preview).lines


def later_call(
    call: Mapping[str, Any], ahead: PreviewLines | str | None
) -> tuple[Text, list[Text]]:
    """A call after the waiting one: ``ahead`` is its preview planned now (None: still being
    planned; a string: why it cannot be planned now)."""
    summary = Text(
        "Not planned yet: it is planned again and asked in its turn (the calls before it can "
        "change what it does).",
        style="bold",
    )
    if ahead is None:
        lines = [Text("planning…", style="dim")]
    elif isinstance(ahead, str):
        lines = [Text(f"Cannot be planned now: {safe(ahead, 300)}", style="red")]
    else:
        lines = [Text("Planned ahead, as things stand now:", style="bold"), *ahead.lines]
    return summary, [
        *lines,
        Text(""),
        Text("As the model wrote it:", style="bold"),
        *arguments(call),
    ]


def story(life: Life) -> str:
    """One line: how it was decided, how it ended, and its id."""
    verdict = VERBS.get(life.verdict or "", "not decided")
    who = present.decider(life.decided_by) if life.decided_by else ""
    line = verdict + (f" by {safe(who, 80)}" if who else "")
    state = life.state
    if state in (action_life.DONE, action_life.FAILED) and life.result is not None:
        shown = life.result.display or present.first_line(life.result.output)
        line += f" · {state}" + (f": {safe(shown, 120)}" if shown else "")
    elif state in (action_life.FAILED, action_life.OUTCOME_UNKNOWN):
        line += f" · {state}"
    return f"{line} · id {life.action_id}"


def arguments(call: Mapping[str, Any]) -> list[Text]:
    """The call's arguments as the model wrote them, pretty-printed when they are JSON."""
    raw = str(call.get("arguments", ""))
    with contextlib.suppress(ValueError, RecursionError):
        value = json.loads(raw)
        raw = json.dumps(value, ensure_ascii=False)  # one line when short, else indented
        if len(raw) > 100:
            raw = json.dumps(value, indent=2, ensure_ascii=False)
    return [Text(safe(part)) for part in raw.split("\n")]


def planned(tool: str, args: Mapping[str, Any], summary: str, preview: Any) -> PreviewLines:
    """A preview planned ahead, headed by its summary."""
    found = preview_lines(tool, dict(args), preview)
    found.lines[:0] = [Text(safe(summary), style="bold")]
    return found


class BatchView(_Base):
    """Mixed into ConfirmPane: the reply's other calls, looked at with ←/→ (never decided)."""

    reply_calls: list[Mapping[str, Any]]
    """The tool calls of the model's latest reply, in order: {id, name, arguments}."""
    lives: Callable[[], ActionFold] | None
    """Where each action's life is read (its call, how it was decided, its result)."""
    look_ahead: Callable[[str, str | Mapping[str, Any]], Action] | None
    """Plans a later call of the batch without running it (the gate's ``look_ahead``)."""
    looking: int | None
    """The batch index looked at instead of the waiting action (None: the waiting one)."""
    looking_for: PendingApproval | None
    """The waiting request the person was at when they started looking at other calls."""
    _ahead: dict[str, PreviewLines | str]
    """Call id -> its planned-ahead preview (or why it cannot be planned), while unchanged."""
    _planning: set[str]
    """Call ids being planned now (one worker each)."""
    _generation: int
    """Bumped whenever something ran or was decided: a plan started before is stale."""
    _shown: PendingApproval | None

    if TYPE_CHECKING:
        queue: list[PendingApproval]

        @property
        def current(self) -> PendingApproval | None: ...
        @property
        def preview_view(self) -> LineView: ...
        def refresh_pane(self) -> None: ...

    def init_batch(self) -> None:
        self.reply_calls = []
        self.lives = None
        self.look_ahead = None
        self.looking = None
        self.looking_for = None
        self._ahead = {}
        self._planning = set()
        self._generation = 0

    def set_batch(self, calls: Sequence[Any]) -> None:
        """The model's reply asked for ``calls`` ([{id, name, arguments}], as journaled)."""
        self.reply_calls = [
            c for c in calls if isinstance(c, Mapping) and isinstance(c.get("id"), str)
        ]
        self.changed()
        self.looking = None

    def changed(self) -> None:
        """Something ran or was decided: previews planned ahead may no longer hold."""
        self._ahead.clear()
        self._planning.clear()
        self._generation += 1
        if self.looking is not None:
            self.refresh_pane()

    def batch_index(self, request: PendingApproval) -> int | None:
        """Where ``request``'s call is in the batch (None: not a call of the latest reply)."""
        life = self.lives().life(request.action_id) if self.lives is not None else None
        call_id = life.proposed.call_id if life is not None else None
        for index, call in enumerate(self.reply_calls):
            if call_id is not None and call["id"] == call_id:
                return index
        return None

    def position(self, request: PendingApproval) -> tuple[int, int]:
        """(n, of): the call's place in the model's reply, or in the queue of waiting actions
        (slash commands)."""
        index = self.batch_index(request)
        if index is not None:
            return index + 1, len(self.reply_calls)
        return self.queue.index(request) + 1 if request in self.queue else 1, len(self.queue)

    def action_look(self, step: int) -> None:
        """Show the previous or next call of the reply (the waiting one is where it returns)."""
        request = self.current
        if request is None:
            return
        here = self.batch_index(request)
        if here is None or len(self.reply_calls) < 2:
            self.notify("This action is the only call waiting here.", timeout=3)
            return
        shown = here if self.looking is None else self.looking
        target = max(0, min(len(self.reply_calls) - 1, shown + step))
        self.looking = None if target == here else target
        self.looking_for = request
        self.refresh_pane()

    def _draw_other(self, request: PendingApproval, index: int) -> None:
        """Another call of the reply, for reading only: the waiting action stays undecided."""
        call = self.reply_calls[index]
        here = self.batch_index(request)
        n = (here or 0) + 1
        name = safe(str(call.get("name", "")), 30)
        self.border_title = Text(
            f"Call {index + 1} of {len(self.reply_calls)} · {name} · looking only"
        )
        summary, lines = self._other_lines(call, before=here is not None and index < here)
        self._shown = None
        self.preview_view.set_lines(lines)
        self.query_one(".pane-summary", Static).update(summary)
        cuts = self.query_one(".pane-cuts", Static)
        cuts.display = False
        keys = Text()
        keys.append("[←] [→]", style="bold")
        keys.append(" the other calls   ")
        keys.append(f"action {n} waits for you: ", style="bold")
        keys.append(f"go back to it ({'←' if index > n - 1 else '→'}) to decide")
        self.query_one(".pane-keys", Static).update(keys)
        self.refresh_bindings()

    def _other_lines(self, call: Mapping[str, Any], *, before: bool) -> tuple[Text, list[Text]]:
        if before:
            return earlier_call(call, self.lives() if self.lives is not None else None)
        ahead = self._ahead.get(str(call["id"]))
        if ahead is None:
            self._plan_ahead(call)
        return later_call(call, ahead)

    def _plan_ahead(self, call: Mapping[str, Any]) -> None:
        """Plan ``call`` in a thread (once, until something changes) and show it when done."""
        look_ahead = self.look_ahead
        call_id, name, arguments = str(call["id"]), str(call.get("name")), call.get("arguments")
        if look_ahead is None:
            self._ahead[call_id] = "the session is not open"
            return
        if call_id in self._planning:
            return
        self._planning.add(call_id)
        generation = self._generation
        raw = arguments if isinstance(arguments, str | Mapping) else "{}"

        def plan() -> None:
            from tools.base import ToolError

            try:
                action = look_ahead(name, raw)
                found: PreviewLines | str = planned(
                    action.tool, action.args, action.summary, action.preview
                )
            except ToolError as exc:
                found = str(exc)
            self.app.call_from_thread(self._planned, generation, call_id, found)

        self.run_worker(plan, thread=True, group="look-ahead", exit_on_error=False)

    def _planned(self, generation: int, call_id: str, found: PreviewLines | str) -> None:
        if generation != self._generation:
            return  # something ran or was decided meanwhile: planned again when looked at
        self._planning.discard(call_id)
        self._ahead[call_id] = found
        looking = self.looking
        if (
            looking is not None
            and looking < len(self.reply_calls)
            and self.reply_calls[looking]["id"] == call_id
        ):
            self.refresh_pane()

    def _looking_elsewhere(self) -> bool:
        """True (and the person told) when another call is shown: no key decides it."""
        if self.looking is None:
            return False
        request = self.current
        n = self.position(request)[0] if request is not None else 1
        self.notify(
            f"You are looking at another call; ← → back to action {n} to decide it.",
            severity="warning",
            timeout=4,
        )
        return True
