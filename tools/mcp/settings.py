"""The MCP tools' settings, the [mcp] table of the config: the limits every server gets (each
defined here once) and the servers, ``[mcp.servers.NAME]``, each read and checked here.

A server is either ``command`` (+ ``args``, ``env``, ``cwd``: stdio) or ``url`` (+ ``headers``:
streamable HTTP). Secret values are never kept here: ``env`` and ``headers`` hold
``{{secret:NAME}}`` handles, resolved from the keyring when the server starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from tools.settings import Bounds, bounds_of, check_bounds, setting
from tools.words import noun

NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*$")
"""A server name: letters, digits, '-' and single '_' (``__`` separates server and tool)."""
MAX_NAME = 32
SERVER_KEYS = {
    "command",
    "args",
    "env",
    "cwd",
    "url",
    "headers",
    "enabled",
    "read_only",
    "read_only_tools",
    "start_timeout",
    "call_timeout",
}
HANDLE_RE = re.compile(r"\{\{secret:([A-Za-z0-9_.-]+)\}\}")


class McpConfigError(ValueError):
    """A server's configuration cannot work; the message names the table and the problem."""


@dataclass(frozen=True)
class McpServer:
    """One configured server. ``read_only`` marks every tool of it as a read (runs without
    asking); ``read_only_tools`` marks some. Nothing the server declares does that."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    read_only: bool = False
    read_only_tools: tuple[str, ...] = ()
    start_timeout: float | None = None
    """This server's own start timeout (None: ``McpSettings.start_timeout``)."""
    call_timeout: float | None = None
    """This server's own call timeout (None: ``McpSettings.call_timeout``)."""

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"

    def secret_names(self) -> list[str]:
        """Every secret handle its env and headers use."""
        texts = [*self.env.values(), *self.headers.values()]
        return sorted({n for t in texts for n in HANDLE_RE.findall(t)})

    def to_table(self) -> dict[str, Any]:
        """The TOML table this server is written as (defaults left out)."""
        out: dict[str, Any] = {}
        if self.command is not None:
            out["command"] = self.command
            if self.args:
                out["args"] = list(self.args)
            if self.env:
                out["env"] = dict(self.env)
            if self.cwd:
                out["cwd"] = self.cwd
        else:
            out["url"] = self.url
            if self.headers:
                out["headers"] = dict(self.headers)
        if not self.enabled:
            out["enabled"] = False
        if self.read_only:
            out["read_only"] = True
        if self.read_only_tools:
            out["read_only_tools"] = list(self.read_only_tools)
        if self.start_timeout is not None:
            out["start_timeout"] = self.start_timeout
        if self.call_timeout is not None:
            out["call_timeout"] = self.call_timeout
        return out


@dataclass(frozen=True)
class McpSettings:
    """[mcp]: limits for every server (a server's own table may set its timeouts), and the
    servers."""

    table: ClassVar[str] = "mcp"

    start_timeout: float = setting(30.0, minimum=0, above=True, maximum=3600)
    """Seconds a server may take to start and list its tools."""
    call_timeout: float = setting(120.0, minimum=0, above=True, maximum=3600)
    """Seconds one tool call may take; a server that takes longer is stopped."""
    max_result_chars: int = setting(20_000, minimum=100, maximum=10_000_000)
    """Characters of a tool result the model, the screen and the journal get; the rest is cut."""
    servers: Mapping[str, McpServer] = field(default_factory=dict)
    """[mcp.servers.NAME]: each server, by name."""

    def __post_init__(self) -> None:
        check_bounds(self)

    @classmethod
    def read_field(cls, name: str, raw: Any, source: str) -> Any:
        """[mcp.servers] from the config file ``source`` (see ``tools.settings.HasSubTables``)."""
        if name != "servers":
            raise McpConfigError(f"{source} [mcp]: {name} cannot be set in the config file")
        if not isinstance(raw, dict):
            raise McpConfigError(f"{source}: [mcp.servers] must be a table of servers")
        return {n: parse_server(n, t, source) for n, t in raw.items()}


def _timeout_bounds() -> dict[str, Bounds]:
    """A server's own timeouts meet the bounds of the [mcp] ones (defined once, above)."""
    return {f.name: bounds_of(f) for f in fields(McpSettings) if f.name.endswith("_timeout")}


def check_name(name: str, where: str = "") -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or len(name) > MAX_NAME:
        raise McpConfigError(
            f"{where}MCP server name {name!r}: use letters, digits, '-' and single '_' "
            f"(up to {MAX_NAME} characters; '__' separates server and tool names)"
        )
    return name


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise McpConfigError(f"{what} must be a list of strings")
    return tuple(value)


def _table(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise McpConfigError(f"{what} must be a table of strings")
    for key, text in value.items():
        if "\x00" in key or "\x00" in text or not key:
            raise McpConfigError(f"{what}: {key!r} is empty or holds a NUL character")
    return dict(value)


def _seconds(value: Any, what: str, bounds: Bounds) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise McpConfigError(f"{what} must be a number of seconds, not {value!r}")
    if not bounds.admits(float(value)):
        raise McpConfigError(
            f"{what} must be more than {bounds.minimum:g} and at most {bounds.maximum:g} "
            f"seconds, not {value!r}"
        )
    return float(value)


def parse_server(name: str, raw: Any, where: str) -> McpServer:
    """One ``[mcp.servers.NAME]`` table, checked (McpConfigError names the problem)."""
    check_name(name, f"{where}: ")
    at = f"{where} [mcp.servers.{name}]"
    if not isinstance(raw, dict):
        raise McpConfigError(f"{at} must be a table")
    unknown = sorted(set(raw) - SERVER_KEYS)
    if unknown:
        raise McpConfigError(f"{at}: unknown {noun(len(unknown), 'setting')} {', '.join(unknown)}")
    command, url = raw.get("command"), raw.get("url")
    if (command is None) == (url is None):
        raise McpConfigError(f"{at}: give either command (a local server) or url (a remote one)")
    values: dict[str, Any] = {"name": name}
    if command is not None:
        if not isinstance(command, str) or not command.strip() or "\x00" in command:
            raise McpConfigError(f"{at}: command must be a non-empty string")
        values["command"] = command
        values["args"] = _strings(raw.get("args", []), f"{at}: args")
        values["env"] = _table(raw.get("env", {}), f"{at}: env")
        if "cwd" in raw:
            if not isinstance(raw["cwd"], str) or not raw["cwd"]:
                raise McpConfigError(f"{at}: cwd must be a folder path")
            values["cwd"] = raw["cwd"]
        if "headers" in raw or "url" in raw:
            raise McpConfigError(f"{at}: headers are for url servers")
    else:
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            raise McpConfigError(f"{at}: url must be an http:// or https:// address")
        values["url"] = url
        values["headers"] = _table(raw.get("headers", {}), f"{at}: headers")
        for key, text in values["headers"].items():
            if any(c in text or c in key for c in "\r\n"):
                raise McpConfigError(f"{at}: header {key!r} holds a line break")
        if any(k in raw for k in ("args", "env", "cwd")):
            raise McpConfigError(f"{at}: args, env and cwd are for command servers")
    for key in ("enabled", "read_only"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise McpConfigError(f"{at}: {key} must be true or false, not {raw[key]!r}")
            values[key] = raw[key]
    if "read_only_tools" in raw:
        values["read_only_tools"] = _strings(raw["read_only_tools"], f"{at}: read_only_tools")
    for key, bounds in _timeout_bounds().items():
        if key in raw:
            values[key] = _seconds(raw[key], f"{at}: {key}", bounds)
    return McpServer(**values)
