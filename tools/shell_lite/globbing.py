"""Glob expansion (``*``, ``?``, ``[...]``) confined to the workspace, done by the tool, not a shell."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from tools.base import ToolError
from tools.workspace import PathEscapeError, Workspace

MAX_MATCHES = 10_000

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": "0-9A-Fa-f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
    "cntrl": "\\x00-\\x1f\\x7f",
}


def has_magic(part: str) -> bool:
    """True when a pattern part has an unescaped wildcard."""
    i = 0
    while i < len(part):
        if part[i] == "\\":
            i += 2
            continue
        if part[i] in "*?[":
            return True
        i += 1
    return False


def unescape(part: str) -> str:
    """The literal text of a pattern part without wildcards."""
    return re.sub(r"\\(.)", r"\1", part, flags=re.S)


def _bracket(part: str, i: int) -> tuple[str, int] | None:
    """Translate ``[...]`` starting at ``part[i] == '['``; None when it is not closed (a literal '[')."""
    j = i + 1
    negate = False
    if j < len(part) and part[j] in "!^":
        negate = True
        j += 1
    items: list[str] = []
    first = True
    while j < len(part):
        c = part[j]
        if c == "]" and not first:
            body = "".join(items) or "\\x00-\\U0010ffff"
            return ("[^" if negate else "[") + body + "]", j + 1
        first = False
        if c == "[" and part.startswith("[:", j):
            end = part.find(":]", j + 2)
            if end > 0 and part[j + 2 : end] in _CLASSES:
                items.append(_CLASSES[part[j + 2 : end]])
                j = end + 2
                continue
        if c == "\\" and j + 1 < len(part):
            c = part[j + 1]
            j += 1
        if j + 2 < len(part) and part[j + 1] == "-" and part[j + 2] != "]":
            hi = part[j + 2]
            end = j + 3
            if hi == "\\" and end < len(part):
                hi, end = part[end], end + 1
            if ord(hi) >= ord(c):
                items.append(f"{re.escape(c)}-{re.escape(hi)}")
            j = end
            continue
        items.append(re.escape(c))
        j += 1
    return None


def translate(part: str) -> re.Pattern[str]:
    """A compiled regex for one path component of a glob pattern."""
    out: list[str] = []
    i = 0
    while i < len(part):
        c = part[i]
        if c == "\\" and i + 1 < len(part):
            out.append(re.escape(part[i + 1]))
            i += 2
        elif c == "*":
            out.append(".*")
            i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            got = _bracket(part, i)
            if got is None:
                out.append(re.escape("["))
                i += 1
            else:
                out.append(got[0])
                i = got[1]
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.S)


def _join(prefix: str, name: str) -> str:
    if prefix == "":
        return name
    return prefix + name if prefix.endswith("/") else f"{prefix}/{name}"


def expand(ws: Workspace, pattern: str, check: Callable[[], None] = lambda: None) -> list[str]:
    """The workspace paths a pattern matches, sorted bytewise; an error when none or when it could
    reach outside (absolute, ``..``). Hidden names match only a pattern part starting with '.',
    and entries the workspace refuses (symlinks out, the app's own data) are never matched."""
    if pattern.startswith("/"):
        raise PathEscapeError(
            f"{pattern!r}: absolute glob patterns are refused; use a relative one"
        )
    parts = pattern.split("/")
    if any(unescape(p) == ".." for p in parts):
        raise PathEscapeError(f"{pattern!r}: glob patterns may not contain '..'")
    results = [""]
    for index, part in enumerate(parts):
        check()
        last = index == len(parts) - 1
        if part == "":
            if index == 0:
                continue
            # a trailing or doubled slash: keep what is a folder
            results = [r + "/" for r in results if _is_dir(ws, r)] if last else results
            continue
        if not has_magic(part):
            literal = unescape(part)
            results = [_join(r, literal) for r in results]
            if last:
                results = [r for r in results if _exists(ws, r)]
            continue
        regex = translate(part)
        hidden_ok = part.startswith(".") or part.startswith("\\.")
        found: list[str] = []
        for prefix in results:
            base = _dir(ws, prefix)
            if base is None:
                continue
            try:
                names = sorted(os.listdir(base), key=os.fsencode)
            except OSError:
                continue
            for name in names:
                check()
                if name.startswith(".") and not hidden_ok:
                    continue
                if not regex.fullmatch(name):
                    continue
                rel = _join(prefix, name)
                try:
                    real = ws.resolve(rel)
                except PathEscapeError:
                    continue
                if not last and not real.is_dir():
                    continue
                found.append(rel)
                if len(found) > MAX_MATCHES:
                    raise ToolError(f"{pattern!r} matches more than {MAX_MATCHES} paths")
        results = found
    results = sorted(set(results), key=os.fsencode)
    if not results:
        raise ToolError(
            f"no files match the glob pattern {pattern!r} (quote it to pass it as text)"
        )
    return results


def _dir(ws: Workspace, rel: str) -> str | None:
    # a prefix typed literally that leaves the workspace is an error, not "no match"
    real = ws.resolve(rel or ".")
    return str(real) if real.is_dir() else None


def _is_dir(ws: Workspace, rel: str) -> bool:
    return _dir(ws, rel) is not None


def _exists(ws: Workspace, rel: str) -> bool:
    return ws.resolve(rel).exists()
