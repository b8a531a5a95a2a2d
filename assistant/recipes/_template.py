"""Recipe placeholders: ``${name}`` in step arguments, ``$$`` for a literal dollar, checked per use.

The syntax is data, not code: substitution is a regex replacement of known parameter names, so
loading or filling a recipe can never run anything. Where a value lands decides what it may
hold (no quote inside an SQL literal, no spaces or operators in a shell word, only an origin at
the start of a URL), so a ``--param`` can change a target but not the shape of a step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TOKEN = re.compile(r"\$(\$|\{([^{}]*)\})")
_NEEDS_ESCAPE = re.compile(r"\$(?=[${])")
_SHELL_WORD = re.compile(r"[A-Za-z0-9._/@%+=:,-]+")
_URL_PREFIX = re.compile(r"https?://[^\s/?#@\\]+(/[^\s?#\\]*)?", re.IGNORECASE)
_URL_PART = re.compile(r"[A-Za-z0-9._~-]+")
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


class TemplateError(ValueError):
    """A placeholder that names no parameter, or a value that does not fit where it is used."""


def escape(literal: str) -> str:
    """A literal string spelled so that substitution gives it back unchanged."""
    return _NEEDS_ESCAPE.sub("$$", literal)


def placeholder(name: str) -> str:
    return "${" + name + "}"


def names_in(template: str) -> list[str]:
    """The parameter names a template refers to, in order; TemplateError for a malformed one."""
    found = []
    for match in _TOKEN.finditer(template):
        if match.group(1) == "$":
            continue
        name = match.group(2)
        if not NAME.fullmatch(name):
            raise TemplateError(f"${{{name}}} is not a parameter name (use lower_case letters)")
        found.append(name)
    return found


def fill(template: str, params: Mapping[str, str], context: str = "text") -> str:
    """Replace placeholders with parameter values, checking each value against ``context``:
    "text" (anything printable), "path", "url" (an origin may start the string; elsewhere a
    value is one path segment or query value), "sql" (inside a quoted literal), "shell" (one
    plain word) or "json" (see ``fill_json``)."""
    if context == "json":
        return fill_json(template, params)
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(template):
        out.append(template[pos : match.start()])
        pos = match.end()
        if match.group(1) == "$":
            out.append("$")
            continue
        name = match.group(2)
        if name not in params:
            raise TemplateError(f"${{{name}}} is not in PARAMS")
        value = params[name]
        _check(name, value, context, at_start=match.start() == 0)
        out.append(value)
    out.append(template[pos:])
    return "".join(out)


def fill_json(template: str, params: Mapping[str, str]) -> str:
    """Fill a JSON text: inside a JSON string a value is escaped as JSON; outside one it must be
    a JSON number, true, false or null, so a parameter changes a value, never the structure."""
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == '"':
            in_string = not in_string
        elif ch == "\\" and in_string:
            out.append(template[i : i + 2])
            i += 2
            continue
        elif ch == "$" and (match := _TOKEN.match(template, i)):
            i = match.end()
            if match.group(1) == "$":
                out.append("$")
                continue
            name = match.group(2)
            if name not in params:
                raise TemplateError(f"${{{name}}} is not in PARAMS")
            value = params[name]
            check_value(name, value)
            if in_string:
                out.append(json.dumps(value, ensure_ascii=False)[1:-1])
            elif _JSON_SCALAR.fullmatch(value):
                out.append(value)
            else:
                raise TemplateError(
                    f"parameter {name}: it stands for a JSON number here (or true, false, null); "
                    f"{value!r} is not one"
                )
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def fill_args(args: Any, params: Mapping[str, str], contexts: Mapping[str, str]) -> Any:
    """``fill`` over every string in a JSON-like value; keys are never templates. ``contexts``
    maps a top-level argument name to its context (default "text")."""

    def walk(value: Any, context: str) -> Any:
        if isinstance(value, str):
            return fill(value, params, context)
        if isinstance(value, dict):
            return {k: walk(v, context) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, context) for v in value]
        return value

    if not isinstance(args, dict):
        return walk(args, "text")
    return {k: walk(v, contexts.get(k, "text")) for k, v in args.items()}


def check_value(name: str, value: str) -> None:
    """What every parameter value must be, wherever it is used: one printable line."""
    if not isinstance(value, str) or not value:
        raise TemplateError(f"parameter {name}: the value must be non-empty text")
    if len(value) > 4000:
        raise TemplateError(f"parameter {name}: the value is longer than 4000 characters")
    if any(not ch.isprintable() for ch in value):
        raise TemplateError(f"parameter {name}: the value holds a control or invisible character")


def _check(name: str, value: str, context: str, *, at_start: bool) -> None:
    check_value(name, value)
    if context == "sql" and "'" in value:
        raise TemplateError(
            f"parameter {name}: a value used inside SQL may not contain a quote (')"
        )
    if context == "shell" and not _SHELL_WORD.fullmatch(value):
        raise TemplateError(
            f"parameter {name}: a value used in a shell command must be one plain word "
            "(letters, digits and . _ / @ % + = : , -)"
        )
    if context == "url" and at_start and not _URL_PREFIX.fullmatch(value):
        raise TemplateError(
            f"parameter {name}: expected an http(s) origin such as http://127.0.0.1:8000, "
            "with no user name, query or fragment"
        )
    if context == "url" and not at_start and not _URL_PART.fullmatch(value):
        raise TemplateError(
            f"parameter {name}: a value inside a URL must be one plain segment "
            "(letters, digits and . _ ~ -)"
        )
