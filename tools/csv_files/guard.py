"""Hostile arguments become clear ToolErrors: whatever a csv tool meets while planning or running
(an over-long name, a lone surrogate, a value nested thousands deep, an absurd number), the model
reads one line that names the problem, never a traceback or a path outside the workspace."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tools.base import Effect, ToolContext, ToolError

F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """Wrap a tool's ``plan`` or ``run`` (self, args-or-action, ctx)."""

    @functools.wraps(method)
    def wrapper(self: Any, arg: Any, ctx: ToolContext, *rest: Any, **kw: Any) -> Any:
        try:
            return method(self, arg, ctx, *rest, **kw)
        except ToolError:
            raise
        except RecursionError:
            raise ToolError("the arguments are nested too deeply to be read") from None
        except UnicodeError as exc:
            reason = getattr(exc, "reason", "cannot be encoded")
            raise ToolError(
                f"text that is not valid Unicode (a lone surrogate?): {reason}"
            ) from None
        except OSError as exc:
            what = exc.strerror or type(exc).__name__
            raise ToolError(f"the file system refused the operation: {what}") from None
        except MemoryError:
            raise ToolError("the arguments are too large to handle") from None
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, see above
            text = _scrub(f"{type(exc).__name__}: {exc}", ctx)
            raise ToolError(f"{getattr(self, 'name', 'the tool')} failed: {text}") from None

    return wrapper  # type: ignore[return-value]


def _scrub(text: str, ctx: ToolContext) -> str:
    root = str(ctx.workspace.root)
    text = text.replace(root + os.sep, "").replace(root, ".")
    return text if len(text) <= 300 else text[:299] + "…"


def check_text(name: str, value: str, max_chars: int) -> str:
    """A string argument that is valid Unicode, has no NUL and is not absurdly long."""
    if len(value) > max_chars:
        raise ToolError(f"{name} is too long ({len(value):,} characters; at most {max_chars:,})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError(
            f"{name} is not valid Unicode: a lone surrogate at position {exc.start}"
        ) from None
    if "\x00" in value:
        raise ToolError(f"{name} may not contain NUL characters")
    return value


def check_known(args: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(str(k)[:40] for k in set(args) - known)
    if unknown:
        raise ToolError(f"unknown argument(s): {', '.join(unknown)}")


def deny_check(ctx: ToolContext, tool: str, effect: Effect) -> Callable[[str], str | None]:
    """The deny rules, asked for one target at a time by this tool with this effect."""
    return lambda target: ctx.denied(tool, target, effect)
