"""Making a recipe from a session: its approved actions in order, requests as they were sent,
values a person would change as named parameters, what each step must produce as editable
expectations, and what was left out said in comments.

Events are read through the typed classes of ``assistant.agent.events``; the life of each action
comes from the one fold, ``assistant.agent.action_life``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.agent import action_life
from assistant.agent import events as ev
from assistant.agent.action_life import Life
from assistant.recipes import _expect
from assistant.recipes._book import Book, Source
from assistant.recipes._mark import LiveSpec, LiveStepError, defaults_for, settle
from assistant.recipes._request import faithful
from assistant.recipes._spec import FORMAT, Recipe
from assistant.recipes._toml import comment
from assistant.recipes._write import render

if TYPE_CHECKING:
    from assistant.journal import Journal

UNKNOWN_FLAG = "outcome unknown"
UNKNOWN_NOTE = (
    "outcome unknown in the source session: it was approved but no result was recorded; "
    "check its effect before running it again"
)


def runs(life: Life) -> bool:
    """It ran and succeeded, or was approved and its outcome is unknown: a recipe step."""
    if life.approved is None:
        return False
    return life.result is None or life.result.ok


@dataclass
class Made:
    """A made recipe: its text, the recipe it reads back as, and each step's source action."""

    text: str
    recipe: Recipe
    lives: dict[int, Life] = field(default_factory=dict)
    workspace: str = ""


def session_events(
    journal: Journal, session_id: str, redact: Callable[[Any], Any]
) -> list[ev.Event]:
    """A session's events as typed objects, redacted again (kinds this version does not know,
    or payloads it cannot read, tell no action's story: a recipe holds only what it understands)."""
    return [ev.parse(stored.kind, redact(stored.payload)) for stored in journal.events(session_id)]


def left_out(life: Life) -> str:
    p = life.proposed
    what = f"{p.tool} {p.summary}".strip()
    d = life.decision
    if d is not None and d.verdict == "deny":
        reason = f": {d.reason}" if d.reason else ""
        return f"{what} (denied by {present.decider(d.by, person='the person')}{reason})"
    if d is not None and d.verdict == "edit":
        into = life.edited_into
        then = f"re-planned as action {into.action_id}" if into else "the edited call never ran"
        return f"{what} (edited before it ran; {then})"
    if life.result is not None:
        why = life.result.display or life.result.output[:120]
        return f"{what} (failed in the source session: {why})"
    if life.error is not None:
        return f"{what} (refused: {life.error.message})"
    return f"{what} (never decided: the session stopped first)"


def make(
    journal: Journal,
    session_id: str,
    *,
    redact: Callable[[Any], Any] | None = None,
    live: Mapping[int, str | LiveSpec] | None = None,
    columns: Callable[[str, str], list[str] | None] | None = None,
) -> Made:
    """A recipe re-running the session's approved actions. ``live`` maps step numbers to a live
    step that takes the recorded step's place: its prompt, or a LiveSpec (LiveStepError says
    what is wrong with one); ``columns(workspace, path)`` reads a CSV file's header for a live
    step's default expectation (None: not known)."""
    if redact is None:
        from assistant.secrets import redactor

        redact = redactor().redact
    if columns is None and live:
        from assistant.recipes._live import header_of

        columns = header_of
    info = journal.get_session(session_id)
    chain = journal.verify(info.id)
    lives = list(action_life.fold(session_events(journal, info.id, redact)).lives.values())
    steps = [life for life in lives if runs(life)]
    wanted = dict(live or {})
    for number in wanted:
        if not 1 <= number <= len(steps):
            raise LiveStepError(
                number,
                "step",
                f"the recipe has steps 1 to {len(steps)} (`assistant recipe show` lists them)",
            )
    book = Book()
    sources: dict[int, Source] = {}
    notes: dict[int, list[str]] = {}
    for number, life in enumerate(steps, 1):
        p = life.proposed
        got = faithful(p.tool, p.args, p.preview, life.call_arguments)
        notes[number] = got.notes
        sources[number] = Source(
            number, p.tool, got.args, got.json_body, got.has_json, tuple(p.targets),
            p.preview.get("data") if isinstance(p.preview.get("data"), dict) else None,
        )  # fmt: skip
        book.note(sources[number])
    book.assign_names()
    names = {p.name for p in book.params.values()}
    templates = {n: book.template(src) for n, src in sources.items()}
    specs: dict[int, LiveSpec] = {}
    for number, given in sorted(wanted.items()):
        p = steps[number - 1].proposed
        raw_path = p.args.get("path")
        defaults = defaults_for(p.tool, templates[number][0], raw_path, info.workspace, columns)
        specs[number] = settle(number, given, names, defaults)
    book.keep_used(
        {
            n: [t[0], t[1], *([specs[n].prompt, dict(specs[n].expect or {})] if n in specs else [])]
            for n, t in templates.items()
        }
    )
    numbers = {id(life): n for n, life in enumerate(steps, 1)}
    entries: list[tuple[str, Any]] = []
    for life in lives:
        if id(life) not in numbers:
            entries.append(("left out", left_out(life)))
            continue
        number = numbers[id(life)]
        args, args_json = templates[number]
        entries.append(
            ("step", _step(life, number, args, args_json, specs.get(number), notes[number]))
        )
    header = {
        "format": FORMAT,
        "source_session": info.id,
        "source_title": comment(info.title or "", 200),
        "source_started": comment(info.created_at, 60),
        "source_workspace": comment(info.workspace, 1000),
        "journal_check": "intact" if chain.ok else comment(f"ALTERED: {chain.reason}", 300),
    }
    params = [(p.name, p.value, p.describe()) for p in book.ordered()]
    text, recipe = render(header, params, entries)
    return Made(text, recipe, dict(enumerate(steps, 1)), info.workspace)


def live_defaults(
    made: Made, number: int, columns: Callable[[str, str], list[str] | None] | None = None
) -> LiveSpec:
    """What step ``number`` of a made recipe would get if marked live with only a prompt: the
    same defaults ``make`` fills in (the export dialog shows them before the person edits)."""
    if columns is None:
        from assistant.recipes._live import header_of

        columns = header_of
    step = made.recipe.steps[number - 1]
    p = made.lives[number].proposed
    return defaults_for(p.tool, step.args, p.args.get("path"), made.workspace, columns)


def _step(
    life: Life,
    number: int,
    args: dict[str, Any],
    args_json: dict[str, str],
    live: LiveSpec | None,
    notes: list[str],
) -> dict[str, Any]:
    p = life.proposed
    by = present.decider(life.decided_by, person="the person")
    comments = [f"step {number} · {present.effect_tag(p.effect)} · {p.summary} · approved by {by}"]
    comments += notes
    step: dict[str, Any] = {"_comments": comments}
    result = life.result
    data = result.data if result is not None else {}
    if live is not None:
        step.update(
            kind="live",
            title=comment(p.summary, 200),
            source_action=p.action_id,
            prompt=live.prompt,
            tools=list(live.tools or ()),
            max_calls=live.max_calls,
            calls=[{"tool": p.tool, "args": args, "args_json": args_json}],
            expect=dict(live.expect or {}),
        )
        return step
    step.update(tool=p.tool, title=comment(p.summary, 200), source_action=p.action_id)
    if result is None:
        step["flag"] = UNKNOWN_FLAG
        step["_comments"].append("FLAGGED: " + UNKNOWN_NOTE)
    step["args"] = args
    step["args_json"] = args_json
    if result is not None:
        expect, suggested = _expect.make(p.tool, result.ok, data)
        step["expect"] = expect
        step["_suggested"] = suggested
        step["recorded"] = _expect.facts(p.tool, result.ok, result.output, data)
    return step
