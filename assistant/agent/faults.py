"""Hostile arguments and failing tools, turned into messages the model may read.

Everything a tool call carries is untrusted: the gate parses and checks the arguments here before
any tool sees them, and any exception from parsing, validating, planning or running becomes a
short message without a traceback or an absolute path outside the workspace. The full story (the
exception and where it was raised) goes to the journal only, as a ``tool.fault`` event.
"""

from __future__ import annotations

import json
import math
import os
import re
import traceback
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tools.base import ToolError

MAX_DEPTH = 32
"""Nesting allowed in tool arguments: every schema is a few levels deep; more is an attack."""
MAX_MESSAGE_CHARS = 2_000
"""An error message longer than this is cut in the middle (a huge argument echoed back)."""
MAX_FRAMES = 40

_PROJECT = Path(__file__).resolve().parents[2]


class ArgumentError(ToolError):
    """The arguments cannot be used at all (not JSON, too deep, not finite): nothing was planned."""


def _no_constant(name: str) -> Any:
    raise ArgumentError(f"arguments are not valid JSON ({name} is not a JSON number)")


def parse_args(raw: str) -> Any:
    """The model's JSON text as Python values, or an ArgumentError that says what is wrong."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ArgumentError(
            f"arguments are not valid JSON ({exc.msg} at position {exc.pos})"
        ) from None
    except RecursionError:
        raise ArgumentError(
            f"arguments are nested too deeply (at most {MAX_DEPTH} levels)"
        ) from None
    except ValueError as exc:  # an integer of thousands of digits, and the like
        raise ArgumentError(f"arguments are not usable JSON ({shorten(str(exc), 200)})") from None


def check_args(args: Any) -> None:
    """Refuse structures no tool schema allows and that would break the journal or the checks:
    deep nesting, non-finite or enormous numbers, non-text keys, non-JSON values. Iterative, so
    a deep structure cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(args, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list | tuple):
            if depth > MAX_DEPTH:
                raise ArgumentError(f"arguments are nested too deeply (at most {MAX_DEPTH} levels)")
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise ArgumentError("argument names must be text")
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        elif isinstance(value, int):
            if value.bit_length() > 1024:
                raise ArgumentError("a number in the arguments is too large")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ArgumentError("a number in the arguments is not finite (NaN or infinity)")
        else:
            raise ArgumentError(f"arguments hold a {type(value).__name__}, which is not JSON")


@lru_cache(maxsize=1)
def _top_level() -> frozenset[str]:
    """Names in / (tmp, home, usr...): a token starting with one of them is a real path."""
    try:
        return frozenset(os.listdir("/"))
    except OSError:
        return frozenset()


_ABS_PATH = re.compile(r"""(?<![^\s'"`(\[{<=,:])/([^\s'"`/)\]}>,;:]+)[^\s'"`)\]}>,;]*""")


def relative_to_roots(text: str, roots: Iterable[str | Path]) -> str:
    """``text`` with each workspace root's location dropped: paths in it read relative ("." for
    the root itself), as the model knows them."""
    spellings = set()
    for root in roots:
        spellings.add(str(root).rstrip("/"))
        spellings.add(os.path.realpath(root).rstrip("/"))
    for spelling in sorted((s for s in spellings if s), key=len, reverse=True):
        if spelling in text:
            text = text.replace(spelling + "/", "").replace(spelling, ".")
    return text


def scrub(text: str, roots: Iterable[str | Path] = ()) -> str:
    """``text`` without absolute paths: a path inside a workspace root becomes relative ("."
    for the root itself), any other path on this machine becomes "<path>"."""
    text = relative_to_roots(text, roots)
    top = _top_level()
    return _ABS_PATH.sub(lambda m: "<path>" if m.group(1) in top else m.group(0), text)


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} … ({len(text) - limit} characters cut) … {text[-half:]}"


def describe(exc: BaseException, roots: Iterable[str | Path] = ()) -> str:
    """One line for the model: what went wrong, no traceback, no path outside the workspace."""
    roots = list(roots)
    if isinstance(exc, RecursionError):
        text = "the arguments are nested too deeply to handle"
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
        if exc.filename is not None:
            text += f": {os.fsdecode(exc.filename) if isinstance(exc.filename, bytes) else exc.filename}"
    elif isinstance(exc, UnicodeError):
        text = f"text that cannot be encoded or decoded ({exc})"
    elif isinstance(exc, MemoryError):
        text = "out of memory"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return shorten(scrub(" ".join(text.split()), roots))


def frames(exc: BaseException) -> list[str]:
    """Where ``exc`` came from, innermost last: "tools/x.py:12 in f" (project-relative)."""
    out = []
    for frame in traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]:
        path = Path(frame.filename)
        shown = (
            path.relative_to(_PROJECT).as_posix() if path.is_relative_to(_PROJECT) else path.name
        )
        out.append(f"{shown}:{frame.lineno} in {frame.name}")
    return out
