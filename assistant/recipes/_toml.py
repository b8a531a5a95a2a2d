"""Writing TOML a reviewer can read: tables in a fixed order, comments where they help, strings
in the plainest form that holds them exactly, and every invisible character shown as an escape.

The writer is small on purpose; what it writes is always read back with ``tomllib`` and compared
before a recipe is handed out, so a mistake here cannot ship a file that means something else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from assistant.recipes._spec import RecipeError

WIDTH = 96
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _visible(text: str) -> bool:
    """No control, format (bidi, zero-width) or separator characters: safe in a literal string."""
    return text.isprintable()


def basic(text: str) -> str:
    """A double-quoted TOML string; quotes, backslashes and invisible characters escaped."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def string(text: str) -> str:
    """The plainest TOML spelling of ``text``: "basic" when nothing needs escaping, 'literal'
    for text with quotes or backslashes (JSON, regexes), '''multi-line''' for SQL and prompts."""
    if "\n" in text:
        lines = text.split("\n")
        if (
            all(_visible(line) for line in lines)
            and "'''" not in text
            and not text.endswith("'")
            and "\r" not in text
        ):
            return "'''\n" + text + "'''"
        return basic(text)
    if _visible(text) and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    if _visible(text) and "'" not in text:
        return "'" + text + "'"
    return basic(text)


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else basic(name)


def inline(value: Any) -> str:
    """A value on one line: scalars, arrays and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecipeError(f"cannot write {value!r} into a recipe (not a JSON number)")
        return repr(value)
    if isinstance(value, str):
        return string(value) if "\n" not in value else basic(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key(str(k))} = {inline(v)}" for k, v in value.items()) + " }"
    if value is None:
        raise RecipeError("cannot write null into TOML (write the value as JSON text instead)")
    raise RecipeError(f"cannot write a {type(value).__name__} into a recipe")


def assignment(name: str, value: Any, indent: str = "") -> list[str]:
    """``name = value``; a long array is spread one item per line, a long string stays whole."""
    if isinstance(value, str):
        return [f"{indent}{key(name)} = {string(value)}"]
    line = f"{indent}{key(name)} = {inline(value)}"
    if isinstance(value, list | tuple) and value and len(line) > WIDTH:
        items = [f"{indent}    {inline(v)}," for v in value]
        return [f"{indent}{key(name)} = [", *items, f"{indent}]"]
    return [line]


def header(path: Iterable[str], *, array: bool = False) -> str:
    dotted = ".".join(key(p) for p in path)
    return f"[[{dotted}]]" if array else f"[{dotted}]"


def table(
    path: list[str],
    data: Mapping[str, Any],
    *,
    array: bool = False,
    inline_keys: Iterable[str] = (),
    comments: Iterable[str] = (),
    trailer: Iterable[str] = (),
) -> list[str]:
    """A table: its header, its plain keys, then each mapping value as a sub-table (unless its
    key is in ``inline_keys``); ``trailer`` lines (comments) end the table's own keys."""
    keep_inline = set(inline_keys)
    lines = [*comments, header(path, array=array)]
    subs: list[tuple[str, Mapping[str, Any]]] = []
    for name, value in data.items():
        if isinstance(value, Mapping) and name not in keep_inline and value:
            subs.append((name, value))
        else:
            lines += assignment(name, value)
    lines += list(trailer)
    for name, value in subs:
        lines.append("")
        lines += table([*path, name], value)
    return lines


def comment(text: str, width: int = 92) -> str:
    """Untrusted text made safe for one comment line: escaped, on one line, cut."""
    from tools.base import escape_text

    line = escape_text(text).replace("\n", "\\n").replace("\t", " ").replace("\r", "\\r")
    return line if len(line) <= width else line[: width - 1] + "…"
