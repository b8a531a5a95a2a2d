"""Marking a recorded step live when a recipe is made: what a person says about the step (its
prompt, the tools it may use, its bound on calls, what it must produce), checked before anything
is written, and the defaults for what they leave unsaid.

There is one exporter: ``assistant export --live STEP=PROMPT`` and the app's export dialog both
hand ``make`` what they were told, so a step marked live reads the same from either.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.recipes._reader import _TOOL_NAME
from assistant.recipes._spec import LIVE_EXPECT_KEYS, MAX_LIVE_CALLS, RecipeError
from assistant.recipes._template import TemplateError, names_in
from tools.base import escape_text

LIVE_TOOLS = {
    "csv_write": ("csv_read", "csv_query", "csv_write"),
    "csv_query": ("csv_read", "csv_query"),
    "csv_read": ("csv_read",),
}
"""The tools a live step may use unless told otherwise: its recorded tool, and the reads that
let the model look at a changed input first."""
DEFAULT_MAX_CALLS = 5
MAX_ROWS = 10**12

FIELDS = ("step", "prompt", "tools", "max_calls", "file", "columns", "min_rows")
"""What a LiveStepError can be about (the dialog moves the cursor to it)."""


@dataclass(frozen=True)
class LiveSpec:
    """A recorded step to be done live. ``None`` leaves a part to its default: the tools of
    ``LIVE_TOOLS`` (or the step's own), five calls, and, for a CSV write, the file it wrote
    with the header it had."""

    prompt: str
    tools: tuple[str, ...] | None = None
    max_calls: int | None = None
    expect: Mapping[str, Any] | None = None


class LiveStepError(RecipeError):
    """What is wrong with a step marked live; ``field`` is one of ``FIELDS``. The text reads as
    the command line says it (``--live 4: ...``); ``detail`` is the same without the flag."""

    def __init__(self, step: int, field: str, detail: str) -> None:
        super().__init__(f"--live {step}: {detail}")
        self.step = step
        self.field = field
        self.detail = detail


def default_tools(tool: str) -> tuple[str, ...]:
    return LIVE_TOOLS.get(tool, (tool,))


def default_expect(
    tool: str,
    args: Mapping[str, Any],
    recorded_path: Any,
    workspace: str,
    columns: Callable[[str, str], list[str] | None] | None,
) -> dict[str, Any]:
    """For a CSV write: the file it wrote (as the recipe names it, e.g. ``${output_csv}``) with
    the columns it has in the source workspace, when they can be read; otherwise nothing."""
    path = args.get("path") if tool == "csv_write" else None
    if not isinstance(path, str) or not path:
        return {}
    found = (
        columns(workspace, recorded_path) if columns and isinstance(recorded_path, str) else None
    )
    return {"file": path, **({"columns": found} if found else {})}


def defaults_for(
    tool: str,
    args: Mapping[str, Any],
    recorded_path: Any,
    workspace: str,
    columns: Callable[[str, str], list[str] | None] | None,
) -> LiveSpec:
    """What a recorded ``tool`` step marked live gets unless told otherwise (no prompt)."""
    expect = default_expect(tool, args, recorded_path, workspace, columns)
    return LiveSpec("", default_tools(tool), DEFAULT_MAX_CALLS, expect)


def settle(
    number: int, given: str | LiveSpec, names: Collection[str], defaults: LiveSpec
) -> LiveSpec:
    """``given`` checked and completed from ``defaults``; LiveStepError names the first fault."""
    spec = LiveSpec(given) if isinstance(given, str) else given

    def fail(field: str, detail: str) -> LiveStepError:
        return LiveStepError(number, field, detail)

    prompt = spec.prompt.strip() if isinstance(spec.prompt, str) else ""
    if not prompt:
        raise fail("prompt", "a live step needs a prompt: what the model is to do")
    if not prompt.replace("\n", "").replace("\t", " ").isprintable():
        raise fail("prompt", "the prompt holds a control or invisible character")
    _known(prompt, names, fail("prompt", ""), "the prompt")
    tools = defaults.tools if spec.tools is None else tuple(spec.tools)
    if not tools:
        raise fail("tools", "name at least one tool the step may use")
    for name in tools:
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise fail("tools", f"{escape_text(str(name))!r} is not a tool name")
    if len(set(tools)) != len(tools):
        raise fail("tools", "a tool is named twice")
    calls = defaults.max_calls if spec.max_calls is None else spec.max_calls
    if isinstance(calls, bool) or not isinstance(calls, int) or not 1 <= calls <= MAX_LIVE_CALLS:
        raise fail("max_calls", f"max calls must be a whole number from 1 to {MAX_LIVE_CALLS}")
    if spec.expect is None:  # what the session recorded, written as the reader reads it
        expect = dict(defaults.expect or {})
    else:
        expect = dict(spec.expect)
        _check_expect(expect, names, fail)
    return LiveSpec(prompt, tools, calls, expect)


def _known(text: str, names: Collection[str], where: LiveStepError, what: str) -> None:
    try:
        unknown = [n for n in names_in(text) if n not in names]
    except TemplateError as exc:
        raise LiveStepError(where.step, where.field, f"{what}: {exc}") from None
    if unknown:
        listed = ", ".join(f"${{{n}}}" for n in sorted(names)) or "none"
        raise LiveStepError(
            where.step,
            where.field,
            f"${{{unknown[0]}}} in {what} is not a parameter of this recipe (the parameters: "
            f"{listed}; $$ is a plain $)",
        )


def _check_expect(
    expect: dict[str, Any], names: Collection[str], fail: Callable[[str, str], LiveStepError]
) -> None:
    for key in expect:
        if key not in LIVE_EXPECT_KEYS:
            raise fail(
                "file", f"a live step expects only {', '.join(LIVE_EXPECT_KEYS)}, not {key!r}"
            )
    path = expect.get("file")
    if path is not None:
        if not isinstance(path, str) or not path.strip():
            raise fail("file", "the expected file needs a path (or leave the expectation out)")
        if not path.isprintable():
            raise fail("file", "the file's path holds a control or invisible character")
        _known(path, names, fail("file", ""), "the file's path")
    elif "columns" in expect or "min_rows" in expect:
        raise fail(
            "columns" if "columns" in expect else "min_rows",
            "columns and a row count are checked in a file: name the file too",
        )
    if "columns" in expect:
        columns = expect["columns"]
        if not isinstance(columns, list | tuple) or not columns:
            raise fail("columns", "name at least one column (or leave the columns out)")
        for column in columns:
            if not isinstance(column, str) or not column.strip():
                raise fail("columns", "a column name is empty")
            if not column.isprintable():
                raise fail("columns", "a column name holds a control or invisible character")
            _known(column, names, fail("columns", ""), "a column name")
        expect["columns"] = list(columns)
    if "min_rows" in expect:
        rows = expect["min_rows"]
        if isinstance(rows, bool) or not isinstance(rows, int) or not 0 <= rows <= MAX_ROWS:
            raise fail("min_rows", "min rows must be a whole number, 0 or more")
