"""What the live-step export dialog reads and what its fields mean, without Textual: the plan
(the session's recipe as the exporter makes it, each step's live defaults, the tools a step may
name) and a step's typed fields turned into the ``LiveSpec`` the exporter checks.

The dialog parses text (numbers, comma lists); every rule about what a live step may be lives
in ``assistant.recipes`` and reaches the person as a ``LiveStepError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.recipes import LiveSpec, LiveStepError, Made, live_defaults, make

if TYPE_CHECKING:
    from assistant.journal import Journal

LABELS = {
    "step": "step",
    "prompt": "prompt",
    "tools": "tools",
    "max_calls": "max calls",
    "file": "file",
    "columns": "columns",
    "min_rows": "min rows",
}
"""Each field as the dialog names it (the keys are ``LiveStepError.field`` values)."""


@dataclass
class Draft:
    """A step's fields as the person typed them."""

    prompt: str = ""
    tools: str = ""
    max_calls: str = ""
    file: str = ""
    columns: str = ""
    min_rows: str = ""

    @classmethod
    def of(cls, spec: LiveSpec) -> Draft:
        """The fields showing a step's defaults (the prompt is the person's to write)."""
        expect = spec.expect or {}
        return cls(
            prompt=spec.prompt,
            tools=", ".join(spec.tools or ()),
            max_calls="" if spec.max_calls is None else str(spec.max_calls),
            file=str(expect.get("file", "")),
            columns=join_columns(map(str, expect.get("columns", ()))),
            min_rows=str(expect["min_rows"]) if "min_rows" in expect else "",
        )


@dataclass(frozen=True)
class Plan:
    """A session's recipe as it would be exported, and what marking a step live starts from."""

    made: Made
    defaults: dict[int, LiveSpec]
    known_tools: frozenset[str]
    params: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.made.recipe.steps)

    def step_of(self, action_id: str | None) -> int | None:
        """The step number that replays ``action_id``, if it is one."""
        for number, life in self.made.lives.items():
            if action_id and life.proposed.action_id == action_id:
                return number
        return None


def load_plan(journal: Journal, session_id: str) -> Plan:
    """The plain recipe (``make``, as every export makes it) with each step's live defaults;
    the tools a live step may name: the model's tools and those this session called."""
    from tools import builtin_tools

    made = make(journal, session_id)
    defaults = {n: live_defaults(made, n) for n in made.lives}
    recorded = {life.proposed.tool for life in made.lives.values()}
    params = [(p.name, p.value) for p in made.recipe.params.values()]
    return Plan(made, defaults, frozenset(builtin_tools()) | recorded, params)


def _split(text: str, pattern: str) -> list[str]:
    return [part.strip() for part in re.split(pattern, text.strip())] if text.strip() else []


def _number(text: str, number: int, name: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,13}", text):
        raise LiveStepError(number, name, f"{what} must be a whole number, not {text!r}")
    return int(text)


_COLUMN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^,"]*?))\s*(,|$)')


def join_columns(columns: Iterable[str]) -> str:
    """Column names as one field: comma-separated, quoted ("...") where a name holds a comma,
    a quote or spaces at either end, so that ``split_columns`` gives back the same names."""
    out = []
    for name in columns:
        plain = name == name.strip() and not any(c in name for c in ',"')
        out.append(name if plain and name else '"' + name.replace('"', '""') + '"')
    return ", ".join(out)


def split_columns(number: int, text: str) -> list[str]:
    """The column names typed in one field (see ``join_columns``)."""
    names: list[str] = []
    at = 0
    while at <= len(text):
        match = _COLUMN.match(text, at)
        if match is None:
            raise LiveStepError(
                number,
                "columns",
                'quote a column name that holds a comma or a " ("last, first"); inside the '
                'quotes "" is one "',
            )
        quoted, plain, sep = match.groups()
        names.append(quoted.replace('""', '"') if quoted is not None else plain)
        at = match.end()
        if not sep:
            break
    return names


def to_spec(number: int, draft: Draft, known: frozenset[str]) -> LiveSpec:
    """The fields of step ``number`` as a LiveSpec; LiveStepError for text that is not what its
    field holds (a number, a tool this app has). The exporter checks the rest."""
    tools = [t for t in _split(draft.tools, r"[,\s]+") if t]
    for name in tools:
        if name not in known:
            listed = ", ".join(sorted(known))
            raise LiveStepError(
                number, "tools", f"{name!r} is not a tool here (the tools: {listed})"
            )
    max_calls = _number(draft.max_calls, number, "max_calls", "max calls") or 0  # 0: refused
    min_rows = _number(draft.min_rows, number, "min_rows", "min rows")
    expect: dict[str, object] = {}
    if draft.file.strip():
        expect["file"] = draft.file.strip()
    if draft.columns.strip():
        expect["columns"] = split_columns(number, draft.columns)
    if min_rows is not None:
        expect["min_rows"] = min_rows
    return LiveSpec(draft.prompt, tuple(tools), max_calls, expect)
