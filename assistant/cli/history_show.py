"""`assistant history show`: one session's events in order, each action's story told by the fold
of its life (``assistant.agent.action_life``), with where it stopped short of a result.

Everything shown may hold model or tool text: it is escaped (``common.shown``), never markup.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.cli import common
from assistant.cli.common import EXIT_OK

if TYPE_CHECKING:
    from assistant.agent import events as ev
    from assistant.agent.action_life import ActionFold, Life
    from assistant.journal import SessionInfo

PREVIEW_LINES = 40
"""Lines of a preview or an output `show` prints before cutting (``--full`` prints all)."""


def show_session(args: argparse.Namespace) -> int:
    from assistant.agent.action_life import fold_stored

    with common.journal() as journal:
        info = journal.get_session(args.session)
        stored = journal.events(info.id)
        check = journal.verify(info.id)
    if args.json:
        for row in stored:
            common.jsonl(row.to_json())
        return EXIT_OK
    from rich.text import Text

    console = common.out()
    for line in _header(info, check.ok, check.reason):
        console.print(Text(line))
    events, lives = fold_stored(stored)
    last: dict[int, int] = {}  # life -> the index of its last event: where its story ends
    for index, owner in lives.owner.items():
        last[id(owner)] = max(index, last.get(id(owner), index))
    cut = None if args.full else PREVIEW_LINES
    for index, (event, row) in enumerate(zip(events, stored, strict=True)):
        console.print(Text(""))
        head = f"[{row.seq}] {common.when(row.ts, '%H:%M:%S')} "
        for line in render_event(event, head, lives, cut):
            console.print(Text(line))
        life = lives.owner.get(index)
        if life is not None and last[id(life)] == index:
            for line in _ending(life):
                console.print(Text(line))
    return EXIT_OK


def _ending(life: Life) -> list[str]:
    """A line where an action's story stops short of a result: why it has none."""
    from assistant.agent import action_life as al

    state = life.state
    if state == al.OUTCOME_UNKNOWN:
        return [
            "    ⚠ outcome unknown: approved, but no result was recorded (the app stopped while"
            " it ran); it was not re-run"
        ]
    if state == al.PROPOSED:
        return ["    ⚠ no decision recorded: it was not run"]
    if state == al.EDITED:
        return ["    ✎ " + common.shown(al.outcome(life), one_line=True)]
    return []


def _header(info: SessionInfo, ok: bool, reason: str) -> list[str]:
    lines = [
        f"session {info.id}",
        f"  title:     {common.shown(info.title or '(untitled)', one_line=True)}",
        f"  model:     {common.shown(info.model or '–', one_line=True)}",
        f"  workspace: {common.shown(info.workspace, one_line=True)}",
        f"  started:   {common.when(info.created_at, '%Y-%m-%d %H:%M:%S')}"
        f"   last event: {common.when(info.updated_at, '%Y-%m-%d %H:%M:%S')}",
        f"  actions:   {info.n_actions} (writes {info.n_writes}, denied {info.n_denied})"
        f"   errors: {info.n_errors}   tokens: {info.tokens}   cost: {present.session_cost(info)}",
    ]
    if info.parent:
        lines.insert(2, f"  parent:    {info.parent}")
    recipe = info.meta.get("recipe") if isinstance(info.meta, dict) else None
    if isinstance(recipe, dict):
        shown = f"{recipe.get('name') or recipe.get('path') or '?'} ({recipe.get('mode', 'run')})"
        lines.insert(2, f"  recipe:    {common.shown(shown, one_line=True)}")
    lines.append("  journal:   " + ("chain intact" if ok else f"ALTERED: {reason}"))
    return lines


def _block(text: Any, cut: int | None, indent: str = "    ") -> list[str]:
    lines = common.shown(text).splitlines() if isinstance(text, str) and text else []
    shown = lines if cut is None else lines[:cut]
    out = [indent + line for line in shown]
    if len(lines) > len(shown):
        more = present.plural(len(lines) - len(shown), "more line", "more lines")
        out.append(f"{indent}… {more} (--full shows them)")
    return out


def render_event(
    event: ev.Event, head: str, lives: ActionFold, cut: int | None = PREVIEW_LINES
) -> list[str]:
    """Plain, escaped lines for one stored event (one this version cannot read shows its JSON)."""
    from assistant.agent import events as ev

    def t(value: Any) -> str:
        return common.shown(value if isinstance(value, str) else "", one_line=True)

    match event:
        case ev.UserMessage(text=text):
            return [head + "you:", *_block(text, cut)]
        case ev.AssistantMessage(text=text, tool_calls=calls):
            names = [t(c.get("name")) or "?" for c in calls if isinstance(c, dict)]
            lines = [head + "assistant:", *_block(text, cut)]
            return lines + ([f"    (calls {', '.join(names)})"] if names else [])
        case ev.ActionProposed():
            lines = [
                f"{head}action {t(event.action_id)} · {t(event.effect)} · {t(event.tool)}"
                + (" · by hand" if event.call_id is None else ""),
                f"    {t(event.summary)}",
            ]
            return lines + _block(event.preview.get("text"), cut, "    │ ")
        case ev.ActionDecided(action_id=aid, verdict=verdict, by=by, reason=reason):
            by_rule = by.startswith("rule:")
            who = present.decider(by, person="the person", rule=reason if by_rule else "")
            why = f" — {t(reason)}" if reason and not by_rule else ""
            did = present.VERBS.get(verdict, verdict)
            return [f"{head}decision: {t(did)} by {t(who)}{why} (action {t(aid)})"]
        case ev.ActionApproved(action_id=aid, by=by):
            who = present.decider(by, person="the person")
            return [f"{head}approved by {t(who)}; running (action {t(aid)})"]
        case ev.ActionResult(action_id=aid, ok=ok, display=display, output=output):
            outcome = "done" if ok else "FAILED"
            shown = f" · {t(display)}" if display else ""
            return [f"{head}{outcome}{shown} (action {t(aid)})", *_block(output, cut)]
        case ev.ActionError(tool=tool, message=message, action_id=aid):
            which = f" (action {t(aid)})" if aid else ""
            return [f"{head}tool call refused · {t(tool)}: {t(message)}{which}"]
        case ev.ToolFault():
            which = f" (action {t(event.action_id)})" if event.action_id else ""
            lines = [
                f"{head}internal error while {t(event.phase)} · {t(event.tool)}:"
                f" {t(event.error)}: {t(event.message)}{which}"
            ]
            return lines + [f"    at {t(frame)}" for frame in event.frames[: cut or None]]
        case ev.TurnUsage():
            tokens = f"{event.prompt_tokens}+{event.completion_tokens} tokens"
            return [
                f"{head}usage · {t(event.model)} · {tokens} · cost {present.cost(event.cost_usd)}"
            ]
        case ev.TurnError(message=message, error=error, partial=partial):
            # a reply cut off mid-way is no assistant.message: its text is kept here
            said = [head + "assistant:", *_block(partial, cut), "    " + present.cut_off(error)]
            return [*(said if partial else []), f"{head}turn failed ({t(error)}): {t(message)}"]
        case ev.TurnEnd(reason=reason):
            return [f"{head}turn ended: {t(reason)}"]
        case ev.GrantAdded():
            return [
                f"{head}{present.granted(event.lasting)}: {t(event.label)}"
                f" ({t(event.tool)}, rule {t(event.grant_id)})"
            ]
        case ev.HostUnlocked():
            who = present.decider(event.by, person="the person")
            return [
                f"{head}unlocked for this session: {t(event.label)}"
                f" (unlock {t(event.unlock_id)}, approved by {t(who)})"
            ]
        case ev.GrantRevoked(grant_id=rule_id):
            return [f"{head}{_revoked(rule_id, lives)}"]
        case ev.Unreadable(stored_kind=kind, problem=problem, payload=payload):
            lines = [f"{head}{t(kind)} (cannot be read: {t(problem)})"]
            return lines + _block(json.dumps(payload, ensure_ascii=False), cut)
    return [head + t(event.kind)]


def _revoked(rule_id: str, lives: ActionFold) -> str:
    from assistant.agent import events as ev

    rule = lives.rules.get(rule_id)
    if isinstance(rule, ev.HostUnlocked):
        return f"unlock {common.shown(rule_id, one_line=True)} revoked: {common.shown(rule.label, one_line=True)}"
    label = f": {common.shown(rule.label, one_line=True)}" if rule is not None else ""
    return f"rule {common.shown(rule_id, one_line=True)} revoked{label}"
