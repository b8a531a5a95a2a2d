"""The Markdown transcript. Untrusted text (prompts, answers, previews, outputs) only ever appears
inside code: fenced blocks whose fence is longer than any backtick run inside, or code spans, so
it can neither render as links, images or HTML nor close its block; control characters are
escaped first."""

from __future__ import annotations

import re

from assistant.export._transcript import STATE_WORDS, Item, Transcript, decision_lines, header_facts
from tools.base import escape_text

_TICKS = re.compile(r"`+")


def _longest_run(text: str) -> int:
    return max((len(m) for m in _TICKS.findall(text)), default=0)


def fenced(text: str, info: str = "text") -> str:
    """A fenced block that the text cannot close, whatever backticks it holds."""
    body = escape_text(text)
    fence = "`" * max(3, _longest_run(body) + 1)
    end = "" if body.endswith("\n") else "\n"
    return f"{fence}{info}\n{body}{end}{fence}"


def code(text: str) -> str:
    """An inline code span on one line (newlines shown as \\n)."""
    body = escape_text(text).replace("\n", "\\n").replace("\t", " ")
    if not body:
        return "` `"
    ticks = "`" * (_longest_run(body) + 1)
    edge = body.startswith("`") or body.endswith("`")
    pad = " " if edge or (body.startswith(" ") and body.endswith(" ")) else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def _time(ts: str) -> str:
    return code(ts.replace("T", " "))


def render(t: Transcript) -> str:
    """The whole transcript as Markdown."""
    lines = ["# Session transcript", ""]
    lines += [f"- **{label}:** {code(value)}" for label, value in header_facts(t)]
    for item in t.items:
        lines.append("")
        lines += _item(item)
    return "\n".join(lines) + "\n"


def _item(item: Item) -> list[str]:
    if item.kind == "user":
        return [f"## Prompt · {_time(item.ts)}", "", fenced(item.text)]
    if item.kind == "assistant":
        out = [f"### Answer · {_time(item.ts)}", ""]
        if item.text:
            out += [fenced(item.text), ""] if item.extra else [fenced(item.text)]
        if item.extra:
            out.append(f"_Calls:_ {code(item.extra)}")
        return out
    if item.kind == "action" and item.action is not None:
        return _action(item)
    if item.kind == "call_error":
        return [f"> **Tool call refused** ({code(item.extra)}): {code(item.text)}"]
    if item.kind == "turn_error":
        return [f"> **Turn stopped** ({code(item.extra)}): {code(item.text)}"]
    if item.kind == "grant":
        return [f"> **Allowed for the session** (rule {code(item.extra)}): {code(item.text)}"]
    if item.kind == "revoked":
        return [f"> **Rule revoked:** {code(item.extra)}"]
    if item.kind == "end":
        return [f"> **Turn ended:** {code(item.text)}"]
    return []


def _action(item: Item) -> list[str]:
    a = item.action
    assert a is not None
    out = [
        f"### Action {code(a.action_id)} · {code(a.effect.upper() or '?')} · {code(a.tool)}",
        "",
        f"- **What:** {code(a.summary)}",
        f"- **When:** {_time(a.ts)}",
    ]
    if a.needs_person:
        out.append(f"- **Needs a person:** {code(a.needs_person)}")
    for line in decision_lines(a):
        out.append(f"- **Decision:** {code(line)}")
    out.append(f"- **Outcome:** {code(STATE_WORDS.get(a.state, a.state))}")
    if a.preview:
        out += ["", "Preview:", "", fenced(a.preview)]
    if a.result is not None:
        display = a.result.get("display")
        if isinstance(display, str) and display:
            out += ["", f"Result: {code(display)}"]
        output = a.result.get("output")
        if isinstance(output, str) and output:
            out += ["", fenced(output)]
    return out
