"""Reading a recipe file: TOML parsed as data, then every table and key checked against the
format, so anything that is not a valid recipe is refused with the line that is wrong.

Nothing in a recipe can execute: TOML has no expressions, the reader never imports or evaluates
anything, and placeholders are filled by a regular expression. A file that tries to be a script
too (a ``#!`` line, a source-encoding declaration, Python) is refused outright.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from typing import Any, NoReturn

from assistant.recipes._lines import Lines, Path
from assistant.recipes._spec import (
    CONFIRM,
    EXPECT_KEYS,
    FORMAT,
    JSON_TYPES,
    KINDS,
    LIVE_EXPECT_KEYS,
    MAX_FILE_BYTES,
    MAX_LIVE_CALLS,
    MAX_STEPS,
    RECORDED_KEYS,
    Call,
    Param,
    Recipe,
    RecipeError,
    Step,
)
from assistant.recipes._template import NAME, TemplateError, check_value, fill_json, names_in

INFO_KEYS = (
    "format",
    "source_session",
    "source_title",
    "source_started",
    "source_workspace",
    "journal_check",
    "description",
)
TOOL_KEYS = {"kind", "tool", "title", "confirm", "source_action", "flag", "args", "args_json"}
TOOL_KEYS |= {"expect", "recorded"}
LIVE_KEYS = {"kind", "title", "confirm", "source_action", "prompt", "tools", "max_calls"}
LIVE_KEYS |= {"expect", "calls"}
_TOOL_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
_PYTHON = re.compile(
    r"^\s*(RECIPE|PARAMS|STEPS)\s*=\s*[\[{]|^\s*(import|from)\s+\w|^\s*(def|class)\s+\w"
    r"|^if __name__",
    re.MULTILINE,
)


class _Check:
    """Refusals that name the file and line of the offending key."""

    def __init__(self, where: str, lines: Lines) -> None:
        self.where = where
        self.lines = lines

    def fail(self, path: Path, message: str) -> NoReturn:
        line = self.lines.of(path)
        at = f"{self.where}, line {line}" if line else self.where
        raise RecipeError(f"{at}: {message}")

    def table(self, value: Any, path: Path, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"{what} must be a table")
        return value

    def only(self, value: Mapping[str, Any], path: Path, allowed: Any, what: str) -> None:
        for key in value:
            if key not in allowed:
                listed = ", ".join(sorted(allowed))
                self.fail((*path, key), f"{what} has an unknown key {key!r} (allowed: {listed})")

    def text(self, value: Any, path: Path, what: str, *, one_line: bool = True) -> str:
        if not isinstance(value, str):
            self.fail(path, f"{what} must be text")
        shown = value.replace("\n", "") if not one_line else value
        if not shown.replace("\t", " ").isprintable():
            self.fail(path, f"{what} holds a control or invisible character")
        return value

    def count(self, value: Any, path: Path, what: str, low: int = 0, high: int = 10**12) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(path, f"{what} must be a whole number from {low} to {high}")
        return value

    def json_value(self, value: Any, path: Path) -> None:
        """Tool arguments are JSON: no dates, times or non-finite numbers."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.json_value(v, (*path, k))
        elif isinstance(value, list):
            for v in value:
                self.json_value(v, path)
        elif isinstance(value, float) and not math.isfinite(value):
            self.fail(path, f"{value!r} is not a JSON number; tool arguments are JSON values")
        elif not isinstance(value, str | int | float | bool):
            self.fail(
                path,
                f"a TOML {type(value).__name__} is not a JSON value; write dates and times as text",
            )

    def placeholders(self, value: Any, path: Path, params: Mapping[str, Param]) -> None:
        if isinstance(value, str):
            try:
                names = names_in(value)
            except TemplateError as exc:
                self.fail(path, str(exc))
            for name in names:
                if name not in params:
                    known = ", ".join(params) or "none"
                    self.fail(path, f"${{{name}}} is not a parameter (the parameters: {known})")
        elif isinstance(value, dict):
            for k, v in value.items():
                self.placeholders(v, (*path, k), params)
        elif isinstance(value, list):
            for v in value:
                self.placeholders(v, path, params)


def load(text: str | bytes, where: str = "the recipe") -> Recipe:
    """Parse and check a recipe without running anything; RecipeError says where and why."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_FILE_BYTES:
        raise RecipeError(f"{where} is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecipeError(f"{where}, line {line}: not UTF-8 text (byte {exc.start})") from None
    _refuse_script(source, where)
    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(_toml_error(str(exc), source, where)) from None
    check = _Check(where, Lines(source))
    check.only(doc, (), ("recipe", "params", "steps"), "the file")
    if "recipe" not in doc:
        raise RecipeError(f"{where}: no [recipe] table; is this a recipe?")
    info = _info(check, doc["recipe"])
    params = _params(check, doc.get("params", {}))
    steps_raw = doc.get("steps", [])
    if not isinstance(steps_raw, list):
        check.fail(("steps",), "steps must be written as [[steps]] tables")
    if len(steps_raw) > MAX_STEPS:
        check.fail(("steps",), f"more than {MAX_STEPS} steps")
    steps = tuple(_step(check, raw_step, n, params) for n, raw_step in enumerate(steps_raw))
    return Recipe(info, params, steps, hashlib.sha256(raw).hexdigest(), where)


def _refuse_script(source: str, where: str) -> None:
    first = source.split("\n", 2)
    if first and first[0].startswith("#!"):
        raise RecipeError(f"{where}, line 1: a recipe is data, not a script: remove the #! line")
    for number, line in enumerate(first[:2], 1):
        if _CODING.match(line):
            raise RecipeError(
                f"{where}, line {number}: a source-encoding declaration has no place in a "
                "recipe (it is how a file that looks like data runs as code); remove it"
            )


def _toml_error(message: str, source: str, where: str) -> str:
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    what = re.sub(r"\s*\(at .*?\)", "", message)
    at = f"{where}, line {found.group(1)}" if found else where
    text = f"{at}: not a valid recipe: not TOML ({what}"
    text += f", column {found.group(2)})" if found else ")"
    if _PYTHON.search(source):
        text += (
            ". This looks like Python (perhaps a recipe from an earlier version): recipes are "
            "TOML data files now and code is never run; export the session again with "
            "`assistant export ID --format recipe -o NAME.recipe.toml`"
        )
    return text


def _info(check: _Check, value: Any) -> dict[str, Any]:
    info = check.table(value, ("recipe",), "[recipe]")
    check.only(info, ("recipe",), INFO_KEYS, "[recipe]")
    if info.get("format") != FORMAT or isinstance(info.get("format"), bool):
        check.fail(("recipe", "format"), f"[recipe] must say format = {FORMAT}")
    for key, item in info.items():
        if key != "format":
            check.text(item, ("recipe", key), f"recipe.{key}")
    return dict(info)


def _params(check: _Check, value: Any) -> dict[str, Param]:
    table = check.table(value, ("params",), "[params]")
    out = {}
    for name, raw in table.items():
        path: Path = ("params", name)
        if not NAME.fullmatch(name):
            check.fail(path, f"parameter name {name!r} must be lower_case letters, digits and _")
        item = check.table(raw, path, f"params.{name}")
        check.only(item, path, ("value", "description"), f"params.{name}")
        if "value" not in item:
            check.fail(path, f"params.{name} needs a value (the recorded one)")
        if not isinstance(item["value"], str):
            check.fail((*path, "value"), f"params.{name}.value must be text (quote it)")
        try:
            check_value(name, item["value"])
        except TemplateError as exc:
            check.fail((*path, "value"), str(exc))
        description = check.text(
            item.get("description", ""), (*path, "description"), "a description"
        )
        out[name] = Param(name, item["value"], description)
    return out


def _step(check: _Check, raw: Any, index: int, params: Mapping[str, Param]) -> Step:
    path: Path = ("steps", index)
    number = index + 1
    step = check.table(raw, path, f"step {number}")
    kind = step.get("kind", "tool")
    if kind not in KINDS:
        check.fail((*path, "kind"), f"step {number}: kind must be one of {', '.join(KINDS)}")
    check.only(step, path, TOOL_KEYS if kind == "tool" else LIVE_KEYS, f"step {number} ({kind})")
    confirm = step.get("confirm", "policy")
    if confirm not in CONFIRM:
        check.fail(
            (*path, "confirm"), f"step {number}: confirm must be one of {', '.join(CONFIRM)}"
        )
    common: dict[str, Any] = {
        "number": number,
        "kind": kind,
        "confirm": confirm,
        "line": check.lines.of(path) or 0,
    }
    for key in ("title", "source_action", "flag"):
        if key in step:
            common[key] = check.text(step[key], (*path, key), f"step {number}: {key}")
    if kind == "live":
        return _live(check, step, path, params, common)
    tool = step.get("tool")
    if not isinstance(tool, str) or not _TOOL_NAME.fullmatch(tool):
        check.fail(
            (*path, "tool"), f'step {number}: tool must name a tool, e.g. tool = "csv_write"'
        )
    args, args_json = _args(check, step, path, params)
    expect = _expect(
        check, step.get("expect", {}), (*path, "expect"), EXPECT_KEYS.get(tool, ("ok",))
    )
    recorded = check.table(
        step.get("recorded", {}), (*path, "recorded"), f"step {number}: recorded"
    )
    check.only(recorded, (*path, "recorded"), RECORDED_KEYS, f"step {number}: recorded")
    check.json_value(recorded, (*path, "recorded"))
    return Step(
        tool=tool, args=args, args_json=args_json, expect=expect, recorded=dict(recorded), **common
    )


def _args(
    check: _Check, step: Mapping[str, Any], path: Path, params: Mapping[str, Param]
) -> tuple[dict[str, Any], dict[str, str]]:
    args = check.table(step.get("args", {}), (*path, "args"), "args")
    check.json_value(args, (*path, "args"))
    check.placeholders(args, (*path, "args"), params)
    args_json = check.table(step.get("args_json", {}), (*path, "args_json"), "args_json")
    defaults = {name: p.value for name, p in params.items()}
    for key, text in args_json.items():
        where = (*path, "args_json", key)
        check.text(text, where, f"args_json.{key}", one_line=False)
        if key in args:
            check.fail(where, f"{key} is given in both args and args_json")
        check.placeholders(text, where, params)
        try:
            json.loads(fill_json(text, defaults))
        except TemplateError as exc:
            check.fail(where, str(exc))
        except (ValueError, RecursionError) as exc:
            check.fail(where, f"args_json.{key} is not valid JSON ({exc})")
    return dict(args), dict(args_json)


def _expect(check: _Check, value: Any, path: Path, allowed: Any) -> dict[str, Any]:
    expect = check.table(value, path, "expect")
    check.only(expect, path, allowed, "expect")
    check.json_value(expect, path)
    for key, item in expect.items():
        here = (*path, key)
        if key == "ok" and not isinstance(item, bool):
            check.fail(here, "expect.ok must be true or false")
        elif key in ("rows", "min_rows", "rows_after", "bytes", "exit_status"):
            check.count(item, here, f"expect.{key}")
        elif key == "status" and not (
            (isinstance(item, str) and re.fullmatch(r"[1-5]xx|[1-5][0-9][0-9]", item))
            or (isinstance(item, int) and not isinstance(item, bool))
            or (isinstance(item, list) and all(isinstance(i, int) for i in item))
        ):
            check.fail(here, 'expect.status must be a class ("2xx"), a status (201) or a list')
        elif key in ("content_type", "file"):
            check.text(item, here, f"expect.{key}")
        elif key == "shape":
            table = check.table(item, here, "expect.shape")
            for name, kind in table.items():
                if kind not in JSON_TYPES:
                    check.fail((*here, name), f"a shape type is one of {', '.join(JSON_TYPES)}")
        elif key == "fields":
            check.table(item, here, "expect.fields")
        elif key in ("volatile", "columns") and not (
            isinstance(item, list) and all(isinstance(i, str) for i in item)
        ):
            check.fail(here, f"expect.{key} must be a list of text")
    return dict(expect)


def _live(
    check: _Check,
    step: Mapping[str, Any],
    path: Path,
    params: Mapping[str, Param],
    common: dict[str, Any],
) -> Step:
    number = common["number"]
    prompt = check.text(
        step.get("prompt"), (*path, "prompt"), f"step {number}: prompt", one_line=False
    )
    if not prompt.strip():
        check.fail((*path, "prompt"), f"step {number}: a live step needs a prompt")
    check.placeholders(prompt, (*path, "prompt"), params)
    tools = step.get("tools")
    if (
        not isinstance(tools, list)
        or not tools
        or not all(isinstance(t, str) and _TOOL_NAME.fullmatch(t) for t in tools)
        or len(set(tools)) != len(tools)
    ):
        check.fail((*path, "tools"), f"step {number}: tools must list the tools the step may use")
    max_calls = check.count(
        step.get("max_calls", 5), (*path, "max_calls"), "max_calls", 1, MAX_LIVE_CALLS
    )
    expect = _expect(check, step.get("expect", {}), (*path, "expect"), LIVE_EXPECT_KEYS)
    check.placeholders(expect, (*path, "expect"), params)
    calls = step.get("calls", [])
    if not isinstance(calls, list):
        check.fail((*path, "calls"), "calls must be written as [[steps.calls]] tables")
    recorded = []
    for i, raw in enumerate(calls):
        here: Path = (*path, "calls", i)
        call = check.table(raw, here, "a recorded call")
        check.only(call, here, ("tool", "args", "args_json"), "a recorded call")
        tool = call.get("tool")
        if not isinstance(tool, str) or not _TOOL_NAME.fullmatch(tool):
            check.fail((*here, "tool"), "a recorded call must name its tool")
        args, args_json = _args(check, call, here, params)
        recorded.append(Call(tool, args, args_json))
    return Step(
        prompt=prompt,
        tools=tuple(tools),
        max_calls=max_calls,
        expect=expect,
        calls=tuple(recorded),
        **common,
    )
