"""A recipe file as data: writing Python literals a reviewer can read, and reading them back with
``ast`` only. A recipe is a valid Python script, yet loading one never executes it."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.recipes._expect import LABELS
from assistant.recipes._template import NAME, TemplateError, check_value, names_in

FORMAT = 1
MAX_FILE_BYTES = 5_000_000
MAX_STEPS = 1000
WIDTH = 96
STEP_KEYS = {"tool", "args", "expect", "source_action", "flag"}

FOOTER = """\
if __name__ == "__main__":
    import sys

    from assistant.recipes import script_main

    sys.exit(script_main(__file__))
"""
"""The only code a recipe may hold: `python recipe.py ...` hands over to `assistant recipe run`."""


class RecipeError(Exception):
    """A recipe that cannot be made, read or run as asked; the message says where and why."""


@dataclass(frozen=True)
class Step:
    """One tool call of a recipe; ``args`` may hold ``${param}`` placeholders."""

    number: int
    tool: str
    args: dict[str, Any]
    expect: dict[str, Any] | None = None
    source_action: str | None = None
    flag: str | None = None
    """Set when the source session could not say how this step ended (outcome unknown)."""


@dataclass(frozen=True)
class Recipe:
    """A checked recipe: RECIPE (``info``), PARAMS defaults, STEPS, and the file's sha256."""

    info: dict[str, Any]
    params: dict[str, str]
    steps: tuple[Step, ...]
    sha256: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- writing -----------------------------------------------------------------------------------


def str_literal(text: str) -> str:
    """A Python string literal for ``text``: double quotes, non-printable characters escaped
    (``repr`` escapes controls, bidi and zero-width marks), so the file shows what it holds."""
    r = repr(text)
    if r.startswith("'") and '"' not in text:
        r = '"' + r[1:-1] + '"'  # no quote of either kind inside: only the delimiters change
    return r


def literal(value: Any, indent: int = 0) -> str:
    """Readable Python source for a JSON-like value, one item per line when it is long."""
    if isinstance(value, str):
        return str_literal(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, dict):
        items = [f"{str_literal(str(k))}: {literal(v, indent + 4)}" for k, v in value.items()]
        open_, close = "{", "}"
    elif isinstance(value, list | tuple):
        items = [literal(v, indent + 4) for v in value]
        open_, close = "[", "]"
    else:
        raise RecipeError(f"cannot write a {type(value).__name__} into a recipe")
    if not items:
        return open_ + close
    inline = open_ + ", ".join(items) + close
    if "\n" not in inline and indent + len(inline) <= WIDTH:
        return inline
    pad = " " * (indent + 4)
    return open_ + "\n" + "".join(f"{pad}{item},\n" for item in items) + " " * indent + close


def comment(text: str, width: int = 90) -> str:
    """Untrusted text made safe for one comment line: escaped, on one line, cut."""
    from tools.base import escape_text

    line = escape_text(text).replace("\n", "\\n").replace("\t", " ")
    return line if len(line) <= width else line[: width - 1] + "…"


# -- reading -----------------------------------------------------------------------------------


def load(text: str | bytes, where: str = "the recipe") -> Recipe:
    """Parse a recipe file without running it: RECIPE, PARAMS and STEPS must be plain literals,
    and the only other code allowed is the standard footer."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_FILE_BYTES:
        raise RecipeError(f"{where} is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{where} is not UTF-8 text (byte {exc.start})") from None
    try:
        tree = ast.parse(source, filename=where)
    except SyntaxError as exc:
        raise RecipeError(f"{where}: not valid Python at line {exc.lineno}: {exc.msg}") from None
    found = _assignments(tree, where)
    for name in ("RECIPE", "PARAMS", "STEPS"):
        if name not in found:
            raise RecipeError(f"{where}: no {name} = ... assignment; is this a recipe?")
    info = _info(found["RECIPE"], where)
    params = _params(found["PARAMS"], where)
    steps = _steps(found["STEPS"], params, where)
    return Recipe(info, params, steps, hashlib.sha256(raw).hexdigest())


_FOOTER_DUMP = ast.dump(ast.parse(FOOTER).body[0])


def _assignments(tree: ast.Module, where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for i, node in enumerate(tree.body):
        line = getattr(node, "lineno", "?")
        value = node.value if isinstance(node, ast.Expr) else None
        if i == 0 and isinstance(value, ast.Constant) and isinstance(value.value, str):
            continue  # the docstring
        if isinstance(node, ast.If) and ast.dump(node) == _FOOTER_DUMP:
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("RECIPE", "PARAMS", "STEPS")
        ):
            name = node.targets[0].id
            if name in found:
                raise RecipeError(f"{where}, line {line}: {name} is assigned twice")
            try:
                found[name] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise RecipeError(
                    f"{where}, line {line}: {name} must be a plain literal (text, numbers, "
                    "lists, dicts), not an expression"
                ) from None
            continue
        raise RecipeError(
            f"{where}, line {line}: a recipe holds only RECIPE, PARAMS and STEPS literals and "
            'the standard `if __name__ == "__main__"` footer; remove anything else'
        )
    return found


def _info(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise RecipeError(f'{where}: RECIPE must be a dict with "format": {FORMAT}')
    return dict(value)


def _params(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RecipeError(f"{where}: PARAMS must be a dict of name -> text")
    for name, default in value.items():
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise RecipeError(
                f"{where}: parameter name {name!r} must be lower_case letters, digits and _"
            )
        try:
            check_value(name, default)
        except TemplateError as exc:
            raise RecipeError(f"{where}: {exc}") from None
    return dict(value)


def _steps(value: Any, params: Mapping[str, str], where: str) -> tuple[Step, ...]:
    if not isinstance(value, list):
        raise RecipeError(f"{where}: STEPS must be a list of steps")
    if len(value) > MAX_STEPS:
        raise RecipeError(f"{where}: more than {MAX_STEPS} steps")
    steps = []
    for n, raw in enumerate(value, 1):
        here = f"{where}, step {n}"
        if not isinstance(raw, dict):
            raise RecipeError(f"{here}: a step must be a dict with tool and args")
        unknown = sorted(set(raw) - STEP_KEYS, key=str)
        if unknown:
            raise RecipeError(f"{here}: unknown key(s) {', '.join(map(repr, unknown))}")
        tool, args = raw.get("tool"), raw.get("args")
        if not isinstance(tool, str) or not tool:
            raise RecipeError(f"{here}: tool must be a tool name")
        if not isinstance(args, dict):
            raise RecipeError(f"{here}: args must be a dict")
        expect = raw.get("expect")
        if expect is not None and (not isinstance(expect, dict) or not set(expect) <= set(LABELS)):
            raise RecipeError(f"{here}: expect may only hold {', '.join(sorted(LABELS))}")
        for key in ("source_action", "flag"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise RecipeError(f"{here}: {key} must be text")
        _check_placeholders(args, params, here)
        steps.append(Step(n, tool, args, expect, raw.get("source_action"), raw.get("flag")))
    return tuple(steps)


def _check_placeholders(value: Any, params: Mapping[str, str], here: str) -> None:
    if isinstance(value, str):
        try:
            names = names_in(value)
        except TemplateError as exc:
            raise RecipeError(f"{here}: {exc}") from None
        for name in names:
            if name not in params:
                raise RecipeError(f"{here}: ${{{name}}} is not in PARAMS")
    elif isinstance(value, dict):
        for v in value.values():
            _check_placeholders(v, params, here)
    elif isinstance(value, list):
        for v in value:
            _check_placeholders(v, params, here)
