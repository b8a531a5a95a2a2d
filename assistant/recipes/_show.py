"""``assistant recipe show``: where a recipe came from, its parameters and its steps, in a
few lines a person reads before running it."""

from __future__ import annotations

from typing import Any

from assistant import present
from assistant.recipes._spec import Recipe, Step
from tools.base import escape_text


def _cut(text: str, width: int = 100) -> str:
    line = escape_text(text).replace("\n", " ⏎ ")
    return line if len(line) <= width else line[: width - 1] + "…"


def _expects(step: Step) -> str:
    e = step.expect
    parts: list[str] = []
    if "status" in e:
        parts.append(f"status {e['status']}")
    if "content_type" in e:
        parts.append(str(e["content_type"]))
    if "shape" in e:
        moving = len(e.get("volatile") or [])
        parts.append(
            f"JSON with {present.plural(len(e['shape']), 'key')}"
            + (f" ({moving} volatile)" if moving else "")
        )
    if e.get("fields"):
        parts.append("fields " + ", ".join(f"{k}={v!r}" for k, v in e["fields"].items()))
    if "columns" in e:
        parts.append("columns " + ", ".join(map(str, e["columns"])))
    for key in ("rows", "min_rows", "rows_after", "bytes", "exit_status"):
        if key in e:
            parts.append(f"{key.replace('_', ' ')} {e[key]}")
    if "file" in e:
        parts.append(f"writes {e['file']}")
    if e.get("ok") is False:
        parts.append("fails")
    return ", ".join(parts) or "that it succeeds"


def _request(args: dict[str, Any], args_json: dict[str, str]) -> str:
    text = f"{args.get('method', 'GET')} {args.get('url', '')}"
    if "json" in args_json:
        text += f"  body {args_json['json']}"
    elif isinstance(args.get("body"), str):
        text += f"  body {args['body']}"
    if isinstance(args.get("save_to"), str):
        text += f"  → {args['save_to']}"
    return text


def _what(step: Step) -> str:
    if step.kind == "live":
        return f"live · {step.prompt}"
    if step.tool == "http_request":
        return _request(step.args, step.args_json)
    args = step.args
    if step.tool == "csv_write":
        source = f" from {args['sql']}" if isinstance(args.get("sql"), str) else ""
        given = args.get("rows")
        rows = f" ({present.plural(len(given), 'row')} given)" if isinstance(given, list) else ""
        return f"csv_write {args.get('mode', '')} {args.get('path', '')}{source}{rows}"
    for key in ("sql", "command", "path"):
        if isinstance(args.get(key), str):
            return f"{step.tool} {args[key]}"
    return f"{step.tool} {step.title}"


def show(recipe: Recipe) -> list[str]:
    info = recipe.info
    sid = str(info.get("source_session") or "?")
    lines = [
        _cut(
            f"{recipe.where} · recipe from session {sid[:8]} · {info.get('source_title') or '(untitled)'}"
        ),
        _cut(
            f"  recorded {info.get('source_started', '?')} in {info.get('source_workspace', '?')}; "
            f"journal check: {info.get('journal_check', '?')}"
        ),  # fmt: skip
        "",
    ]
    if recipe.params:
        lines.append("parameters (change with --param NAME=VALUE):")
        width = max(len(n) for n in recipe.params)
        for p in recipe.params.values():
            lines.append(_cut(f"  {p.name:<{width}}  {p.value}  · {p.description}", 140))
    else:
        lines.append("parameters: none")
    lines += ["", f"steps ({len(recipe.steps)}):"]
    for step in recipe.steps:
        confirm = " · a person confirms" if step.confirm == "always" else ""
        flag = f" · FLAGGED: {step.flag}" if step.flag else ""
        lines.append(_cut(f"  {step.number:>2}. {_what(step)}{confirm}{flag}", 140))
        if step.kind == "live":
            lines.append(_cut(f"      tools {', '.join(step.tools)} · at most "
                              f"{present.plural(step.max_calls, 'call')} · "
                              f"expects {_expects(step)}"))  # fmt: skip
        else:
            lines.append(_cut(f"      expects {_expects(step)}"))
    return lines
