"""The Markdown transcript. Untrusted text (prompts, answers, previews, outputs) only ever appears
inside code: fenced blocks whose fence is longer than any backtick run inside, or code spans, so
it can neither render as links, images or HTML nor close its block; control characters are
escaped first."""

from __future__ import annotations

import re

from assistant import present
from assistant.export._transcript import (
    NOTES,
    Item,
    Transcript,
    action_facts,
    fault_line,
    header_facts,
)
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
    return code(present.utc(ts))


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
            out += [fenced(item.text), ""] if item.extra or item.cut else [fenced(item.text)]
        if item.cut:
            out.append(f"_{item.cut}_")
        if item.extra:
            out.append(f"_Calls:_ {code(item.extra)}")
        return out
    if item.kind == "action" and item.life is not None:
        return _action(item)
    if item.kind not in NOTES:
        return []
    extra = f" ({code(item.extra)})" if item.extra else ""
    body = f": {code(item.text)}" if item.text else ""
    out = [f"> **{NOTES[item.kind]}**{extra}{body}"]
    if item.kind == "call_error":
        for fault in item.faults:
            out += [">", f"> _Internal error:_ {code(fault_line(fault))}"]
    return out


def _action(item: Item) -> list[str]:
    life = item.life
    assert life is not None
    p = life.proposed
    out = [
        f"### Action {code(p.action_id)} · {code(present.effect_tag(p.effect))} · {code(p.tool)}",
        "",
        f"- **What:** {code(p.summary)}",
        f"- **When:** {_time(item.ts)}",
    ]
    out += [f"- **{label}:** {code(value)}" for label, value in action_facts(life)]
    preview = p.preview.get("text")
    if isinstance(preview, str) and preview:
        out += ["", "Preview:", "", fenced(preview)]
    if life.result is not None:
        if life.result.display:
            out += ["", f"Result: {code(life.result.display)}"]
        if life.result.output:
            out += ["", fenced(life.result.output)]
    return out
