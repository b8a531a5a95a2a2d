"""The recipe file as a reviewer reads it: a header saying where it came from, the parameters,
then one block per step in a fixed order; checked by reading it back before it is handed out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.recipes._spec import Recipe, RecipeError
from assistant.recipes._template import escape
from assistant.recipes._toml import comment, table

ARG_ORDER = (
    "method", "url", "headers", "query", "body", "timeout", "save_to",
    "path", "mode", "sql", "rows", "limit", "offset", "command",
)  # fmt: skip
STEP_ORDER = (
    "kind", "tool", "title", "confirm", "source_action", "flag", "prompt", "tools", "max_calls",
)  # fmt: skip

INTRO = """\
This file is data: `assistant recipe run` reads it and never executes anything in it.
Each [[steps]] block is one step: a recorded tool call replayed through the same gate as a live
session (reads run; writes are previewed and asked for), or kind = "live": a bounded task for
the model. [steps.expect] is what a re-run must match (edit it freely); [steps.recorded] is what
the session got, compared only with --strict. ${name} is a parameter from [params]; $$ is a $.
[steps.args_json] holds arguments as JSON text, exactly as sent (key order kept).

  assistant recipe show THIS_FILE
  assistant recipe run THIS_FILE --dry-run
  assistant recipe run THIS_FILE --param NAME=VALUE
  assistant recipe test THIS_FILE --fixtures DIR"""


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return False


def _ordered_args(
    args: Mapping[str, Any], args_json: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Arguments in a fixed order; a value TOML cannot hold (null) goes to args_json as JSON."""
    keys = [k for k in ARG_ORDER if k in args] + sorted(k for k in args if k not in ARG_ORDER)
    plain: dict[str, Any] = {}
    as_json = dict(args_json)
    for key in keys:
        value = args[key]
        if value is None:
            continue
        if _has_null(value):
            as_json[key] = escape(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        else:
            plain[key] = value
    return plain, as_json


def _step_lines(step: Mapping[str, Any]) -> list[str]:
    comments = ["# " + comment(str(c)) for c in step.get("_comments", [])]
    body = {k: step[k] for k in STEP_ORDER if k in step}
    lines = table(["steps"], body, array=True, comments=comments)
    if step.get("kind", "tool") == "tool":
        args, args_json = _ordered_args(step.get("args", {}), step.get("args_json", {}))
        if args:
            lines += ["", *table(["steps", "args"], args)]
        if args_json:
            lines += ["", *table(["steps", "args_json"], args_json)]
    expect = step.get("expect")
    if expect is not None:
        lines += ["", *table(["steps", "expect"], expect)]
    suggested = step.get("_suggested") or {}
    if suggested:
        lines += ["# Values that must match, if you want them checked (uncomment):"]
        lines += ["# " + line for line in table(["steps", "expect", "fields"], suggested)]
    if step.get("recorded"):
        lines += ["", *table(["steps", "recorded"], step["recorded"])]
    for call in step.get("calls", []):
        args, args_json = _ordered_args(call.get("args", {}), call.get("args_json", {}))
        lines += ["", *table(["steps", "calls"], {"tool": call["tool"]}, array=True)]
        if args:
            lines += ["", *table(["steps", "calls", "args"], args)]
        if args_json:
            lines += ["", *table(["steps", "calls", "args_json"], args_json)]
    return lines


def render(
    header: Mapping[str, Any],
    params: Sequence[tuple[str, str, str]],
    entries: Sequence[tuple[str, Any]],
) -> tuple[str, Recipe]:
    """The file's text and the recipe it reads back as; RecipeError if they would disagree."""
    sid = str(header.get("source_session", ""))
    title = str(header.get("source_title") or "(untitled)")
    lines = [
        "# " + comment(f"Recipe made from session {sid[:8]} \u00b7 {title}"),
        "# "
        + comment(
            f"Session started {header.get('source_started', '?')}; journal check: "
            f"{header.get('journal_check', '?')}"
        ),  # fmt: skip
        "#",
        *[("# " + line).rstrip() for line in INTRO.splitlines()],
        "",
        *table(["recipe"], dict(header)),
    ]
    for name, value, description in params:
        lines += ["", *table(["params", name], {"value": value, "description": description})]
    meant: list[dict[str, Any]] = []
    for what, entry in entries:
        if what == "left out":
            lines += ["", "# " + comment(f"left out: {entry}", 200)]
            continue
        lines += ["", *_step_lines(entry)]
        meant.append(entry)
    text = "\n".join(lines).rstrip("\n") + "\n"
    return text, _read_back(text, meant)


def _read_back(text: str, meant: list[dict[str, Any]]) -> Recipe:
    from assistant.recipes._reader import load

    try:
        recipe = load(text, "the generated recipe")
    except RecipeError as exc:
        raise RecipeError(f"internal error: the recipe does not read back ({exc})") from None
    if len(recipe.steps) != len(meant):
        raise RecipeError("internal error: the recipe does not read back as written")
    for step, want in zip(recipe.steps, meant, strict=True):
        args, args_json = _ordered_args(want.get("args", {}), want.get("args_json", {}))
        same = (
            step.kind == want.get("kind", "tool")
            and step.tool == want.get("tool", "")
            and step.args == args
            and step.args_json == args_json
            and step.expect == (want.get("expect") or {})
            and step.recorded == (want.get("recorded") or {})
            and step.prompt == want.get("prompt", "")
        )
        if not same:
            raise RecipeError(f"internal error: step {step.number} does not read back as written")
    return recipe
