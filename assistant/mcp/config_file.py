"""``[mcp.servers.NAME]`` in the config file, written (``assistant mcp add | remove``), and the
common ``mcpServers`` JSON shape other assistants use, imported (``assistant mcp import``).

What a server table may hold, and its checks, live with the MCP tools' settings
(``tools.mcp.settings``); secret values never reach the file: they go to the keyring and the file
keeps a ``{{secret:NAME}}`` handle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant import config, paths
from assistant.config import ConfigError
from tools.mcp.settings import HANDLE_RE, MAX_NAME, McpConfigError, McpServer, parse_server


def write_server(server: McpServer | None, name: str, path: Path | None = None) -> None:
    """Add or replace (``server``) or remove (None) ``[mcp.servers.NAME]`` in the config file."""
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
    """``{"mcpServers": {NAME: {command, args, env} | {url, headers}}}`` (also ``servers``);
    ConfigError when the document is not of that shape."""
    if not isinstance(doc, dict):
        raise ConfigError("the file is not a JSON object with mcpServers")
    table = doc.get("mcpServers", doc.get("servers"))
    if not isinstance(table, dict):
        raise ConfigError('the file has no "mcpServers" object')
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
        except McpConfigError as exc:
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
    return replace(server, env=tables["env"], headers=tables["headers"]), lines
