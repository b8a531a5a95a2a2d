"""What a checked recipe is once read: its parameters, its steps and what each step expects.

A recipe file (``NAME.recipe.toml``) is data. These frozen classes are what the reader returns
and what the runner, the dry run, ``recipe show`` and ``recipe test`` consume; nothing here runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError

FORMAT = 2
"""The recipe format this version reads and writes (1 was a Python file, no longer read)."""
MAX_FILE_BYTES = 5_000_000
MAX_STEPS = 1000
MAX_LIVE_CALLS = 50
SUFFIX = ".recipe.toml"

KINDS = ("tool", "live")
CONFIRM = ("policy", "always")
"""``policy``: the run's approval mode decides; ``always``: a person is asked for every action
of the step, even under ``--approve all``."""

JSON_TYPES = ("string", "number", "boolean", "null", "object", "array")

EXPECT_KEYS: dict[str, tuple[str, ...]] = {
    "http_request": ("ok", "status", "content_type", "shape", "volatile", "fields"),
    "csv_query": ("ok", "columns", "rows", "min_rows"),
    "csv_read": ("ok", "columns", "rows", "min_rows"),
    "csv_write": ("ok", "rows_after", "bytes"),
    "shell": ("ok", "exit_status"),
}
"""Expectation keys a tool step may hold (a tool not listed may hold ``ok`` only)."""
LIVE_EXPECT_KEYS = ("file", "columns", "min_rows")
RECORDED_KEYS = (
    "ok",
    "status",
    "content_type",
    "body_sha256",
    "rows",
    "columns",
    "result_sha256",
    "rows_after",
    "bytes",
    "exit_status",
    "output_sha256",
)
"""Facts the source session recorded for a step; compared one by one under ``--strict``."""


class RecipeError(AssistantError):
    """A recipe that cannot be made, read or run as asked; the message says where and why."""


class NeedsModel(RecipeError):
    """A live step is to run and no model is configured (exit code 4 on the CLI)."""


@dataclass(frozen=True)
class Param:
    """A named value steps refer to as ``${name}``; ``value`` is the recorded one."""

    name: str
    value: str
    description: str = ""


@dataclass(frozen=True)
class Call:
    """A recorded tool call (a live step keeps the calls of its source for ``recipe test``)."""

    tool: str
    args: dict[str, Any]
    args_json: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One step. A ``tool`` step replays one call; a ``live`` step asks the model to do
    ``prompt`` with only ``tools``, at most ``max_calls`` calls, and checks ``expect``.

    ``args`` may hold ``${param}`` placeholders; ``args_json`` holds arguments written as JSON
    text (a request's JSON body, exactly as sent, or values TOML cannot hold, such as null).
    """

    number: int
    kind: str = "tool"
    tool: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    args_json: dict[str, str] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    recorded: dict[str, Any] = field(default_factory=dict)
    confirm: str = "policy"
    title: str = ""
    source_action: str | None = None
    flag: str | None = None
    """Set when the source session could not say how this step ended (outcome unknown)."""
    prompt: str = ""
    tools: tuple[str, ...] = ()
    max_calls: int = 5
    calls: tuple[Call, ...] = ()
    line: int = 0
    """The line of the step's ``[[steps]]`` header (0 when not read from a file)."""

    @property
    def label(self) -> str:
        """A short name for messages: "step 3 (csv_write)" or "step 3 (live)"."""
        return f"step {self.number} ({self.tool if self.kind == 'tool' else 'live'})"


@dataclass(frozen=True)
class Recipe:
    """A checked recipe: where it came from (``info``), its parameters and steps."""

    info: dict[str, Any]
    params: dict[str, Param]
    steps: tuple[Step, ...]
    sha256: str = ""
    where: str = "the recipe"

    @property
    def defaults(self) -> dict[str, str]:
        return {name: p.value for name, p in self.params.items()}

    @property
    def has_live_steps(self) -> bool:
        return any(s.kind == "live" for s in self.steps)
