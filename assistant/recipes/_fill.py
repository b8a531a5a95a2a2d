"""From a recipe and the person's ``--param`` values to concrete tool calls, every one checked
before the first step runs (a value that does not fit where it is used is refused up front)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.recipes._params import ARG_CONTEXTS
from assistant.recipes._spec import Call, Recipe, RecipeError, Step
from assistant.recipes._template import NAME, TemplateError, check_value, fill, fill_args, fill_json
from tools.base import escape_text


@dataclass(frozen=True)
class Filled:
    """A step with its placeholders filled: ``args`` for a tool step, ``prompt`` and
    ``expect`` (and each recorded call) for a live step."""

    step: Step
    args: dict[str, Any]
    prompt: str = ""
    expect: dict[str, Any] | None = None
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """--param NAME=VALUE strings -> a dict; RecipeError names a malformed one."""
    out: dict[str, str] = {}
    for raw in pairs:
        name, sep, value = raw.partition("=")
        name = name.strip()
        if not sep or not NAME.fullmatch(name):
            raise RecipeError(
                f"--param {escape_text(raw)!r}: expected NAME=VALUE, e.g. output_csv=out.csv"
            )
        out[name] = value
    return out


def valid_names(recipe: Recipe) -> str:
    if not recipe.params:
        return "this recipe has no parameters"
    width = max(len(name) for name in recipe.params)
    lines = [
        f"  {p.name:<{width}}  {escape_text(p.description)}".rstrip()
        for p in recipe.params.values()
    ]
    return "the parameters are:\n" + "\n".join(lines)


def resolve_params(recipe: Recipe, overrides: Mapping[str, str]) -> dict[str, str]:
    """The recipe's values with the person's overrides; an unknown name lists the valid ones."""
    unknown = sorted(set(overrides) - set(recipe.params))
    if unknown:
        names = ", ".join(sorted(recipe.params)) or "none"
        raise RecipeError(
            f"unknown parameter {', '.join(unknown)}; valid names: {names}\n{valid_names(recipe)}"
        )
    for name, value in overrides.items():
        try:
            check_value(name, value)
        except TemplateError as exc:
            raise RecipeError(str(exc)) from None
    return {**recipe.defaults, **overrides}


def call_args(
    tool: str, args: Mapping[str, Any], args_json: Mapping[str, str], values: Mapping[str, str]
) -> dict[str, Any]:
    """One call's concrete arguments: templates filled for where each lands, JSON text parsed
    with its key order kept (so the tool sends exactly the recorded bytes)."""
    contexts = ARG_CONTEXTS.get(tool, {})
    out: dict[str, Any] = fill_args(dict(args), values, contexts)
    for key, text in args_json.items():
        try:
            out[key] = json.loads(fill_json(text, values))
        except ValueError as exc:
            raise TemplateError(f"args_json.{key}: not valid JSON once filled ({exc})") from None
    return out


def fill_steps(recipe: Recipe, values: Mapping[str, str]) -> list[Filled]:
    out = []
    for step in recipe.steps:
        try:
            if step.kind == "live":
                out.append(_live(step, values))
            else:
                out.append(Filled(step, call_args(step.tool, step.args, step.args_json, values)))
        except TemplateError as exc:
            raise RecipeError(f"{step.label}: {exc}") from None
    return out


def _live(step: Step, values: Mapping[str, str]) -> Filled:
    expect = dict(step.expect)
    if isinstance(expect.get("file"), str):
        expect["file"] = fill(expect["file"], values, "path")
    calls = tuple((c.tool, call_args(c.tool, c.args, c.args_json, values)) for c in step.calls)
    return Filled(step, {}, fill(step.prompt, values, "text"), expect, calls)


def check_tools(recipe: Recipe, known: Iterable[str]) -> None:
    names = set(known)
    listed = ", ".join(sorted(names))
    for step in recipe.steps:
        wanted = (
            [step.tool] if step.kind == "tool" else [*step.tools, *(c.tool for c in step.calls)]
        )
        for tool in wanted:
            if tool not in names:
                raise RecipeError(f"{step.label}: unknown tool {tool!r}; the tools are: {listed}")


def recorded_calls(step: Step) -> tuple[Call, ...]:
    return step.calls
