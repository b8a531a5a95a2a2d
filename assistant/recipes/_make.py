"""Making a recipe from a session: its approved actions in order, requests as they were sent,
values a person would change as named parameters, what each step must produce as editable
expectations, and what was left out said in comments.

Events are read through the typed classes of ``assistant.agent.events``; the life of each action
(proposed, decided, approved, result) is folded from them once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.agent import events as ev
from assistant.recipes import _expect
from assistant.recipes._book import Book, Source
from assistant.recipes._request import faithful
from assistant.recipes._spec import FORMAT, Recipe, RecipeError
from assistant.recipes._template import TemplateError, names_in
from assistant.recipes._toml import comment
from assistant.recipes._write import render

if TYPE_CHECKING:
    from assistant.journal import Journal

UNKNOWN_FLAG = "outcome unknown"
UNKNOWN_NOTE = (
    "outcome unknown in the source session: it was approved but no result was recorded; "
    "check its effect before running it again"
)
LIVE_TOOLS = {
    "csv_write": ["csv_read", "csv_query", "csv_write"],
    "csv_query": ["csv_read", "csv_query"],
    "csv_read": ["csv_read"],
}


@dataclass
class Life:
    """One action from proposal to result, as the session recorded it."""

    proposed: ev.ActionProposed
    decided: ev.ActionDecided | None = None
    approved: ev.ActionApproved | None = None
    result: ev.ActionResult | None = None
    error: ev.ActionError | None = None
    call_arguments: str | None = None

    @property
    def runs(self) -> bool:
        """It ran and succeeded, or was approved and its outcome is unknown: a recipe step."""
        if self.approved is None:
            return False
        return self.result is None or self.result.ok


@dataclass
class Made:
    """A made recipe: its text, the recipe it reads back as, and each step's source action."""

    text: str
    recipe: Recipe
    lives: dict[int, Life] = field(default_factory=dict)
    workspace: str = ""


def fold(events: list[ev.Event]) -> list[Life]:
    """The life of every proposed action, in the order they were proposed."""
    lives: dict[str, Life] = {}
    calls: dict[str, str] = {}
    for event in events:
        match event:
            case ev.AssistantMessage(tool_calls=tool_calls):
                for call in tool_calls:
                    if isinstance(call.get("id"), str) and isinstance(call.get("arguments"), str):
                        calls[call["id"]] = call["arguments"]
            case ev.ActionProposed(action_id=aid, call_id=call_id):
                lives.setdefault(aid, Life(event, call_arguments=calls.get(call_id or "")))
            case ev.ActionDecided(action_id=aid) if aid in lives:
                lives[aid].decided = event
            case ev.ActionApproved(action_id=aid) if aid in lives:
                lives[aid].approved = event
            case ev.ActionResult(action_id=aid) if aid in lives:
                lives[aid].result = event
            case ev.ActionError(action_id=aid) if aid is not None and aid in lives:
                lives[aid].error = event
    return list(lives.values())


def session_events(
    journal: Journal, session_id: str, redact: Callable[[Any], Any]
) -> list[ev.Event]:
    """A session's events as typed objects, redacted again (kinds this version does not know,
    or payloads it cannot read, are skipped: a recipe holds only what it understands)."""
    out = []
    for stored in journal.events(session_id):
        try:
            out.append(ev.event_from_json(stored.kind, redact(stored.payload)))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def who(by: str | None) -> str:
    return {"human": "the person", "policy:read": "policy (reads run)"}.get(str(by), str(by))


def left_out(life: Life) -> str:
    p = life.proposed
    what = f"{p.tool} {p.summary}".strip()
    d = life.decided
    if d is not None and d.verdict == "deny":
        reason = f": {d.reason}" if d.reason else ""
        return f"{what} (denied by {who(d.by)}{reason})"
    if d is not None and d.verdict == "edit":
        return f"{what} (edited before it ran; the edited call follows)"
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
    live: Mapping[int, str] | None = None,
    columns: Callable[[str, str], list[str] | None] | None = None,
) -> Made:
    """A recipe re-running the session's approved actions. ``live`` maps step numbers to the
    prompt of a live step that takes the recorded step's place; ``columns(workspace, path)``
    reads a CSV file's header for a live step's expectation (None: not known)."""
    if redact is None:
        from assistant.secrets import redactor

        redact = redactor().redact
    if columns is None and live:
        from assistant.recipes._live import header_of

        columns = header_of
    info = journal.get_session(session_id)
    chain = journal.verify(info.id)
    lives = fold(session_events(journal, info.id, redact))
    steps = [life for life in lives if life.runs]
    live = dict(live or {})
    for number in live:
        if not 1 <= number <= len(steps):
            raise RecipeError(
                f"--live {number}: the recipe has steps 1 to {len(steps)} "
                "(`assistant recipe show` lists them)"
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
    for number, prompt in live.items():
        try:
            unknown = [n for n in names_in(prompt) if n not in names]
        except TemplateError as exc:
            raise RecipeError(f"--live {number}: {exc}") from None
        if unknown:
            raise RecipeError(
                f"--live {number}: ${{{unknown[0]}}} is not a parameter of this recipe "
                f"(the parameters: {', '.join(sorted(names)) or 'none'})"
            )
    templates = {n: book.template(src) for n, src in sources.items()}
    book.keep_used({n: [t[0], t[1], live.get(n, "")] for n, t in templates.items()})
    numbers = {id(life): n for n, life in enumerate(steps, 1)}
    entries: list[tuple[str, Any]] = []
    for life in lives:
        if id(life) not in numbers:
            entries.append(("left out", left_out(life)))
            continue
        number = numbers[id(life)]
        args, args_json = templates[number]
        step = _step(life, number, args, args_json, live.get(number), notes[number])
        if number in live:
            path = args.get("path") if life.proposed.tool == "csv_write" else None
            found = (
                columns(info.workspace, life.proposed.args.get("path", ""))
                if path and columns
                else None
            )
            step["expect"] = {"file": path, **({"columns": found} if found else {})} if path else {}
        entries.append(("step", step))
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


def _step(
    life: Life,
    number: int,
    args: dict[str, Any],
    args_json: dict[str, str],
    live_prompt: str | None,
    notes: list[str],
) -> dict[str, Any]:
    p = life.proposed
    by = (life.decided.by if life.decided else None) or (
        life.approved.by if life.approved else None
    )
    comments = [f"step {number} · {p.effect.upper()} · {p.summary} · approved by {who(by)}"]
    comments += notes
    step: dict[str, Any] = {"_comments": comments}
    result = life.result
    data = result.data if result is not None else {}
    if live_prompt is not None:
        step.update(
            kind="live",
            title=comment(p.summary, 200),
            source_action=p.action_id,
            prompt=live_prompt,
            tools=LIVE_TOOLS.get(p.tool, [p.tool]),
            max_calls=5,
            calls=[{"tool": p.tool, "args": args, "args_json": args_json}],
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
