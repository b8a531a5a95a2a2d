"""An MCP server's tool as a ``Tool``: the same plan -> policy -> approver -> journal path as the
built-in tools.

What a server says about a tool (its description, schema and annotations such as
``readOnlyHint``) is a claim, not a fact. The effect comes from the person's config alone: a tool
(or server) marked read-only there is a read; every other call is a write, which asks. The
preview shows the server, the tool, the arguments as formatted JSON and the annotations labelled
as declared by the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    Scope,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.mcp.content import render
from tools.mcp.settings import McpSettings

SEPARATOR = "__"
MAX_NAME = 64
"""Function names models accept: ^[A-Za-z0-9_-]{1,64}$."""
MAX_DESCRIPTION = 2_000
MAX_SCHEMA_CHARS = 100_000
HINTS = (
    ("readOnlyHint", "read-only"),
    ("destructiveHint", "destructive"),
    ("idempotentHint", "idempotent"),
    ("openWorldHint", "open world"),
)
_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]")


class Caller(Protocol):
    """Who answers a call: a live ``ServerLink``, or a recording in ``recipe test``."""

    def call(
        self, tool: str, arguments: Mapping[str, Any], timeout: float | None = None
    ) -> dict[str, Any]: ...


def qualified(server: str, tool: str) -> str:
    """``SERVER__tool`` with characters a model cannot use in a name replaced by ``_``."""
    return (server + SEPARATOR + _NAME_BAD.sub("_", tool))[:MAX_NAME]


def schema_problem(schema: Any) -> str | None:
    """Why a tool's input schema cannot be offered to the model (None: it can)."""
    import jsonschema

    if not isinstance(schema, dict):
        return "its input schema is not a JSON object"
    if schema.get("type") != "object":
        return 'its input schema is not of type "object"'
    try:
        text = json.dumps(schema)
    except (TypeError, ValueError, RecursionError):
        return "its input schema cannot be written as JSON"
    if len(text) > MAX_SCHEMA_CHARS:
        return f"its input schema is larger than {MAX_SCHEMA_CHARS:,} characters"
    if re.search(r'"\$(ref|dynamicRef)":\s*"(?!#)', text):
        return "its input schema refers to a schema outside itself"
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "the root"
        return f"its input schema is invalid at {escape_text(where)[:80]}: {escape_text(exc.message)[:160]}"
    return None


def declared_hints(tool: Mapping[str, Any]) -> dict[str, bool]:
    """The annotations a server declared (booleans only; anything else is not a hint)."""
    raw = tool.get("annotations")
    if not isinstance(raw, Mapping):
        return {}
    return {key: raw[key] for key, _ in HINTS if isinstance(raw.get(key), bool)}


def hints_line(hints: Mapping[str, Any]) -> str:
    if not hints:
        return "Declared by the server, not verified: no annotations"
    words = [f"{label}: {'yes' if hints[key] else 'no'}" for key, label in HINTS if key in hints]
    return "Declared by the server, not verified: " + " · ".join(words)


class McpTool:
    """One remote tool. ``read_only`` is the person's mark in the config, never the server's."""

    settings_type: ClassVar[type[McpSettings]] = McpSettings
    """[mcp]: ``max_result_chars`` bounds what a result shows."""

    def __init__(
        self,
        server: str,
        remote: Mapping[str, Any],
        caller: Caller,
        *,
        read_only: bool = False,
        about: str = "",
    ) -> None:
        self.server = server
        self.remote_name = str(remote.get("name", ""))
        self.name = qualified(server, self.remote_name)
        words = remote.get("description")
        text = escape_text(words if isinstance(words, str) else "")
        if len(text) > MAX_DESCRIPTION:
            text = text[: MAX_DESCRIPTION - 1] + "…"
        self.description = f"[MCP server {server}] {text}".rstrip()
        schema = remote.get("inputSchema")
        self.parameters: Mapping[str, Any] = schema if isinstance(schema, dict) else {}
        self.hints = declared_hints(remote)
        self.read_only = read_only
        self.about = about
        self._caller = caller

    # -- plan ------------------------------------------------------------------------------------

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        arguments = dict(args)
        pretty = json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=False)
        if self.read_only:
            trust = "Marked read-only in your config: it runs without asking."
        else:
            trust = "Not marked read-only in your config, so every call asks."
        lines = [
            f"MCP server {self.server} · tool {self.remote_name}"
            + (f"   ({self.about})" if self.about else ""),
            "Arguments:",
            pretty,
            hints_line(self.hints),
            trust,
            "live-assistant cannot see or undo what the server does.",
        ]
        compact = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        summary = f"{self.server}: {self.remote_name} {compact}"
        label = (
            f"{self.name}: every call to MCP tool {self.remote_name} of server {self.server}, "
            "any arguments"
        )
        return Action(
            tool=self.name,
            args=arguments,
            effect=Effect.READ if self.read_only else Effect.WRITE,
            summary=escape_text(summary if len(summary) <= 120 else summary[:119] + "…"),
            preview=Preview(
                kind="mcp",
                text=escape_text("\n".join(lines)),
                data={
                    "server": self.server,
                    "tool": self.remote_name,
                    "transport": self.about,
                    "arguments": arguments,
                    "declared": dict(self.hints),
                    "read_only_in_config": self.read_only,
                },
            ),
            targets=(f"mcp:{self.server}/{self.remote_name}",),
            fingerprint=fingerprint(arguments, {"server": self.server, "tool": self.remote_name}),
            scope=Scope(f"mcp:{self.server}/{self.remote_name}", label, frozenset({"call"})),
        )

    # -- run -------------------------------------------------------------------------------------

    def run(self, action: Action, ctx: ToolContext) -> Result:
        if action.tool != self.name:
            raise ToolError(f"{self.name} cannot run an action of {action.tool}")
        raw = self._caller.call(self.remote_name, dict(action.args))
        limit = ctx.settings_for(McpSettings).max_result_chars
        shown = render(raw, max_chars=limit, scrub=_scrubber(ctx))
        n = len(shown.blocks)
        size = f"{shown.chars:,} characters" + (", cut" if shown.cut else "")
        data: dict[str, Any] = {
            "server": self.server,
            "tool": self.remote_name,
            "is_error": shown.is_error,
            "content": shown.blocks,
            "chars": shown.chars,
            "cut": shown.cut,
        }
        if shown.structured is not None:
            data["structured"] = shown.structured
        if shown.is_error:
            first = shown.text.strip().splitlines()[0] if shown.text.strip() else "no details"
            return Result(
                ok=False,
                output=f"the MCP tool reported an error:\n{shown.text}",
                display=f"error from {self.server}: {first[:160]}",
                data=data,
            )
        blocks = f"{n} content block{'s' if n != 1 else ''}"
        return Result(ok=True, output=shown.text, display=f"{blocks} · {size}", data=data)


def _scrubber(ctx: ToolContext) -> Callable[[str], str] | None:
    """Every secret the session knows, marked in the result before it is cut or shown."""
    get = getattr(ctx.secrets, "scrubber", None)
    matcher = get() if callable(get) else None
    sub = getattr(matcher, "sub", None)
    return sub if callable(sub) else None
