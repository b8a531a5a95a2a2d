"""Slash commands: parsing a typed line into a tool call (run through the gate) or an app command.

Pure functions, no Textual: the chat screen dispatches what :func:`parse` returns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError

HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")


class SlashError(AssistantError):
    """A slash command that cannot be understood; the message says how to write it."""


@dataclass(frozen=True)
class ToolCommand:
    """Run ``tool`` with ``args`` through the gate (previewed and approved like the model's)."""

    tool: str
    args: dict[str, Any]


@dataclass(frozen=True)
class AppCommand:
    """An app command: ``name`` (model, keys, history, undo, grants, help, quit) and its words."""

    name: str
    argv: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    help: str
    needs_args: bool = False
    """True when the palette should put the command in the prompt for the person to finish."""


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp(
        "http", "/http [METHOD] URL [BODY]", "send an HTTP request (BODY: JSON or text)", True
    ),
    CommandHelp(
        "csv",
        "/csv query SQL | /csv read PATH | /csv write {JSON}",
        "query, read or write CSV files",
        True,
    ),
    CommandHelp(
        "sh", "/sh COMMAND", "run a shell-lite command (ls, cat, grep, echo > file ...)", True
    ),
    CommandHelp("tool", "/tool NAME {JSON}", "run any tool with JSON arguments", True),
    CommandHelp("model", "/model [NAME]", "show or switch the model for the next turn"),
    CommandHelp(
        "keys",
        "/keys [set NAME [--host HOST] | delete NAME]",
        "list, store (bound to hosts) or remove keys (keyring)",
    ),
    CommandHelp("history", "/history", "browse and replay past sessions"),
    CommandHelp("undo", "/undo ACTION_ID", "restore the files an action changed (previewed)", True),
    CommandHelp(
        "grants", "/grants [revoke ID]", "list or revoke allow rules (this session's and saved)"
    ),
    CommandHelp("mcp", "/mcp", "MCP servers: each one's state and tools"),
    CommandHelp("help", "/help", "list the commands and keys"),
    CommandHelp("quit", "/quit", "leave (the session is kept in the journal)"),
)
APP_COMMANDS = frozenset({"model", "keys", "history", "undo", "grants", "mcp", "help", "quit"})


def is_command(line: str) -> bool:
    """A slash command, unless it is a path ("/etc/hosts is...") or doubled to send a literal "/"."""
    stripped = line.lstrip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return False
    word = stripped[1:].split(None, 1)[0] if stripped[1:].strip() else ""
    return word.isidentifier() or word == ""


def parse(line: str) -> ToolCommand | AppCommand:
    """``/http GET https://x`` -> ToolCommand("http_request", {...}); ``/grants`` -> AppCommand."""
    stripped = line.strip()
    if not stripped.startswith("/"):
        raise SlashError("a command starts with /; /help lists them")
    name, _, rest = stripped[1:].partition(" ")
    name = name.lower()
    rest = rest.strip()
    if name == "http":
        return _http(rest)
    if name == "csv":
        return _csv(rest)
    if name in ("sh", "shell"):
        if not rest:
            raise SlashError("usage: /sh COMMAND, e.g. /sh ls -l")
        return ToolCommand("shell", {"command": rest})
    if name == "tool":
        tool, _, raw = rest.partition(" ")
        if not tool:
            raise SlashError("usage: /tool NAME {JSON arguments}")
        return ToolCommand(tool, _json_object(raw.strip() or "{}", "/tool arguments"))
    if name in APP_COMMANDS:
        return AppCommand(name, rest.split())
    known = ", ".join("/" + c.name for c in COMMANDS)
    raise SlashError(f"unknown command /{name}; the commands are: {known}")


def _http(rest: str) -> ToolCommand:
    words = rest.split(None, 2)
    if not words:
        raise SlashError("usage: /http [METHOD] URL [BODY], e.g. /http GET https://example.com")
    method = "GET"
    if words[0].upper() in HTTP_METHODS:
        method = words.pop(0).upper()
        if not words:
            raise SlashError(f"usage: /http {method} URL [BODY]")
        url, body = words[0], (words[1] if len(words) > 1 else "")
    else:
        url, _, body = rest.partition(" ")
        body = body.strip()
    if "://" not in url:
        raise SlashError(f"{url!r} is not a URL: write it in full, e.g. https://{url}")
    args: dict[str, Any] = {"method": method, "url": url}
    if body:
        try:
            args["json"] = json.loads(body)
        except ValueError:
            args["body"] = body
    return ToolCommand("http_request", args)


def _csv(rest: str) -> ToolCommand:
    verb, _, tail = rest.partition(" ")
    tail = tail.strip()
    verb = verb.lower()
    if verb == "query" and tail:
        return ToolCommand("csv_query", {"sql": tail})
    if verb == "read" and tail:
        return ToolCommand("csv_read", {"path": tail})
    if verb == "write" and tail:
        return ToolCommand("csv_write", _json_object(tail, "/csv write arguments"))
    raise SlashError(
        "usage: /csv query SELECT ... | /csv read PATH | "
        '/csv write {"path": "out.csv", "mode": "create", "rows": [["a"], ["1"]]}'
    )


def _json_object(raw: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SlashError(f"{what} are not valid JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(value, dict):
        raise SlashError(f"{what} must be a JSON object {{...}}")
    return value


def _packed(line: str, columns: int) -> list[str]:
    """A "where: key what · key what · ..." line in rows of at most ``columns``, broken between
    its keys (never inside one), the rows after the first indented under it."""
    rows: list[str] = []
    row = "  "
    for n, item in enumerate(line.split(" · ")):
        piece = item if n == 0 else f" · {item}"
        if n and len(row) + len(piece) + len(" ·") > columns:  # room for the row's own " ·"
            rows.append(row + " ·")
            row, piece = "      ", item
        row += piece
    return [*rows, row]


def help_text(key_lines: Sequence[str] = (), *, columns: int = 0) -> str:
    """The /help listing: commands, then the keys (the app passes lines built from its bindings,
    so what /help says is what the keys do). Each command's words stand beside its usage, or
    under it, indented, when that would be wider than ``columns`` (0: any width)."""
    width = max(len(c.usage) for c in COMMANDS)
    widest = max(4 + width + len(c.help) for c in COMMANDS)
    lines = ["Commands (tool commands are previewed and approved like the model's calls):"]
    if columns and widest > columns:
        for c in COMMANDS:
            lines += [f"  {c.usage}", f"      {c.help}"]
    else:
        lines += [f"  {c.usage:<{width}}  {c.help}" for c in COMMANDS]
    if key_lines:
        lines += ["", "Keys:"]
        for line in key_lines:
            lines += _packed(line, columns) if columns else [f"  {line}"]
    lines += ["Type // at the start to send a prompt that begins with /."]
    return "\n".join(lines)
