"""``[mcp]`` and ``[mcp.servers.NAME]`` in the config: read, checked, written; and the common
``mcpServers`` JSON shape other assistants use, imported.

A server is either ``command`` (+ ``args``, ``env``, ``cwd``: stdio) or ``url`` (+ ``headers``:
streamable HTTP). Secret values are never kept here: ``env`` and ``headers`` hold
``{{secret:NAME}}`` handles, resolved from the keyring when the server starts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


def _error(message: str) -> Exception:
    from assistant.config import ConfigError

    return ConfigError(message)


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
    call_timeout: float | None = None

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
    """``[mcp]``: limits for every server, and the servers."""

    start_timeout: float = 30.0
    """Seconds a server may take to start and list its tools."""
    call_timeout: float = 120.0
    """Seconds one tool call may take; a server that takes longer is stopped."""
    max_result_chars: int = 20_000
    """Characters of a tool result the model, the screen and the journal get; the rest is cut."""
    servers: dict[str, McpServer] = field(default_factory=dict)


def check_name(name: str, where: str = "") -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or len(name) > MAX_NAME:
        raise _error(
            f"{where}MCP server name {name!r}: use letters, digits, '-' and single '_' "
            f"(up to {MAX_NAME} characters; '__' separates server and tool names)"
        )
    return name


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _error(f"{what} must be a list of strings")
    return tuple(value)


def _table(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _error(f"{what} must be a table of strings")
    for key, text in value.items():
        if "\x00" in key or "\x00" in text or not key:
            raise _error(f"{what}: {key!r} is empty or holds a NUL character")
    return dict(value)


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(f"{what} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or not 0 < value <= 3600:
        raise _error(f"{what} must be more than 0 and at most 3600 seconds, not {value!r}")
    return float(value)


def parse_server(name: str, raw: Any, where: str) -> McpServer:
    """One ``[mcp.servers.NAME]`` table, checked (ConfigError names the problem)."""
    check_name(name, f"{where}: ")
    at = f"{where} [mcp.servers.{name}]"
    if not isinstance(raw, dict):
        raise _error(f"{at} must be a table")
    unknown = sorted(set(raw) - SERVER_KEYS)
    if unknown:
        raise _error(f"{at}: unknown setting(s) {', '.join(unknown)}")
    command, url = raw.get("command"), raw.get("url")
    if (command is None) == (url is None):
        raise _error(f"{at}: give either command (a local server) or url (a remote one)")
    values: dict[str, Any] = {"name": name}
    if command is not None:
        if not isinstance(command, str) or not command.strip() or "\x00" in command:
            raise _error(f"{at}: command must be a non-empty string")
        values["command"] = command
        values["args"] = _strings(raw.get("args", []), f"{at}: args")
        values["env"] = _table(raw.get("env", {}), f"{at}: env")
        if "cwd" in raw:
            if not isinstance(raw["cwd"], str) or not raw["cwd"]:
                raise _error(f"{at}: cwd must be a folder path")
            values["cwd"] = raw["cwd"]
        if "headers" in raw or "url" in raw:
            raise _error(f"{at}: headers are for url servers")
    else:
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            raise _error(f"{at}: url must be an http:// or https:// address")
        values["url"] = url
        values["headers"] = _table(raw.get("headers", {}), f"{at}: headers")
        for key, text in values["headers"].items():
            if any(c in text or c in key for c in "\r\n"):
                raise _error(f"{at}: header {key!r} holds a line break")
        if any(k in raw for k in ("args", "env", "cwd")):
            raise _error(f"{at}: args, env and cwd are for command servers")
    for key in ("enabled", "read_only"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise _error(f"{at}: {key} must be true or false, not {raw[key]!r}")
            values[key] = raw[key]
    if "read_only_tools" in raw:
        values["read_only_tools"] = _strings(raw["read_only_tools"], f"{at}: read_only_tools")
    for key in ("start_timeout", "call_timeout"):
        if key in raw:
            values[key] = _seconds(raw[key], f"{at}: {key}")
    return McpServer(**values)


def parse_mcp(raw: Any, path: Any) -> McpSettings:
    """The ``[mcp]`` table of the config file at ``path``."""
    where = str(path)
    if not isinstance(raw, dict):
        raise _error(f"{where}: [mcp] must be a table")
    unknown = sorted(set(raw) - {"start_timeout", "call_timeout", "max_result_chars", "servers"})
    if unknown:
        raise _error(f"{where}: unknown [mcp] setting(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key in ("start_timeout", "call_timeout"):
        if key in raw:
            values[key] = _seconds(raw[key], f"{where} [mcp]: {key}")
    if "max_result_chars" in raw:
        n = raw["max_result_chars"]
        if isinstance(n, bool) or not isinstance(n, int) or not 100 <= n <= 10_000_000:
            raise _error(f"{where} [mcp]: max_result_chars must be a whole number from 100")
        values["max_result_chars"] = n
    servers = raw.get("servers", {})
    if not isinstance(servers, dict):
        raise _error(f"{where}: [mcp.servers] must be a table of servers")
    values["servers"] = {n: parse_server(n, t, where) for n, t in servers.items()}
    return McpSettings(**values)


# -- writing --------------------------------------------------------------------------------


def write_server(server: McpServer | None, name: str, path: Any = None) -> None:
    """Add or replace (``server``) or remove (None) ``[mcp.servers.NAME]`` in the config file."""
    from assistant import config, paths

    path = path or paths.config_file()
    data = config._load_file(path)
    mcp = dict(data.get("mcp", {})) if isinstance(data.get("mcp"), dict) else {}
    servers = dict(mcp.get("servers", {})) if isinstance(mcp.get("servers"), dict) else {}
    if server is None:
        servers.pop(name, None)
    else:
        servers[name] = server.to_table()
    if servers:
        mcp["servers"] = servers
    else:
        mcp.pop("servers", None)
    config.update_file({"mcp": mcp or None}, path)


# -- the common JSON shape ------------------------------------------------------------------


@dataclass
class Imported:
    """What a JSON file held: the servers read, and a line for each one skipped or renamed."""

    servers: list[McpServer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def from_json(doc: Any) -> Imported:
    """``{"mcpServers": {NAME: {command, args, env} | {url, headers}}}`` (also ``servers``)."""
    if not isinstance(doc, dict):
        raise _error("the file is not a JSON object with mcpServers")
    table = doc.get("mcpServers", doc.get("servers"))
    if not isinstance(table, dict):
        raise _error('the file has no "mcpServers" object')
    out = Imported()
    for raw_name, entry in table.items():
        name = re.sub(r"[^A-Za-z0-9-]+", "-", str(raw_name)).strip("-")[:MAX_NAME] or "server"
        if name != raw_name:
            out.notes.append(f"{raw_name!r} is named {name!r} here")
        if not isinstance(entry, dict):
            out.notes.append(f"{raw_name!r} skipped: not an object")
            continue
        kind = entry.get("type", entry.get("transport"))
        if kind == "sse":
            out.notes.append(f"{raw_name!r} skipped: the SSE transport is not supported")
            continue
        raw: dict[str, Any] = {}
        url = entry.get("url", entry.get("serverUrl", entry.get("httpUrl")))
        if url is not None:
            raw["url"] = url
            if "headers" in entry:
                raw["headers"] = entry["headers"]
        else:
            for key in ("command", "args", "env", "cwd"):
                if key in entry:
                    raw[key] = entry[key]
        if entry.get("disabled") is True or entry.get("enabled") is False:
            raw["enabled"] = False
        try:
            out.servers.append(parse_server(name, raw, "the file"))
        except Exception as exc:
            out.notes.append(f"{raw_name!r} skipped: {exc}")
    return out


SECRET_WORDS = re.compile(
    r"TOKEN|SECRET|PASSW|API[-_]?KEY|ACCESS[-_]?KEY|PRIVATE[-_]?KEY|AUTH|CREDENTIAL|COOKIE|SESSION",
    re.IGNORECASE,
)


def secret_like(key: str, value: str) -> bool:
    """A value that reads like a secret: under a name that says so, and not already a handle."""
    return bool(value) and not HANDLE_RE.search(value) and bool(SECRET_WORDS.search(key))


def handle_name(server: str, key: str) -> str:
    """The keyring name a secret found in a server's env or headers is stored under."""
    return ("MCP_" + re.sub(r"[^A-Za-z0-9]+", "_", f"{server}_{key}").strip("_").upper())[:64]


def moved_to_keyring(server: McpServer, store: Any) -> tuple[McpServer, list[str]]:
    """``server`` with every secret-looking raw value in env and headers stored in the keyring
    and replaced by its handle (``store.set`` raises when no keyring can keep it)."""
    lines = []
    tables = {"env": dict(server.env), "headers": dict(server.headers)}
    for what, table in tables.items():
        for key, value in table.items():
            if secret_like(key, value):
                name = handle_name(server.name, key)
                store.set(name, value)
                table[key] = "{{secret:" + name + "}}"
                lines.append(f"{server.name}: {what} {key} stored in the keyring as {name}")
    from dataclasses import replace

    return replace(server, env=tables["env"], headers=tables["headers"]), lines


def servers_of(settings: Any) -> Mapping[str, McpServer]:
    mcp = getattr(settings, "mcp", None)
    return mcp.servers if isinstance(mcp, McpSettings) else {}
