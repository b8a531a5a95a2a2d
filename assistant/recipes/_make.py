"""Making a recipe from a session: its approved actions in order, values the person gave as named
parameters, what each step produced as its expectation, and what was left out said in comments."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.recipes._expect import observe
from assistant.recipes._params import ParamBook
from assistant.recipes._source import (
    FOOTER,
    FORMAT,
    RecipeError,
    comment,
    literal,
    load,
    str_literal,
)

if TYPE_CHECKING:
    from assistant.journal import Journal

UNKNOWN_FLAG = (
    "outcome unknown in the source session: it was approved but no result was recorded; "
    "check its effect before running it again"
)


@dataclass
class _Action:
    action_id: str
    proposed: dict[str, Any]
    decided: dict[str, Any] | None = None
    approved: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


def _actions(events: list[tuple[str, dict[str, Any]]]) -> list[_Action]:
    found: dict[str, _Action] = {}
    for kind, p in events:
        action_id = p.get("action_id")
        if not kind.startswith("action.") or not isinstance(action_id, str):
            continue
        if kind == "action.proposed":
            found.setdefault(action_id, _Action(action_id, p))
        elif action_id in found:
            setattr(found[action_id], kind.removeprefix("action."), p)
    return list(found.values())


def _who(by: Any) -> str:
    return {"human": "the person", "policy:read": "policy (reads run)"}.get(str(by), str(by))


def make_recipe(
    journal: Journal, session_id: str, *, redact: Callable[[Any], Any] | None = None
) -> str:
    """A recipe script re-running the session's approved actions, with no model."""
    if redact is None:
        from assistant.secrets import redactor

        redact = redactor().redact
    info = journal.get_session(session_id)
    check = journal.verify(info.id)
    events = [(e.kind, redact(e.payload)) for e in journal.events(info.id)]
    book = ParamBook()
    included: list[tuple[_Action, int]] = []
    entries: list[tuple[str, _Action]] = []  # ("step" | "left out", action)
    for action in _actions(events):
        p = action.proposed
        tool, args = p.get("tool"), p.get("args")
        if not isinstance(tool, str) or not isinstance(args, dict):
            continue
        runs = (
            action.approved is not None
            and action.result is not None
            and action.result.get("ok") is True
        )
        unknown = action.approved is not None and action.result is None
        if runs or unknown:
            number = len(included) + 1
            included.append((action, number))
            book.note(number, tool, args, _targets(p))
            entries.append(("step", action))
        else:
            entries.append(("left out", action))
    book.assign_names()
    numbers = {a.action_id: n for a, n in included}
    made = {a.action_id: _step(a, book) for a, _ in included}
    book.keep_used({numbers[aid]: step["args"] for aid, step in made.items()})
    steps: list[dict[str, Any]] = []
    lines = _header(info, check.ok, check.reason)
    lines += _params_block(book)
    lines.append("STEPS = [")
    for what, action in entries:
        p = action.proposed
        if what == "left out":
            lines.append(f"    # left out: {_left_out(action)}")
            continue
        number = numbers[action.action_id]
        step = made[action.action_id]
        steps.append(step)
        effect = comment(str(p.get("effect", "?")), 20)
        decided = comment(
            _who((action.decided or {}).get("by") or (action.approved or {}).get("by")), 40
        )
        lines.append(f"    # step {number}: {comment(str(p.get('summary', '')))}")
        lines.append(f"    #   ({effect}; approved by {decided})")
        if "flag" in step:
            lines.append("    # FLAGGED: " + comment(UNKNOWN_FLAG, 200))
        lines.append("    " + literal(step, 4) + ",")
    lines.append("]")
    lines += ["", "", FOOTER.rstrip("\n")]
    text = "\n".join(lines) + "\n"
    _check_round_trip(text, book, steps)
    return text


def _targets(p: dict[str, Any]) -> list[str]:
    raw = p.get("targets")
    return [t for t in raw if isinstance(t, str)] if isinstance(raw, list) else []


def _step(action: _Action, book: ParamBook) -> dict[str, Any]:
    p = action.proposed
    tool = p["tool"]
    step: dict[str, Any] = {"tool": tool, "args": book.template(tool, p["args"], _targets(p))}
    if action.result is not None:
        data = action.result.get("data")
        output = action.result.get("output")
        step["expect"] = observe(
            tool,
            action.result.get("ok") is True,
            output if isinstance(output, str) else "",
            data if isinstance(data, dict) else {},
        )
    step["source_action"] = action.action_id
    if action.result is None:
        step["flag"] = "outcome unknown"
    return step


def _left_out(action: _Action) -> str:
    p = action.proposed
    what = f"{p.get('tool', '?')} {p.get('summary', '')}".strip()
    d = action.decided or {}
    if d.get("verdict") == "deny":
        reason = f": {d['reason']}" if d.get("reason") else ""
        return comment(f"{what} (denied by {_who(d.get('by'))}{reason})", 200)
    if d.get("verdict") == "edit":
        return comment(f"{what} (edited before it ran; the edited call follows)", 200)
    if action.result is not None:
        why = action.result.get("display") or str(action.result.get("output", ""))[:120]
        return comment(f"{what} (failed in the source session: {why})", 200)
    if action.error is not None:
        return comment(f"{what} (refused: {action.error.get('message', '')})", 200)
    return comment(f"{what} (never decided: the session stopped first)", 200)


def _safe(text: Any, pattern: str = r"[^0-9A-Za-z:.TZ_-]") -> str:
    """Text for the docstring, reduced to characters that cannot end or escape it."""
    return re.sub(pattern, "", str(text))[:64]


def _header(info: Any, ok: bool, reason: str) -> list[str]:
    sid, when = _safe(info.id), _safe(info.created_at).replace("T", " ")
    chain = "chain intact" if ok else "CHAIN ALTERED: " + reason
    return [
        f'"""Recipe: re-runs the approved actions of session {sid[:8]}, with no model.',
        "",
        f"Made from session {sid} (started {when}).",
        "Steps run in order through the same tools, policy and approvals as a live session:",
        "reads run, writes show their preview and are asked for. `assistant recipe run` reads",
        "RECIPE, PARAMS and STEPS as data and never executes this file. A step whose result",
        "differs from the recording is reported; after a write that differs, the run stops",
        "before the next write (--keep-going runs on).",
        "",
        "    assistant recipe run THIS_FILE --dry-run     # each step's preview against today's files",
        "    assistant recipe run THIS_FILE --param NAME=VALUE",
        "    python THIS_FILE --dry-run                   # the same, through the footer below",
        '"""',
        "",
        f"# Source session title: {comment(info.title or '(untitled)')}",
        f"# Journal check when this recipe was made: {comment(chain)}",
        "",
        "RECIPE = "
        + literal(
            {
                "format": FORMAT,
                "source_session": info.id,
                "source_started": info.created_at,
                "source_workspace": info.workspace,
            }
        ),
        "",
    ]


def _params_block(book: ParamBook) -> list[str]:
    params = book.ordered()
    lines = ["# Named parameters: the source session's values are the defaults."]
    lines.append("# Override with --param NAME=VALUE; every step that uses one follows it.")
    if not params:
        return [*lines, "PARAMS = {}", ""]
    lines.append("PARAMS = {")
    for p in params:
        used = ", ".join(str(n) for n in p.steps)
        what = "server" if p.kind == "url" else "file"
        plural = "s" if len(p.steps) > 1 else ""
        lines.append(
            f"    {str_literal(p.name)}: {str_literal(p.value)},  # {what}, step{plural} {used}"
        )
    return [*lines, "}", ""]


def _check_round_trip(text: str, book: ParamBook, steps: list[dict[str, Any]]) -> None:
    """The file must read back as exactly what was meant (a bug here must not ship a recipe)."""
    try:
        recipe = load(text, "the generated recipe")
    except RecipeError as exc:
        raise RecipeError(f"internal error: the recipe does not read back ({exc})") from None
    want = {p.name: p.value for p in book.ordered()}
    got = [
        {
            k: v
            for k, v in (("tool", s.tool), ("args", s.args), ("expect", s.expect))
            if v is not None
        }
        for s in recipe.steps
    ]
    meant = [{k: s[k] for k in ("tool", "args", "expect") if k in s} for s in steps]
    if recipe.params != want or got != meant:
        raise RecipeError("internal error: the recipe does not read back as written")
